package io.portico.pipeline;

/**
 * The point at which a policy runs relative to authentication. A route's pipeline runs the phases in this order,
 * whatever order the configuration lists the policies in. Within a phase, global policies run first, then the
 * API's, then the route's. The consumer checks (subscriptions and access lists) run between
 * {@link #AUTHENTICATION} and {@link #POST_AUTHENTICATION}, so no later policy handles a caller they reject.
 */
public enum PolicyPhase {

    /** Policies that need no identity and must not wait for one, such as IP restriction or CORS preflights. */
    PRE_AUTHENTICATION,

    /** Authentication policies, which set {@link RequestContext#identity(Identity)}. */
    AUTHENTICATION,

    /** Every other policy, such as rate limits and transformations; the phase of a policy that names none. */
    POST_AUTHENTICATION
}

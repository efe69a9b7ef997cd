package io.portico.pipeline;

/**
 * A policy that identifies the caller, with the {@code WWW-Authenticate} challenge it sends on its own 401. When
 * none of a route's authentication policies identified the caller and the route needs an identity, the consumer
 * checks send all their challenges, so the client learns which schemes the route accepts. RFC 9110 section 11.6.1
 * requires at least one challenge on every 401.
 */
public interface AuthenticationPolicy extends Policy {

    /** Returns the challenge this policy sends with a 401 for a request that carries no credential of its kind. */
    String challenge();
}

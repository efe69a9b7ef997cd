package io.portico.config;

/**
 * One route that a policy runs on, and where the policy is declared for it. A policy declared on an API, globally
 * or for a consumer runs on several routes, so it has one placement per route.
 *
 * @param route the route the policy runs on
 * @param declaredOn where the policy is declared
 */
public record PolicyPlacement(RouteSpec route, DeclaredOn declaredOn) {

    /** The place of a policy declaration. */
    public enum DeclaredOn {
        /** In the route's own {@code policies}. */
        ROUTE,
        /** In the {@code policies} of the route's API. */
        API,
        /** In a policy attachment without a consumer, which runs on every route. */
        GLOBAL,
        /** In a policy attachment for one consumer, which runs on every route that consumer calls. */
        CONSUMER
    }
}

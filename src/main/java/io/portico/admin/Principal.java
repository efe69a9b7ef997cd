package io.portico.admin;

import static java.util.Objects.requireNonNull;

import io.vertx.ext.web.RoutingContext;

/**
 * Who sends an admin request, as authentication established it.
 *
 * @param actor the name recorded in the audit log: {@code user:NAME}, or {@code admin-token} for the admin
 *     token
 * @param user the admin user's name, or null for the admin token
 * @param team the user's team, or null for a user of no team
 */
public record Principal(String actor, String user, Role role, String team) {

    /** The admin token from the environment, the node settings or the token file: a platform admin. */
    public static final Principal BOOTSTRAP = new Principal("admin-token", null, Role.PLATFORM_ADMIN, null);

    private static final String KEY = Principal.class.getName();

    public Principal {
        requireNonNull(actor, "actor");
        requireNonNull(role, "role");
    }

    /** Returns a principal for the admin user {@code name}. */
    public static Principal user(String name, Role role, String team) {
        return new Principal("user:" + name, name, role, team);
    }

    /** Stores this principal in the request, for the handlers after authentication. */
    void attach(RoutingContext ctx) {
        ctx.put(KEY, this);
    }

    /**
     * Returns the principal of an authenticated request.
     *
     * @throws IllegalStateException when no authentication handler ran before
     */
    static Principal of(RoutingContext ctx) {
        Principal principal = ctx.get(KEY);
        if (principal == null) {
            throw new IllegalStateException("no principal on " + ctx.request().path() + ": authentication did not run");
        }
        return principal;
    }
}

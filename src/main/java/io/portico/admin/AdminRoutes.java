package io.portico.admin;

import static java.util.Objects.requireNonNull;

import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * Registers admin routes together with the {@link Access} that guards them. A route registered here responds
 * with 403 before its handler runs when the caller's role is not allowed. The route keeps its access in its
 * metadata under {@value #ACCESS}, so a test can check that every route has one.
 */
final class AdminRoutes {

    /** Metadata key of a route's {@link Access}. */
    static final String ACCESS = "portico.access";

    private final Router router;

    AdminRoutes(Router router) {
        this.router = requireNonNull(router, "router");
    }

    /**
     * Registers {@code handler} for GET and HEAD on {@code path}. A HEAD request gets the status and headers of GET,
     * and Vert.x leaves the body out (RFC 9110 section 9.3.2).
     */
    void get(String path, Access access, Handler<RoutingContext> handler) {
        add(HttpMethod.GET, path, access, handler);
        add(HttpMethod.HEAD, path, access, handler);
    }

    void post(String path, Access access, Handler<RoutingContext> handler) {
        add(HttpMethod.POST, path, access, handler);
    }

    void put(String path, Access access, Handler<RoutingContext> handler) {
        add(HttpMethod.PUT, path, access, handler);
    }

    void patch(String path, Access access, Handler<RoutingContext> handler) {
        add(HttpMethod.PATCH, path, access, handler);
    }

    void delete(String path, Access access, Handler<RoutingContext> handler) {
        add(HttpMethod.DELETE, path, access, handler);
    }

    private void add(HttpMethod method, String path, Access access, Handler<RoutingContext> handler) {
        requireNonNull(access, "access");
        Route route = router.route(method, path).putMetadata(ACCESS, access);
        route.handler(ctx -> {
            Principal principal = Principal.of(ctx);
            if (!access.allows(principal)) {
                throw new Problem(ProblemType.FORBIDDEN, method + " " + path + " is open to "
                        + access.description() + ", and " + principal.actor() + " is a " + principal.role().label()
                        + (principal.team() == null ? "" : " of team " + principal.team()));
            }
            handler.handle(ctx);
        });
    }
}

package io.portico.pipeline;

import static java.util.Objects.requireNonNull;

import io.portico.config.RouteSpec;
import java.util.List;

/**
 * A route compiled for one configuration snapshot: its specification, its policies in order and its backend.
 */
public final class GatewayRoute {

    private final RouteSpec spec;
    private final List<Policy> policies;
    private final Backend backend;

    public GatewayRoute(RouteSpec spec, List<Policy> policies, Backend backend) {
        this.spec = requireNonNull(spec, "spec");
        this.policies = List.copyOf(policies);
        this.backend = requireNonNull(backend, "backend");
    }

    public RouteSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    /** Runs the policies in order, then the backend, unless a policy ends the request. */
    public void handle(RequestContext ctx) {
        proceed(ctx, 0);
    }

    private void proceed(RequestContext ctx, int index) {
        if (index == policies.size()) {
            backend.handle(ctx);
            return;
        }
        PolicyChain next = nextCtx -> proceed(nextCtx, index + 1);
        policies.get(index).handle(ctx, next);
    }
}

package io.portico.pipeline;

import static java.util.Objects.requireNonNull;

import io.portico.config.RouteSpec;
import io.vertx.core.MultiMap;
import java.util.List;

/**
 * A route compiled for one configuration snapshot: its specification, its policies in order, its backend and the
 * renderer of the problems reported on it.
 */
public final class GatewayRoute {

    private final RouteSpec spec;
    private final List<Policy> policies;
    private final Backend backend;
    private final ProblemRenderer problems;
    /** The chain after each policy: {@code links[i]} runs policy {@code i + 1} on. Built once per route. */
    private final PolicyChain[] links;

    /** Creates a route whose problems are {@code application/problem+json} documents. */
    public GatewayRoute(RouteSpec spec, List<Policy> policies, Backend backend) {
        this(spec, policies, backend, ProblemRenderer.PROBLEM_JSON);
    }

    public GatewayRoute(RouteSpec spec, List<Policy> policies, Backend backend, ProblemRenderer problems) {
        this.spec = requireNonNull(spec, "spec");
        this.policies = List.copyOf(policies);
        this.backend = requireNonNull(backend, "backend");
        this.problems = requireNonNull(problems, "problems");
        this.links = new PolicyChain[this.policies.size()];
        for (int i = 0; i < links.length; i++) {
            int next = i + 1;
            links[i] = ctx -> proceed(ctx, next);
        }
    }

    public RouteSpec spec() {
        return spec;
    }

    public String name() {
        return spec.name();
    }

    /** Writes the problems that {@link RequestContext#fail} reports on this route. */
    public ProblemRenderer problems() {
        return problems;
    }

    /** Returns whether this route's backend serves {@code forwardedPath} with its encoded slashes. */
    public boolean acceptsEncodedSlashes(String forwardedPath) {
        return backend.acceptsEncodedSlashes(forwardedPath);
    }

    /** Returns the request headers that this route's backend would send upstream for {@code ctx} now. */
    public MultiMap upstreamHeaders(RequestContext ctx) {
        return backend.upstreamHeaders(ctx);
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
        policies.get(index).handle(ctx, links[index]);
    }
}

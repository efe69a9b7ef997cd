package io.portico.gateway;

import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.RouteSpec;
import io.portico.config.ValidationException;
import io.portico.gateway.routing.Router;
import io.portico.pipeline.Backend;
import io.portico.pipeline.GatewayRoute;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyRegistry;
import io.portico.pipeline.ProblemRenderer;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Everything the data plane needs for one configuration snapshot, compiled once: the router and each route's
 * pipeline. Immutable; replaced as a whole when the configuration changes.
 */
final class GatewayRuntime {

    private final long version;
    private final Router router;
    private final Map<String, GatewayRoute> routes;

    private GatewayRuntime(long version, Router router, Map<String, GatewayRoute> routes) {
        this.version = version;
        this.router = router;
        this.routes = routes;
    }

    static GatewayRuntime empty() {
        return new GatewayRuntime(0, Router.compile(List.of()), Map.of());
    }

    /**
     * Compiles {@code snapshot}: REST routes end in {@code proxy} and report problems as problem+json, AI routes
     * end in {@code ai} and report them through {@code aiProblems}. {@link PipelineBuilder} describes the order of
     * each route's policies.
     *
     * @throws io.portico.config.ValidationException when a route names an unknown policy type or an invalid
     *     policy configuration
     */
    static GatewayRuntime build(ConfigSnapshot snapshot, Backend proxy, Backend ai, ProblemRenderer aiProblems,
                                PolicyRegistry registry, NodeState nodeState) {
        Errors errors = new Errors();
        PipelineBuilder pipelines = new PipelineBuilder(snapshot, registry, errors, nodeState.unauthenticatedRoutes);
        Map<String, GatewayRoute> routes = new HashMap<>();
        Map<String, Object> perSnapshot = new HashMap<>();
        for (RouteSpec route : snapshot.routes().values()) {
            Context context = new Context(nodeState, snapshot, route.name(), perSnapshot);
            boolean isAi = route.ai() != null;
            routes.put(route.name(), new GatewayRoute(route, pipelines.policies(route, context), isAi ? ai : proxy,
                    isAi ? aiProblems : ProblemRenderer.PROBLEM_JSON));
        }
        // Global and consumer attachments are compiled for every route, so their errors would repeat per route.
        List<FieldError> distinct = errors.list().stream().distinct().toList();
        if (!distinct.isEmpty()) {
            throw new ValidationException(distinct);
        }
        nodeState.unauthenticatedRoutes = pipelines.unauthenticatedRoutes();
        return new GatewayRuntime(snapshot.version(), Router.compile(snapshot.routes().values()), Map.copyOf(routes));
    }

    /** State that policies keep for the lifetime of the node, across configuration snapshots. */
    static final class NodeState {
        private final Vertx vertx;
        private final Map<String, Object> values = new ConcurrentHashMap<>();
        /** Routes reported as needing a subscription without authentication; written only by runtime builds. */
        private volatile Set<String> unauthenticatedRoutes = Set.of();

        NodeState(Vertx vertx) {
            this.vertx = vertx;
        }
    }

    /** The {@link PolicyContext} of one route of one snapshot. */
    private record Context(NodeState node, ConfigSnapshot snapshot, String route, Map<String, Object> perSnapshot)
            implements PolicyContext {

        @Override
        public Vertx vertx() {
            return node.vertx;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T perSnapshot(String key, Function<ConfigSnapshot, T> compute) {
            // Runtimes are built on one thread, so a plain map is enough here.
            Object value = perSnapshot.get(key);
            if (value == null) {
                value = compute.apply(snapshot);
                perSnapshot.put(key, value);
            }
            return (T) value;
        }

        @Override
        @SuppressWarnings("unchecked")
        public <T> T perNode(String key, Supplier<T> create) {
            return (T) node.values.computeIfAbsent(key, unused -> create.get());
        }
    }

    long version() {
        return version;
    }

    Router router() {
        return router;
    }

    GatewayRoute route(String name) {
        return routes.get(name);
    }
}

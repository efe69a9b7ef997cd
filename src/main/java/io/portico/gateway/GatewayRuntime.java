package io.portico.gateway;

import io.portico.config.ApiSpec;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.RouteSpec.PolicyRef;
import io.portico.config.RouteSpec;
import io.portico.config.ValidationException;
import io.portico.gateway.routing.Router;
import io.portico.pipeline.Backend;
import io.portico.pipeline.GatewayRoute;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyRegistry;
import io.portico.pipeline.ProblemRenderer;
import io.portico.redis.RedisClient;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.HashSet;
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

    /** The configuration key of the CORS policy, which responds to the preflight requests of its route. */
    private static final String CORS_POLICY = "cors";

    private final long version;
    private final Router router;
    private final Map<String, GatewayRoute> routes;
    private final Set<String> corsRoutes;
    /** Routes that need a subscription but run no authentication policy, whose warning the build logged. */
    private final Set<String> unauthenticatedRoutes;

    private GatewayRuntime(long version, Router router, Map<String, GatewayRoute> routes, Set<String> corsRoutes,
                           Set<String> unauthenticatedRoutes) {
        this.version = version;
        this.router = router;
        this.routes = routes;
        this.corsRoutes = corsRoutes;
        this.unauthenticatedRoutes = unauthenticatedRoutes;
    }

    static GatewayRuntime empty() {
        return new GatewayRuntime(0, Router.compile(List.of()), Map.of(), Set.of(), Set.of());
    }

    /**
     * Compiles {@code snapshot}: REST routes end in {@code proxy} and report problems as problem+json, AI routes
     * end in {@code ai} and report them through {@code aiProblems}, and authorization server routes end in
     * {@code oauth}. {@link PipelineBuilder} describes the order of each route's policies. Runs on any thread,
     * and builds may run concurrently. Call {@link NodeState#serving} once the runtime serves.
     *
     * @throws io.portico.config.ValidationException when a route names an unknown policy type or an invalid
     *     policy configuration, or its header operations name a header of {@link NodeHeaders}
     */
    static GatewayRuntime build(ConfigSnapshot snapshot, Backend proxy, Backend ai, ProblemRenderer aiProblems,
                                Backend oauth, PolicyRegistry registry, NodeState nodeState) {
        Errors errors = new Errors();
        PipelineBuilder pipelines = new PipelineBuilder(snapshot, registry, errors, nodeState.checkOnly
                ? null : nodeState.unauthenticatedRoutes);
        Map<String, GatewayRoute> routes = new HashMap<>();
        Set<String> corsRoutes = new HashSet<>();
        boolean globalCors = snapshot.policies().values().stream()
                .anyMatch(attachment -> attachment.global() && CORS_POLICY.equals(attachment.type()));
        Map<String, Object> perSnapshot = new HashMap<>();
        for (RouteSpec route : snapshot.routes().values()) {
            nodeState.headers.check(route, errors.at("routes/" + route.name()));
            boolean isAi = route.ai() != null;
            Function<String, PolicyContext> contexts = declaredIn -> new Context(nodeState, snapshot, route.name(),
                    declaredIn, perSnapshot);
            Backend backend = route.oauth() != null ? oauth : isAi ? ai : proxy;
            routes.put(route.name(), new GatewayRoute(route, pipelines.policies(route, contexts), backend,
                    isAi ? aiProblems : ProblemRenderer.PROBLEM_JSON));
            ApiSpec api = route.api() == null ? null : snapshot.apis().get(route.api());
            if (globalCors || hasCors(route.policies()) || api != null && hasCors(api.policies())) {
                corsRoutes.add(route.name());
            }
        }
        // Global and consumer attachments are compiled for every route, so their errors would repeat per route.
        List<FieldError> distinct = errors.list().stream().distinct().toList();
        if (!distinct.isEmpty()) {
            throw new ValidationException(distinct);
        }
        return new GatewayRuntime(snapshot.version(), Router.compile(snapshot.routes().values()), Map.copyOf(routes),
                Set.copyOf(corsRoutes), pipelines.unauthenticatedRoutes());
    }

    private static boolean hasCors(List<PolicyRef> refs) {
        return refs.stream().anyMatch(ref -> CORS_POLICY.equals(ref.name()));
    }

    /** State that policies keep for the lifetime of the node, across configuration snapshots. */
    static final class NodeState {
        private final Vertx vertx;
        private final RedisClient redis;
        private final boolean allowPrivateAddresses;
        private final NodeHeaders headers;
        private final Map<String, Object> values;
        /** Whether runtimes built with this state are only checked and never serve, so they log nothing. */
        private final boolean checkOnly;
        /** Routes of the serving runtime that were reported as needing a subscription without authentication. */
        private volatile Set<String> unauthenticatedRoutes = Set.of();

        /**
         * Creates the state of a node whose Redis client is {@code redis}, or null without Redis.
         *
         * @param allowPrivateAddresses the node setting {@code upstreams.allowPrivateAddresses}
         * @param headers the headers the node's settings name, which route header operations must not name
         */
        NodeState(Vertx vertx, RedisClient redis, boolean allowPrivateAddresses, NodeHeaders headers) {
            this.vertx = vertx;
            this.redis = redis;
            this.allowPrivateAddresses = allowPrivateAddresses;
            this.headers = headers;
            this.values = new ConcurrentHashMap<>();
            this.checkOnly = false;
        }

        private NodeState(NodeState node) {
            this.vertx = node.vertx;
            this.redis = node.redis;
            this.allowPrivateAddresses = node.allowPrivateAddresses;
            this.headers = node.headers;
            this.values = node.values;
            this.checkOnly = true;
        }

        /**
         * Returns a state for building a runtime only to check that a snapshot compiles. It shares this node's
         * per-node values, so the check creates what the real build would create next, such as an HTTP client
         * for a new JWKS URL. Such a client opens no connection until a policy uses it.
         */
        NodeState forCheck() {
            return new NodeState(this);
        }

        /**
         * Records that {@code runtime} serves, so that later builds do not repeat the warnings it logged. A runtime
         * that is built but never serves leaves no trace here.
         */
        void serving(GatewayRuntime runtime) {
            unauthenticatedRoutes = runtime.unauthenticatedRoutes;
        }

        /** Stores {@code value} under {@code key}, for state the node creates before any policy asks for it. */
        void put(String key, Object value) {
            values.put(key, value);
        }
    }

    /** The {@link PolicyContext} of one policy of one route of one snapshot. */
    private record Context(NodeState node, ConfigSnapshot snapshot, String route, String declaredIn,
                           Map<String, Object> perSnapshot) implements PolicyContext {

        @Override
        public Vertx vertx() {
            return node.vertx;
        }

        @Override
        public RedisClient redis() {
            return node.redis;
        }

        @Override
        public boolean allowPrivateAddresses() {
            return node.allowPrivateAddresses;
        }

        @Override
        public boolean checkOnly() {
            return node.checkOnly;
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

    /**
     * Returns true when a {@code cors} policy runs on the route (its own, its API's or a global one), which
     * responds to every preflight.
     */
    boolean respondsToPreflights(String route) {
        return corsRoutes.contains(route);
    }
}

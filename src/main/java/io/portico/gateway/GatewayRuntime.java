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
import io.portico.pipeline.NodeResource;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyRegistry;
import io.portico.pipeline.ProblemRenderer;
import io.portico.redis.RedisClient;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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
    /** The per-node keys this runtime's policies requested; null for a runtime that only a check built. */
    private final NodeState.Claim claim;

    private GatewayRuntime(long version, Router router, Map<String, GatewayRoute> routes, Set<String> corsRoutes,
                           Set<String> unauthenticatedRoutes, NodeState.Claim claim) {
        this.version = version;
        this.router = router;
        this.routes = routes;
        this.corsRoutes = corsRoutes;
        this.unauthenticatedRoutes = unauthenticatedRoutes;
        this.claim = claim;
    }

    static GatewayRuntime empty() {
        return new GatewayRuntime(0, Router.compile(List.of()), Map.of(), Set.of(), Set.of(), null);
    }

    /**
     * Compiles {@code snapshot}: REST routes end in {@code proxy} and report problems as problem+json, AI routes
     * end in {@code ai} and report them through {@code aiProblems}, and authorization server routes end in
     * {@code oauth}. {@link PipelineBuilder} describes the order of each route's policies. Runs on any thread,
     * and builds may run concurrently. Call {@link NodeState#serving} once the runtime serves, or
     * {@link NodeState#dropped} when it never will, so that the per-node resources it uses can be released.
     *
     * @throws io.portico.config.ValidationException when a route names an unknown policy type or an invalid
     *     policy configuration, or its header operations name a header of {@link NodeHeaders}
     */
    static GatewayRuntime build(ConfigSnapshot snapshot, Backend proxy, Backend ai, ProblemRenderer aiProblems,
                                Backend oauth, PolicyRegistry registry, NodeState nodeState) {
        NodeState.Claim claim = nodeState.checkOnly ? null : nodeState.claim();
        try {
            return build(snapshot, proxy, ai, aiProblems, oauth, registry, nodeState, claim);
        } catch (RuntimeException e) {
            nodeState.release(claim);
            throw e;
        }
    }

    private static GatewayRuntime build(ConfigSnapshot snapshot, Backend proxy, Backend ai,
                                        ProblemRenderer aiProblems, Backend oauth, PolicyRegistry registry,
                                        NodeState nodeState, NodeState.Claim claim) {
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
            Function<String, PolicyContext> contexts = declaredIn -> new Context(nodeState, claim, snapshot,
                    route.name(), declaredIn, perSnapshot);
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
                Set.copyOf(corsRoutes), pipelines.unauthenticatedRoutes(), claim);
    }

    private static boolean hasCors(List<PolicyRef> refs) {
        return refs.stream().anyMatch(ref -> CORS_POLICY.equals(ref.name()));
    }

    /**
     * State that policies keep for the lifetime of the node, across configuration snapshots: the per-node values of
     * {@link PolicyContext#perNode}.
     *
     * <p>A {@link NodeResource} value is closed and removed once no runtime that uses it is being built, waits to be
     * installed, serves, or stopped serving less than the release delay ago. Every other value stays for the
     * node's lifetime, and so does each value that {@link #put} stored.
     */
    static final class NodeState implements AutoCloseable {
        private static final Logger LOG = LoggerFactory.getLogger(NodeState.class);

        private final Vertx vertx;
        private final RedisClient redis;
        private final boolean allowPrivateAddresses;
        /** How long a runtime that stopped serving keeps its node resources, for the requests it still runs. */
        private final Duration releaseDelay;
        private final NodeHeaders headers;
        /** The node's per-node values; a compile check reads them but never adds to them. */
        private final Map<String, Object> values;
        /** The values a compile check created because the node had none under their key; null for the node. */
        private final Map<String, Object> checkValues;
        /** Whether runtimes built with this state are only checked and never serve, so they log nothing. */
        private final boolean checkOnly;
        /** Guards {@link #claims}, {@link #pinned} and the removal of node resources from {@link #values}. */
        private final Object lock;
        /** The claims of the runtimes that are being built, wait to be installed, serve, or served recently. */
        private final Set<Claim> claims;
        /** The keys of the values the node stored with {@link #put}, which are never released. */
        private final Set<String> pinned;
        /** Routes of the serving runtime that were reported as needing a subscription without authentication. */
        private volatile Set<String> unauthenticatedRoutes = Set.of();
        /** The runtime that serves; read and written on the context that installs runtimes only. */
        private GatewayRuntime serving;

        /**
         * Creates the state of a node whose Redis client is {@code redis}, or null without Redis.
         *
         * @param allowPrivateAddresses the node setting {@code upstreams.allowPrivateAddresses}
         * @param releaseDelay how long after a runtime stops serving the node resources that only it used are
         *     closed: the node's {@code drainTimeout}, which bounds the requests it still runs
         * @param headers the headers the node's settings name, which route header operations must not name
         */
        NodeState(Vertx vertx, RedisClient redis, boolean allowPrivateAddresses, Duration releaseDelay,
                  NodeHeaders headers) {
            this.vertx = vertx;
            this.redis = redis;
            this.allowPrivateAddresses = allowPrivateAddresses;
            this.releaseDelay = releaseDelay;
            this.headers = headers;
            this.values = new ConcurrentHashMap<>();
            this.checkValues = null;
            this.checkOnly = false;
            this.lock = new Object();
            this.claims = new HashSet<>();
            this.pinned = new HashSet<>();
        }

        private NodeState(NodeState node) {
            this.vertx = node.vertx;
            this.redis = node.redis;
            this.allowPrivateAddresses = node.allowPrivateAddresses;
            this.releaseDelay = node.releaseDelay;
            this.headers = node.headers;
            this.values = node.values;
            this.checkValues = new ConcurrentHashMap<>();
            this.checkOnly = true;
            this.lock = node.lock;
            this.claims = node.claims;
            this.pinned = node.pinned;
        }

        /**
         * Returns a state for building a runtime only to check that a snapshot compiles. Its policies get the node's
         * per-node values where they exist, and otherwise values of the check's own, such as an HTTP client for a
         * new JWKS URL, which {@link #close()} closes. Close the returned state once the check ends.
         */
        NodeState forCheck() {
            return new NodeState(this);
        }

        /**
         * Records that {@code runtime} serves, so that later builds do not repeat the warnings it logged. The runtime
         * it replaces keeps its node resources for the release delay. A runtime that is built but never serves leaves
         * no trace here once it is {@link #dropped}. Call it on the context that installs runtimes.
         */
        void serving(GatewayRuntime runtime) {
            unauthenticatedRoutes = runtime.unauthenticatedRoutes;
            GatewayRuntime replaced = serving;
            serving = runtime;
            if (replaced != null && replaced != runtime && replaced.claim != null) {
                vertx.setTimer(Math.max(1, releaseDelay.toMillis()), id -> release(replaced.claim));
            }
        }

        /** Records that {@code runtime} was built but will never serve, and releases what only it used. */
        void dropped(GatewayRuntime runtime) {
            release(runtime.claim);
        }

        /** Stores {@code value} under {@code key}, for state the node creates before any policy asks for it. */
        void put(String key, Object value) {
            synchronized (lock) {
                pinned.add(key);
                values.put(key, value);
            }
        }

        /**
         * Returns a new claim for a runtime that starts to build. Until it is released, the claim keeps open each node
         * resource that the runtime requests.
         */
        Claim claim() {
            Claim claim = new Claim();
            synchronized (lock) {
                claims.add(claim);
            }
            return claim;
        }

        /**
         * Drops {@code claim}, then closes and removes each node resource that it kept open and that no other claim
         * keeps open. Does nothing when {@code claim} is null.
         */
        void release(Claim claim) {
            if (claim == null) {
                return;
            }
            List<NodeResource> unused = new ArrayList<>();
            synchronized (lock) {
                claims.remove(claim);
                for (String key : claim.keys) {
                    if (values.get(key) instanceof NodeResource resource && !pinned.contains(key) && !held(key)) {
                        values.remove(key);
                        unused.add(resource);
                    }
                }
            }
            unused.forEach(NodeState::closeQuietly);
        }

        private boolean held(String key) {
            for (Claim other : claims) {
                if (other.keys.contains(key)) {
                    return true;
                }
            }
            return false;
        }

        @SuppressWarnings("unchecked")
        private <T> T perNode(String key, Supplier<T> create, Claim claim) {
            if (checkOnly) {
                Object existing = values.get(key);
                return (T) (existing != null ? existing : checkValues.computeIfAbsent(key, unused -> create.get()));
            }
            synchronized (lock) {
                claim.keys.add(key);
                return (T) values.computeIfAbsent(key, unused -> create.get());
            }
        }

        /**
         * Closes what this state created and nothing else uses: for a compile check's state, each value the check
         * created that is {@link AutoCloseable}; for the node's state, at shutdown, every node resource.
         */
        @Override
        public void close() {
            List<Object> created = new ArrayList<>();
            if (checkOnly) {
                created.addAll(checkValues.values());
                checkValues.clear();
            } else {
                synchronized (lock) {
                    values.entrySet().removeIf(entry -> {
                        boolean resource = entry.getValue() instanceof NodeResource && !pinned.contains(entry.getKey());
                        if (resource) {
                            created.add(entry.getValue());
                        }
                        return resource;
                    });
                }
            }
            for (Object value : created) {
                if (value instanceof AutoCloseable closeable) {
                    closeQuietly(closeable);
                }
            }
        }

        private static void closeQuietly(AutoCloseable resource) {
            try {
                resource.close();
                LOG.debug("Closed the per-node {} that no configuration uses", resource.getClass().getSimpleName());
            } catch (Exception e) {
                LOG.warn("Closing the per-node {} failed; it may keep a connection or thread until the node stops",
                        resource.getClass().getSimpleName(), e);
            }
        }

        /** The per-node keys that one runtime's policies requested, guarded by the node state's lock. */
        static final class Claim {
            private final Set<String> keys = new HashSet<>();
        }
    }

    /** The {@link PolicyContext} of one policy of one route of one snapshot. */
    private record Context(NodeState node, NodeState.Claim claim, ConfigSnapshot snapshot, String route,
                           String declaredIn, Map<String, Object> perSnapshot) implements PolicyContext {

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
        public <T> T perNode(String key, Supplier<T> create) {
            return node.perNode(key, create, claim);
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

package io.portico.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ApiSpec;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.RouteSpec.PolicyRef;
import io.portico.config.RouteSpec;
import io.portico.gateway.routing.Router;
import io.portico.pipeline.Backend;
import io.portico.pipeline.GatewayRoute;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyRegistry;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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

    private GatewayRuntime(long version, Router router, Map<String, GatewayRoute> routes, Set<String> corsRoutes) {
        this.version = version;
        this.router = router;
        this.routes = routes;
        this.corsRoutes = corsRoutes;
    }

    static GatewayRuntime empty() {
        return new GatewayRuntime(0, Router.compile(List.of()), Map.of(), Set.of());
    }

    /**
     * Compiles {@code snapshot}: REST routes end in {@code proxy}, AI routes in {@code ai}.
     *
     * @throws io.portico.config.ValidationException when a route names an unknown policy type or an invalid
     *     policy configuration
     */
    static GatewayRuntime build(ConfigSnapshot snapshot, Backend proxy, Backend ai, PolicyRegistry registry,
                                NodeState nodeState) {
        Errors errors = new Errors();
        Map<String, GatewayRoute> routes = new HashMap<>();
        Set<String> corsRoutes = new HashSet<>();
        Map<String, Object> perSnapshot = new HashMap<>();
        for (RouteSpec route : snapshot.routes().values()) {
            Context context = new Context(nodeState, snapshot, route.name(), perSnapshot);
            List<Policy> policies = new ArrayList<>();
            ApiSpec api = route.api() == null ? null : snapshot.apis().get(route.api());
            if (api != null) {
                policies.addAll(policies(api.policies(), registry, context, errors.at("apis/" + api.name())));
            }
            policies.addAll(policies(route.policies(), registry, context, errors.at("routes/" + route.name())));
            if (hasCors(route.policies()) || api != null && hasCors(api.policies())) {
                corsRoutes.add(route.name());
            }
            routes.put(route.name(), new GatewayRoute(route, policies, route.ai() == null ? proxy : ai));
        }
        errors.throwIfAny();
        return new GatewayRuntime(snapshot.version(), Router.compile(snapshot.routes().values()), Map.copyOf(routes),
                Set.copyOf(corsRoutes));
    }

    private static boolean hasCors(List<PolicyRef> refs) {
        return refs.stream().anyMatch(ref -> CORS_POLICY.equals(ref.name()));
    }

    private static List<Policy> policies(List<PolicyRef> refs, PolicyRegistry registry, PolicyContext context,
                                         Errors errors) {
        List<Policy> policies = new ArrayList<>();
        for (int i = 0; i < refs.size(); i++) {
            int index = i;
            PolicyRef ref = refs.get(i);
            Optional<PolicyFactory> factory = registry.find(ref.name());
            if (factory.isEmpty()) {
                errors.at("policies", i).add("name", "unknown policy type '" + ref.name() + "'");
                continue;
            }
            ObjectNode settings = ref.config() == null ? JsonNodeFactory.instance.objectNode() : ref.config();
            Errors at = new Errors();
            factory.get().validate(settings, at);
            if (at.isEmpty()) {
                policies.add(factory.get().create(settings, context));
            } else {
                Errors config = errors.at("policies", index).at("config");
                at.list().forEach(error -> config.add(error.field(), error.message()));
            }
        }
        return policies;
    }

    /** State that policies keep for the lifetime of the node, across configuration snapshots. */
    static final class NodeState {
        private final Vertx vertx;
        private final Map<String, Object> values = new ConcurrentHashMap<>();

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

    /** Returns true when the route or its API has a {@code cors} policy, which responds to every preflight. */
    boolean respondsToPreflights(String route) {
        return corsRoutes.contains(route);
    }
}

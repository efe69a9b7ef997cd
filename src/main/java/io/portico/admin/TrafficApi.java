package io.portico.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway.ModelCircuitBreaker;
import io.portico.cache.CacheStats;
import io.portico.cache.CacheStore;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.ConsumerSpec;
import io.portico.gateway.upstream.TargetState;
import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.policy.quota.QuotaPolicy;
import io.portico.quota.UsageCounters.CounterState;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.redis.RedisUnavailableException;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live traffic state of this node: health and circuit breakers of upstream targets, circuit breakers of
 * provider models, and the response cache with its purge. Each node answers for itself only, since this state is
 * not shared through the store.
 */
final class TrafficApi {

    private static final Logger LOG = LoggerFactory.getLogger(TrafficApi.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> PURGE_PARAMETERS = List.of("route", "prefix", "store");
    /** The type of the node's own cache store, which every node has. */
    private static final String LOCAL_STORE = "local";

    private final DataPlane dataPlane;
    private final SnapshotSource snapshots;

    TrafficApi(DataPlane dataPlane, SnapshotSource snapshots) {
        this.dataPlane = dataPlane;
        this.snapshots = snapshots;
    }

    void mount(AdminRoutes routes, String base) {
        // NOTE: the traffic state names every team's services and models, so only callers who see every team read
        // it; team members cannot yet read the health of their own services here.
        routes.get(base + "/services/:name/health", Access.WHOLE_CONFIG_READERS, this::serviceHealth);
        routes.get(base + "/circuit-breakers", Access.WHOLE_CONFIG_READERS, this::circuitBreakers);
        routes.get(base + "/cache", Access.WHOLE_CONFIG_READERS, this::cacheStats);
        routes.delete(base + "/cache", Access.PLATFORM_ADMIN, this::purge);
        routes.get(base + "/quotas", Access.AUTHENTICATED, this::quotas);
        routes.get(base + "/budgets", Access.WHOLE_CONFIG_READERS, this::budgets);
    }

    /**
     * Lists the quota counters, those of one consumer when the {@code consumer} parameter is given. Callers who see
     * every team read every counter, and the other callers those of their team's consumers.
     */
    private void quotas(RoutingContext ctx) {
        AdminQueryParameters.check(ctx, List.of("consumer"));
        String consumer = ctx.request().getParam("consumer");
        Principal principal = Principal.of(ctx);
        boolean allTeams = Tenancy.seesAllTeams(principal);
        Map<String, ConsumerSpec> consumers = snapshots.current().consumers();
        ArrayNode list = NODES.arrayNode();
        for (CounterState state : dataPlane.counters(QuotaPolicy.KIND)) {
            if (consumer != null && !consumer.equals(state.id().subject())) {
                continue;
            }
            if (!allTeams && !ofTeam(consumers.get(state.id().subject()), principal.team())) {
                continue;
            }
            ObjectNode item = list.addObject()
                    .put("scope", state.id().scope())
                    .put("consumer", state.id().subject())
                    .put("periodStart", state.id().start().toString())
                    .put("periodEnd", state.id().end().toString())
                    .put("used", state.value());
            if (state.limit() != null) {
                item.put("limit", state.limit()).put("remaining", Math.max(0, state.limit() - state.value()));
            }
        }
        ObjectNode body = NODES.objectNode();
        body.set("quotas", list);
        Exchange.sendJson(ctx, 200, body);
    }

    private static boolean ofTeam(ConsumerSpec consumer, String team) {
        return consumer != null && team != null && team.equals(consumer.team());
    }

    /** Lists the budget counters, those of one consumer, team or key when the {@code subject} parameter is given. */
    private void budgets(RoutingContext ctx) {
        AdminQueryParameters.check(ctx, List.of("subject"));
        String subject = ctx.request().getParam("subject");
        ArrayNode list = NODES.arrayNode();
        for (CounterState state : dataPlane.budgets()) {
            if (subject != null && !subject.equals(state.id().subject())) {
                continue;
            }
            ObjectNode item = list.addObject()
                    .put("scope", state.id().scope())
                    .put("subject", state.id().subject())
                    .put("periodStart", state.id().start().toString())
                    .put("periodEnd", state.id().end().toString())
                    .put("spentUsd", usd(state.value()));
            if (state.limit() != null) {
                item.put("budgetUsd", usd(state.limit())).put("exhausted", state.value() >= state.limit());
            }
            if (state.alertThreshold() != null) {
                item.put("alertThreshold", state.alertThreshold()).put("alerted", state.alerted());
            }
        }
        ObjectNode body = NODES.objectNode();
        body.set("budgets", list);
        Exchange.sendJson(ctx, 200, body);
    }

    /** Returns {@code micros} in USD with no trailing zeros and no exponent, which JSON would print as 1E+1. */
    static BigDecimal usd(long micros) {
        BigDecimal usd = BigDecimal.valueOf(micros, 6).stripTrailingZeros();
        return usd.scale() < 0 ? usd.setScale(0) : usd;
    }

    private void serviceHealth(RoutingContext ctx) {
        String name = ctx.pathParam("name");
        UpstreamGroup group = dataPlane.services().get(name);
        if (group == null) {
            throw new Problem(ProblemType.NOT_FOUND, "service '" + name + "' is not configured on this node");
        }
        ObjectNode body = NODES.objectNode().put("service", name);
        ArrayNode targets = body.putArray("targets");
        for (TargetState target : group.targets()) {
            ObjectNode item = targets.addObject()
                    .put("address", target.address())
                    .put("weight", target.weight())
                    .put("healthy", target.healthy())
                    .put("inFlight", target.inFlight())
                    .put("requests", target.requests())
                    .put("failures", target.failures());
            if (target.latencyKnown()) {
                item.put("latencyMillis", Math.round(target.ewma() / 10_000.0) / 100.0);
            }
            if (target.circuitBreaker() != null) {
                item.set("circuitBreaker", breaker(target.circuitBreaker()));
            }
        }
        Exchange.sendJson(ctx, 200, body);
    }

    private void circuitBreakers(RoutingContext ctx) {
        ArrayNode list = NODES.arrayNode();
        new TreeMap<>(dataPlane.services()).forEach((service, group) -> {
            for (TargetState target : group.targets()) {
                if (target.circuitBreaker() != null) {
                    ObjectNode item = list.addObject().put("service", service).put("target", target.address());
                    item.setAll(breaker(target.circuitBreaker()));
                }
            }
        });
        for (ModelCircuitBreaker model : dataPlane.modelCircuitBreakers()) {
            ObjectNode item = list.addObject().put("provider", model.provider()).put("model", model.model());
            item.setAll(breaker(model.breaker()));
        }
        ObjectNode body = NODES.objectNode();
        body.set("circuitBreakers", list);
        Exchange.sendJson(ctx, 200, body);
    }

    private static ObjectNode breaker(CircuitBreaker breaker) {
        CircuitBreaker.Status status = breaker.status();
        ObjectNode node = NODES.objectNode()
                .put("state", status.state().label())
                .put("since", Instant.ofEpochMilli(status.since()).toString())
                .put("calls", status.calls())
                .put("failures", status.failures())
                .put("slowCalls", status.slowCalls())
                .put("transitions", status.transitions());
        if (status.retryAtMillis() > 0) {
            node.put("retryAt", Instant.ofEpochMilli(status.retryAtMillis()).toString());
        }
        return node;
    }

    private void cacheStats(RoutingContext ctx) {
        ArrayNode stores = NODES.arrayNode();
        for (CacheStore store : dataPlane.caches().all().values()) {
            CacheStats stats = store.stats();
            stores.addObject()
                    .put("type", stats.type())
                    .put("entries", stats.entries())
                    .put("bytes", stats.bytes())
                    .put("maxBytes", stats.maxBytes())
                    .put("hits", stats.hits())
                    .put("misses", stats.misses())
                    .put("evictions", stats.evictions())
                    .put("expirations", stats.expirations());
        }
        ObjectNode body = NODES.objectNode();
        body.set("stores", stores);
        Exchange.sendJson(ctx, 200, body);
    }

    /**
     * Purges cache entries: {@code ?route=NAME} removes one route's entries, {@code ?prefix=KEY} the entries whose
     * key starts with {@code KEY}, and neither removes everything. {@code ?store=TYPE} limits the purge to one store.
     * Without it, a purge by route reaches the local store and the stores that the route's cache policies use, or
     * every store when the route is not configured or caches nothing, and any other purge reaches every store.
     * When a store fails, the others are still purged, and the error response lists the outcome of each store.
     */
    private void purge(RoutingContext ctx) {
        AdminQueryParameters.check(ctx, PURGE_PARAMETERS);
        String route = ctx.request().getParam("route");
        String prefix = ctx.request().getParam("prefix");
        String storeType = ctx.request().getParam("store");
        if (route != null && prefix != null) {
            throw new Problem(ProblemType.BAD_REQUEST, "give either route or prefix, not both");
        }
        if (route != null && route.isBlank() || prefix != null && prefix.isEmpty()) {
            throw new Problem(ProblemType.BAD_REQUEST, "route and prefix must not be empty; omit both to purge all");
        }
        List<CacheStore> stores = storesToPurge(route, storeType);
        String keyPrefix = keyPrefix(route, prefix);
        List<Future<Long>> purges = new ArrayList<>(stores.size());
        for (CacheStore store : stores) {
            purges.add(purge(store, keyPrefix));
        }
        Future.join(purges).onComplete(done -> sendPurged(ctx, stores, purges));
    }

    /**
     * Returns the stores that a purge reaches: the one {@code storeType} names, else those that {@code route}
     * uses. {@code route} is null for a purge by prefix or of everything, which reaches every store.
     *
     * @throws Problem 400 when this node has no store of {@code storeType}
     */
    private List<CacheStore> storesToPurge(String route, String storeType) {
        Map<String, CacheStore> all = dataPlane.caches().all();
        if (storeType != null) {
            CacheStore store = all.get(storeType);
            if (store == null) {
                throw new Problem(ProblemType.BAD_REQUEST, "this node has no cache store '" + storeType
                        + "'; its stores: " + String.join(", ", all.keySet()));
            }
            return List.of(store);
        }
        Set<String> used = route == null ? Set.of() : dataPlane.cacheStoresOf(route);
        if (used.isEmpty()) {
            return List.copyOf(all.values());
        }
        // The local store is always purged, because it may keep the route's entries from before the route's
        // policy moved to another store, and purging it sends no network call.
        return all.values().stream()
                .filter(store -> store.type().equals(LOCAL_STORE) || used.contains(store.type()))
                .toList();
    }

    /** Purges {@code store}, and returns a failed future when the store throws rather than failing its own. */
    private static Future<Long> purge(CacheStore store, String keyPrefix) {
        try {
            return store.purge(keyPrefix);
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
    }

    /**
     * Sends the outcome of a purge: 200 when every store was purged. Otherwise 503 {@code cache-unavailable} when
     * each failed store was unavailable, and 500 {@code internal-error} for any other failure. Both failures list
     * each store's outcome and are logged once.
     */
    private static void sendPurged(RoutingContext ctx, List<CacheStore> stores, List<Future<Long>> purges) {
        ArrayNode outcomes = NODES.arrayNode();
        long removed = 0;
        List<String> failedTypes = new ArrayList<>();
        List<String> failures = new ArrayList<>();
        Throwable unexpected = null;
        for (int i = 0; i < stores.size(); i++) {
            String type = stores.get(i).type();
            Future<Long> purge = purges.get(i);
            if (purge.succeeded()) {
                removed += purge.result();
                outcomes.addObject().put("type", type).put("purged", purge.result());
                continue;
            }
            Throwable cause = purge.cause();
            boolean unavailable = cause instanceof RedisUnavailableException;
            if (!unavailable && unexpected == null) {
                unexpected = cause;
            }
            failedTypes.add(type);
            failures.add(type + " (" + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getName())
                    + ")");
            outcomes.addObject().put("type", type)
                    .put("error", unavailable ? cause.getMessage() : "failed; the Portico log has the details");
        }
        ObjectNode body = NODES.objectNode().put("purged", removed);
        body.set("stores", outcomes);
        if (failedTypes.isEmpty()) {
            Exchange.sendJson(ctx, 200, body);
            return;
        }
        String purgedOthers = removed + " entries were purged from the other stores";
        if (unexpected != null) {
            LOG.error("The cache purge {} failed on the store {}; {}", ctx.request().uri(), String.join(", ", failures),
                    purgedOthers, unexpected);
            ctx.fail(new Problem(ProblemType.INTERNAL_ERROR, "the purge failed on the store "
                    + String.join(", ", failedTypes) + "; " + purgedOthers + "; the Portico log has the details",
                    body));
            return;
        }
        LOG.warn("The cache purge {} failed on the unavailable store {}; {}", ctx.request().uri(),
                String.join(", ", failures), purgedOthers);
        ctx.fail(new Problem(ProblemType.CACHE_UNAVAILABLE, "the purge failed on the unavailable store "
                + String.join(", ", failedTypes) + "; " + purgedOthers + "; retry once it is available", body));
    }

    /** Returns the cache key prefix to purge: the route's entries, the given prefix, or everything. */
    private static String keyPrefix(String route, String prefix) {
        if (route != null) {
            return route + " ";
        }
        return prefix != null ? prefix : "";
    }
}

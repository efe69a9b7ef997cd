package io.portico.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway.ModelCircuitBreaker;
import io.portico.cache.CacheStats;
import io.portico.cache.CacheStore;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.gateway.upstream.TargetState;
import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.policy.quota.QuotaPolicy;
import io.portico.quota.UsageCounters.CounterState;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The live traffic state of this node: health and circuit breakers of upstream targets, circuit breakers of
 * provider models, and the response cache with its purge. Each node answers for itself only, since this state is
 * not shared through the store.
 */
final class TrafficApi {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final DataPlane dataPlane;

    TrafficApi(DataPlane dataPlane) {
        this.dataPlane = dataPlane;
    }

    void mount(AdminRoutes routes, String base) {
        // NOTE: the traffic state names every team's services and models, so only callers who see every team read
        // it; team members cannot yet read the health of their own services here.
        routes.get(base + "/services/:name/health", Access.WHOLE_CONFIG_READERS, this::serviceHealth);
        routes.get(base + "/circuit-breakers", Access.WHOLE_CONFIG_READERS, this::circuitBreakers);
        routes.get(base + "/cache", Access.WHOLE_CONFIG_READERS, this::cacheStats);
        routes.delete(base + "/cache", Access.PLATFORM_ADMIN, this::purge);
        routes.get(base + "/quotas", Access.WHOLE_CONFIG_READERS, this::quotas);
        routes.get(base + "/budgets", Access.WHOLE_CONFIG_READERS, this::budgets);
    }

    /** Lists the quota counters, those of one consumer when the {@code consumer} parameter is given. */
    private void quotas(RoutingContext ctx) {
        String consumer = ctx.request().getParam("consumer");
        ArrayNode list = NODES.arrayNode();
        for (CounterState state : dataPlane.counters(QuotaPolicy.KIND)) {
            if (consumer != null && !consumer.equals(state.id().subject())) {
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

    /** Lists the budget counters, those of one consumer, team or key when the {@code subject} parameter is given. */
    private void budgets(RoutingContext ctx) {
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
     * key starts with {@code KEY}, and neither removes everything.
     */
    private void purge(RoutingContext ctx) {
        String route = ctx.request().getParam("route");
        String prefix = ctx.request().getParam("prefix");
        if (route != null && prefix != null) {
            throw new Problem(ProblemType.BAD_REQUEST, "give either route or prefix, not both");
        }
        if (route != null && route.isBlank() || prefix != null && prefix.isEmpty()) {
            throw new Problem(ProblemType.BAD_REQUEST, "route and prefix must not be empty; omit both to purge all");
        }
        String keyPrefix = keyPrefix(route, prefix);
        List<Future<Long>> purges = new ArrayList<>();
        Map<String, CacheStore> stores = dataPlane.caches().all();
        stores.values().forEach(store -> purges.add(store.purge(keyPrefix)));
        Future.all(purges).onComplete(done -> {
            if (done.failed()) {
                ctx.fail(new Problem(ProblemType.INTERNAL_ERROR, "the purge failed: " + done.cause().getMessage()));
                return;
            }
            long removed = 0;
            for (Future<Long> purge : purges) {
                removed += purge.result();
            }
            Exchange.sendJson(ctx, 200, NODES.objectNode().put("purged", removed));
        });
    }

    /** Returns the cache key prefix to purge: the route's entries, the given prefix, or everything. */
    private static String keyPrefix(String route, String prefix) {
        if (route != null) {
            return route + " ";
        }
        return prefix != null ? prefix : "";
    }
}

package io.portico.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The request meters on a simple registry: tags, status slots, consumer tags and removal of deleted routes. */
class RequestMetricsTest {

    private final MeterRegistry registry = new SimpleMeterRegistry();

    @Test
    void countsByMethodAndStatus() {
        RequestMetrics.RouteMeters meters = new RequestMetrics(registry, false).route("orders", "shop");

        meters.ended("GET", 200, "ann", 1_000_000, 0, 10);
        meters.ended("GET", 200, "bob", 1_000_000, 0, 10);
        meters.ended("BREW", 418, "", 1_000_000, 3, 10);
        meters.ended("GET", RequestMetrics.ABORTED, "", 1_000_000, 0, 0);
        meters.ended("GET", 999, "", 1_000_000, 0, 0);

        assertThat(count("GET", "200")).isEqualTo(2);
        assertThat(count("OTHER", "418")).isEqualTo(1);
        assertThat(count("GET", "aborted")).isEqualTo(1);
        assertThat(count("GET", "other")).isEqualTo(1);
        assertThat(registry.get(RequestMetrics.REQUESTS).counter().getId().getTag("consumer")).isNull();
        assertThat(registry.get(RequestMetrics.DURATION).timer().count()).isEqualTo(5);
        assertThat(registry.get(RequestMetrics.REQUEST_BYTES).counter().count()).isEqualTo(3);
        assertThat(registry.get(RequestMetrics.RESPONSE_BYTES).counter().count()).isEqualTo(30);
    }

    @Test
    void consumerTagWhenEnabled() {
        RequestMetrics.RouteMeters meters = new RequestMetrics(registry, true).route("orders", "");

        meters.ended("GET", 200, "ann", 1_000_000, 0, 0);
        meters.ended("GET", 200, "ann", 1_000_000, 0, 0);
        meters.ended("GET", 200, "", 1_000_000, 0, 0);

        assertThat(registry.get(RequestMetrics.REQUESTS).tag("consumer", "ann").counter().count()).isEqualTo(2);
        assertThat(registry.get(RequestMetrics.REQUESTS).tag("consumer", "").counter().count()).isEqualTo(1);
    }

    @Test
    void deletedRouteLosesItsMeters() {
        RequestMetrics metrics = new RequestMetrics(registry, false);
        metrics.route("kept", "").ended("GET", 200, "", 1, 0, 0);
        metrics.route("deleted", "").ended("GET", 200, "", 1, 0, 0);
        metrics.route("deleted", "").rejected(Rejection.QUOTA);
        metrics.route("deleted", "").cache(CacheOutcome.HIT);
        metrics.route("", "").ended("GET", 404, "", 1, 0, 0);

        metrics.retainRoutes(Set.of("kept"));

        assertThat(registry.find(RequestMetrics.REQUESTS).tag("route", "deleted").meters()).isEmpty();
        assertThat(registry.find(RequestMetrics.DURATION).tag("route", "deleted").meters()).isEmpty();
        assertThat(registry.find("portico.quota.rejections").meters()).isEmpty();
        assertThat(registry.find(RequestMetrics.CACHE).meters()).isEmpty();
        assertThat(registry.find(RequestMetrics.REQUESTS).tag("route", "kept").meters()).hasSize(1);
        assertThat(registry.find(RequestMetrics.REQUESTS).tag("route", "").meters()).hasSize(1);
    }

    @Test
    void deletedConsumerCountersRemoved() {
        RequestMetrics metrics = new RequestMetrics(registry, true);
        metrics.route("orders", "").ended("GET", 200, "ann", 1, 0, 0);
        metrics.route("orders", "").ended("GET", 200, "bob", 1, 0, 0);
        metrics.route("orders", "").ended("GET", 401, "", 1, 0, 0);

        metrics.retainConsumers(Set.of("bob"));

        assertThat(registry.find(RequestMetrics.REQUESTS).tag("consumer", "ann").meters()).isEmpty();
        assertThat(registry.find(RequestMetrics.REQUESTS).tag("consumer", "bob").meters()).hasSize(1);
        assertThat(registry.find(RequestMetrics.REQUESTS).tag("consumer", "").meters()).hasSize(1);
        metrics.route("orders", "").ended("GET", 200, "ann", 1, 0, 0);
        assertThat(registry.get(RequestMetrics.REQUESTS).tag("consumer", "ann").counter().count()).isEqualTo(1);
    }

    @Test
    void routeMovedToAnotherApiStartsOver() {
        RequestMetrics metrics = new RequestMetrics(registry, false);
        metrics.route("orders", "old").ended("GET", 200, "", 1, 0, 0);

        metrics.route("orders", "new").ended("GET", 200, "", 1, 0, 0);

        assertThat(registry.find(RequestMetrics.REQUESTS).tag("api", "old").meters()).isEmpty();
        assertThat(registry.get(RequestMetrics.REQUESTS).tag("api", "new").counter().count()).isEqualTo(1);
    }

    @Test
    void rateLimitRejectionHasPolicyAndReason() {
        RequestMetrics.RouteMeters meters = new RequestMetrics(registry, false).route("orders", "");

        meters.rejected(Rejection.RATE_LIMIT_UNAVAILABLE);
        meters.rejected(Rejection.CONCURRENCY_LIMIT);

        assertThat(registry.get(RequestMetrics.RATE_LIMIT_REJECTIONS).tag("policy", "rate-limit")
                .tag("reason", "redis-unavailable").counter().count()).isEqualTo(1);
        assertThat(registry.get(RequestMetrics.RATE_LIMIT_REJECTIONS).tag("policy", "concurrency-limit")
                .tag("reason", "limit").counter().count()).isEqualTo(1);
    }

    @Test
    void cacheStatusParsing() {
        assertThat(CacheOutcome.parse("Portico; hit; ttl=30")).isEqualTo(CacheOutcome.HIT);
        assertThat(CacheOutcome.parse("Portico; fwd=uri-miss; fwd-status=200; stored")).isEqualTo(CacheOutcome.MISS);
        assertThat(CacheOutcome.parse("Portico; fwd=vary-miss")).isEqualTo(CacheOutcome.MISS);
        assertThat(CacheOutcome.parse("Portico; fwd=uri-miss; collapsed; ttl=60")).isEqualTo(CacheOutcome.COLLAPSED);
        assertThat(CacheOutcome.parse("Portico; fwd=vary-miss; collapsed=?1")).isEqualTo(CacheOutcome.COLLAPSED);
        assertThat(CacheOutcome.parse("Portico; fwd=uri-miss; collapsed=?0; fwd-status=200"))
                .isEqualTo(CacheOutcome.MISS);
        assertThat(CacheOutcome.parse("Portico; fwd=stale; fwd-status=200")).isEqualTo(CacheOutcome.STALE);
        assertThat(CacheOutcome.parse("Portico; fwd=bypass")).isEqualTo(CacheOutcome.BYPASS);
        assertThat(CacheOutcome.parse("Portico; fwd=request")).isEqualTo(CacheOutcome.REQUEST);
        assertThat(CacheOutcome.parse("Portico; fwd=partial")).isEqualTo(CacheOutcome.OTHER);
        assertThat(CacheOutcome.parse("Portico; detail=none")).isNull();
        assertThat(CacheOutcome.parse(null)).isNull();
    }

    private double count(String method, String status) {
        return registry.get(RequestMetrics.REQUESTS).tag("method", method).tag("status", status).counter().count();
    }
}

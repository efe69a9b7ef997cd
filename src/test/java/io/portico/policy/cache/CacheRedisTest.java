package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.redis.RedisClient;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node whose response cache has a Redis of its own ({@code cache.redis.url}), apart from the Redis that its
 * cluster-wide rate limit counts in ({@code redis.url}). Both are real servers.
 */
class CacheRedisTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestRedis limitRedis;
    private static TestRedis cacheRedis;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        limitRedis = TestRedis.start(List.of("maxmemory-policy noeviction"));
        // A cache may evict when full: this server stores cached responses only.
        cacheRedis = TestRedis.start(List.of("maxmemory 64mb", "maxmemory-policy allkeys-lru"));
        upstream = TestUpstream.start("cache-redis");
        Configs config = Configs.document();
        config.service("app", upstream.port());
        ArrayNode policies = config.route("cached", "app", "/echo").putArray("policies");
        ObjectNode limit = policies.addObject().put("name", "rate-limit").putObject("config").put("mode", "cluster");
        limit.putArray("key");
        limit.putArray("limits").addObject().put("name", "per-minute").put("max", 1000).put("window", "60s");
        policies.addObject().put("name", "cache").putObject("config").put("store", "redis").put("defaultTtl", "1m");
        node = TestNode.start(Map.of("redis.url", limitRedis.url(), "redis.timeout", "2s",
                "cache.redis.url", cacheRedis.url(), "cache.redis.timeout", "2s"));
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        cacheRedis.close();
        limitRedis.close();
    }

    @Test
    void entriesAndCountersUseTheirOwnRedis() {
        String path = "/echo/" + UUID.randomUUID();

        HttpResponse<String> first = get(path);
        // The write is sent as the response ends, and may complete a moment later.
        Conditions.eventually("the response is served from the cache", () -> cacheStatus(get(path)).contains("hit"));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(first)).contains("stored");
        assertThat(keys(cacheRedis, "portico:cache:*")).isNotEmpty();
        assertThat(keys(cacheRedis, "portico:rl:*")).isEmpty();
        assertThat(keys(limitRedis, "portico:rl:*")).isNotEmpty();
        assertThat(keys(limitRedis, "portico:cache:*")).isEmpty();
        assertThat(metric("portico_cache_redis_fallback")).isEqualTo("portico_cache_redis_fallback 0.0");
    }

    @Test
    void fullCacheRedisLeavesLimitsAndHits() {
        String storedPath = "/echo/" + UUID.randomUUID();
        String newPath = "/echo/" + UUID.randomUUID();
        assertThat(cacheStatus(get(storedPath))).contains("stored");
        // The write is sent as the response ends, and may complete a moment later.
        Conditions.eventually("the response is stored", () -> cacheStatus(get(storedPath)).contains("hit"));
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            String hit;
            String uncached;
            try {
                // A limit below the memory in use, under noeviction: every write to the cache's Redis gets OOM.
                configure(cacheRedis, "maxmemory-policy", "noeviction");
                configure(cacheRedis, "maxmemory", "1");
                hit = cacheStatus(get(storedPath));
                get(newPath);
                uncached = cacheStatus(get(newPath));
            } finally {
                configure(cacheRedis, "maxmemory", "64mb");
                configure(cacheRedis, "maxmemory-policy", "allkeys-lru");
            }

            assertThat(hit).contains("hit");
            assertThat(uncached).doesNotContain("hit");
            assertThat(metric("portico_redis_fallback")).isEqualTo("portico_redis_fallback 0.0");
            assertThat(metric("portico_cache_redis_fallback")).isEqualTo("portico_cache_redis_fallback 0.0");
            assertThat(log.messages(Level.WARN)).noneSatisfy(line -> assertThat(line).contains("is unavailable"));
        }
    }

    private static String cacheStatus(HttpResponse<String> response) {
        return response.headers().firstValue("Cache-Status").orElse("none");
    }

    private static void configure(TestRedis redis, String name, String value) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            connection.call("CONFIG", "SET", name, value);
        }
    }

    private static List<String> keys(TestRedis redis, String pattern) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            return ((List<?>) connection.call("KEYS", pattern)).stream().map(String::valueOf).toList();
        }
    }

    private static String metric(String name) {
        return node.adminRaw("GET", "/metrics", null).body().lines()
                .filter(line -> line.startsWith(name + " ")).findFirst().orElse("none");
    }

    private static HttpResponse<String> get(String path) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path)).build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("GET " + path + " failed", e);
        }
    }
}

package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.redis.RedisClient;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Two Portico nodes whose {@code cache} policies share one real Redis server through {@code store: redis}. */
class SharedCacheTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final Map<String, AtomicInteger> HITS = new ConcurrentHashMap<>();
    /** The {@code Vary} value of paths that start with {@code /changing}; empty for none. */
    private static final AtomicReference<String> CHANGING_VARY = new AtomicReference<>("");

    /** The logger of the admin API's traffic routes, which logs a failed purge. */
    private static final String TRAFFIC_API_LOGGER = "io.portico.admin.TrafficApi";

    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestRedis redis;
    private static TestNode nodeA;
    private static TestNode nodeB;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(SharedCacheTest::serve);
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        redis = TestRedis.start();
        Configs config = Configs.document();
        config.service("origin", upstream.actualPort());
        ObjectNode shared = config.route("shared", "origin", "/s").put("stripPrefix", true);
        shared.putArray("policies").addObject().put("name", "cache").putObject("config").put("store", "redis");
        ObjectNode vary = config.route("varied", "origin", "/v").put("stripPrefix", true);
        vary.putArray("policies").addObject().put("name", "cache").putObject("config").put("store", "redis");
        ObjectNode nearby = config.route("nearby", "origin", "/n").put("stripPrefix", true);
        nearby.putArray("policies").addObject().put("name", "cache").putObject("config").put("store", "local");
        // A timeout far above a command's latency on a busy machine, and a quick probe after an outage.
        Map<String, String> settings = Map.of("redis.url", redis.url(), "redis.timeout", "2s",
                "redis.retryInterval", "200ms");
        nodeA = TestNode.start(settings);
        nodeB = TestNode.start(settings);
        nodeA.apply(config.build());
        nodeB.apply(config.build());
    }

    /**
     * Responds to every path with a fresh body and {@code max-age=60}; {@code /vary} also varies by language, and
     * {@code /changing} by the headers that {@link #CHANGING_VARY} names.
     */
    private static void serve(HttpServerRequest request) {
        String path = request.path();
        int hit = HITS.computeIfAbsent(path, unused -> new AtomicInteger()).incrementAndGet();
        String body = "response " + hit + " of " + path;
        request.response().putHeader("cache-control", "max-age=60").putHeader("content-type", "text/plain");
        if (path.startsWith("/vary")) {
            request.response().putHeader("vary", "Accept-Language");
            body += " in " + request.getHeader("accept-language");
        }
        if (path.startsWith("/changing") && !CHANGING_VARY.get().isEmpty()) {
            request.response().putHeader("vary", CHANGING_VARY.get());
        }
        request.response().end(body);
    }

    @AfterAll
    static void stop() {
        nodeA.close();
        nodeB.close();
        redis.close();
        vertx.close();
    }

    @BeforeEach
    void redisAnswers() {
        redis.restart();
        Conditions.eventually("both nodes use Redis", () -> purges(nodeA) && purges(nodeB));
    }

    private static boolean purges(TestNode node) {
        return node.adminRaw("DELETE", "/admin/v1/cache", null).statusCode() == 200;
    }

    private static HttpResponse<String> get(TestNode node, String path, String... headers) {
        return send(node, "GET", path, headers);
    }

    private static HttpResponse<String> send(TestNode node, String method, String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.url() + path))
                .method(method, HttpRequest.BodyPublishers.noBody()).timeout(Duration.ofSeconds(10));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            return CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * Waits until Redis contains {@code count} entries of {@code route}, since a node writes an entry once the response
     * has ended, so the client may send its next request before the write completes.
     */
    private static void awaitStored(String route, int count) {
        Conditions.eventually(count + " entries of " + route + " are stored", () -> keys(route) == count);
    }

    /**
     * Stores the English and French variants of {@code path} on route {@code shared}, under
     * {@code Vary: Accept-Language}, the first through node A and the second through node B.
     */
    private static void storeEnglishAndFrench(String path) {
        CHANGING_VARY.set("Accept-Language");
        get(nodeA, "/s" + path, "Accept-Language", "en");
        // The marker that names the Vary headers and the English variant.
        awaitStored("shared", 2);
        get(nodeB, "/s" + path, "Accept-Language", "fr");
        awaitStored("shared", 3);
    }

    /** Returns the number of Redis keys of {@code route}'s entries. */
    private static long keys(String route) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            return ((List<?>) connection.call("KEYS", "portico:cache:" + route + ":*")).size();
        }
    }

    private static String cacheStatus(HttpResponse<String> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private static int hits(String path) {
        AtomicInteger count = HITS.get(path);
        return count == null ? 0 : count.get();
    }

    private static String unique(String name) {
        return "/" + name + "-" + UUID.randomUUID();
    }

    @Test
    void responseStoredByOneNodeIsHitOnOther() {
        String path = unique("item");

        HttpResponse<String> first = get(nodeA, "/s" + path);
        awaitStored("shared", 1);
        HttpResponse<String> second = get(nodeB, "/s" + path);

        assertThat(cacheStatus(first)).isEqualTo("Portico; fwd=uri-miss; fwd-status=200; stored");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(second)).startsWith("Portico; hit; ttl=");
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(second.headers().firstValue("age")).isPresent();
        assertThat(hits(path)).isEqualTo(1);
    }

    @Test
    void varyVariantsAreShared() {
        String path = "/vary-" + UUID.randomUUID();

        HttpResponse<String> english = get(nodeA, "/v" + path, "Accept-Language", "en");
        // The marker that names the Vary headers and the English variant.
        awaitStored("varied", 2);
        HttpResponse<String> french = get(nodeB, "/v" + path, "Accept-Language", "fr");
        awaitStored("varied", 3);
        HttpResponse<String> englishOnB = get(nodeB, "/v" + path, "Accept-Language", "en");
        HttpResponse<String> frenchOnA = get(nodeA, "/v" + path, "Accept-Language", "fr");

        assertThat(cacheStatus(french)).contains("fwd=vary-miss");
        assertThat(englishOnB.body()).isEqualTo(english.body());
        assertThat(cacheStatus(englishOnB)).startsWith("Portico; hit");
        assertThat(frenchOnA.body()).isEqualTo(french.body());
        assertThat(hits(path)).isEqualTo(2);
    }

    @Test
    void unsafeRequestRemovesVariantsForOtherNode() {
        String path = "/vary-" + UUID.randomUUID();
        HttpResponse<String> german = get(nodeA, "/v" + path, "Accept-Language", "de");
        awaitStored("varied", 2);
        get(nodeA, "/v" + path, "Accept-Language", "fr");
        awaitStored("varied", 3);
        assertThat(cacheStatus(get(nodeB, "/v" + path, "Accept-Language", "de"))).startsWith("Portico; hit");

        HttpResponse<String> post = send(nodeA, "POST", "/v" + path);
        // The POST removed the marker and both variants.
        awaitStored("varied", 0);
        HttpResponse<String> french = get(nodeB, "/v" + path, "Accept-Language", "fr");
        awaitStored("varied", 2);
        HttpResponse<String> germanOnA = get(nodeA, "/v" + path, "Accept-Language", "de");
        awaitStored("varied", 3);
        HttpResponse<String> germanOnB = get(nodeB, "/v" + path, "Accept-Language", "de");

        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(french)).contains("fwd=uri-miss");
        assertThat(cacheStatus(germanOnA)).contains("fwd=vary-miss");
        assertThat(germanOnA.body()).endsWith("in de").isNotEqualTo(german.body());
        assertThat(germanOnB.body()).isEqualTo(germanOnA.body());
    }

    @Test
    void newVaryRemovesVariantsOnEveryNode() {
        String path = "/changing-" + UUID.randomUUID();
        storeEnglishAndFrench(path);

        CHANGING_VARY.set("Accept-Encoding");
        HttpResponse<String> changed = get(nodeB, "/s" + path, "Accept-Language", "de");
        Conditions.eventually("the variant of the new Vary is a hit",
                () -> cacheStatus(get(nodeA, "/s" + path, "Accept-Language", "en")).startsWith("Portico; hit"));

        assertThat(cacheStatus(changed)).contains("fwd=vary-miss");
        // The new marker and its one variant. The English and French variants are removed after the new response is
        // stored, so their removal may still be under way.
        Conditions.eventually("the old variants are removed", () -> keys("shared") == 2);
    }

    @Test
    void responseWithoutVaryRemovesSharedVariants() {
        String path = "/changing-" + UUID.randomUUID();
        storeEnglishAndFrench(path);

        CHANGING_VARY.set("");
        HttpResponse<String> plain = get(nodeB, "/s" + path, "Accept-Language", "de");
        Conditions.eventually("the response without Vary is a hit",
                () -> cacheStatus(get(nodeA, "/s" + path, "Accept-Language", "fr")).startsWith("Portico; hit"));

        assertThat(cacheStatus(plain)).contains("fwd=vary-miss");
        Conditions.eventually("only the response without Vary is stored", () -> keys("shared") == 1);
    }

    @Test
    void purgeByKeyRemovesEveryVariant() {
        String path = "/changing-" + UUID.randomUUID();
        storeEnglishAndFrench(path);

        JsonNode purged = nodeB.admin("DELETE", "/admin/v1/cache?prefix=shared%20GET%20127.0.0.1%20/s" + path, null,
                200);

        assertThat(purged.path("purged").asLong()).isEqualTo(3);
        assertThat(keys("shared")).isZero();
        assertThat(cacheStatus(get(nodeA, "/s" + path, "Accept-Language", "en"))).contains("fwd=uri-miss");
    }

    @Test
    void purgeOnOneNodeRemovesEntryForOther() {
        String kept = unique("kept");
        String purged = unique("purged");
        get(nodeA, "/s" + kept);
        get(nodeA, "/s" + purged);
        awaitStored("shared", 2);

        JsonNode byPrefix = nodeA.admin("DELETE", "/admin/v1/cache?prefix=shared%20GET%20127.0.0.1%20/s" + purged,
                null, 200);
        HttpResponse<String> afterPrefix = get(nodeB, "/s" + purged);
        HttpResponse<String> stillCached = get(nodeB, "/s" + kept);
        awaitStored("shared", 2);
        JsonNode byRoute = nodeA.admin("DELETE", "/admin/v1/cache?route=shared", null, 200);
        HttpResponse<String> afterRoute = get(nodeB, "/s" + kept);

        assertThat(byPrefix.path("purged").asLong()).isEqualTo(1);
        assertThat(cacheStatus(afterPrefix)).contains("fwd=uri-miss");
        assertThat(cacheStatus(stillCached)).startsWith("Portico; hit");
        // The route held the kept entry and the one stored again after the prefix purge.
        assertThat(byRoute.path("purged").asLong()).isEqualTo(2);
        assertThat(cacheStatus(afterRoute)).contains("fwd=uri-miss");
        assertThat(hits(purged)).isEqualTo(2);
        assertThat(hits(kept)).isEqualTo(2);
    }

    @Test
    void storeStatsCountLookups() {
        String path = unique("stats");
        get(nodeA, "/s" + path);
        awaitStored("shared", 1);
        get(nodeA, "/s" + path);

        JsonNode stores = nodeA.admin("GET", "/admin/v1/cache", null, 200).path("stores");

        List<String> types = new ArrayList<>();
        stores.forEach(store -> types.add(store.path("type").asText()));
        assertThat(types).containsExactly("local", "redis");
        JsonNode shared = stores.get(1);
        assertThat(shared.path("hits").asLong()).isPositive();
        assertThat(shared.path("misses").asLong()).isPositive();
        assertThat(shared.path("entries").asLong()).isEqualTo(-1);
        assertThat(shared.path("maxBytes").asLong()).isEqualTo(-1);
    }

    @Test
    void stoppedRedisLeavesResponsesUncached() {
        String path = unique("outage");
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            get(nodeA, "/s" + path);
            awaitStored("shared", 1);
            redis.stop();

            List<HttpResponse<String>> during = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                during.add(get(i % 2 == 0 ? nodeA : nodeB, "/s" + path));
            }
            List<String> warnings = log.messages(Level.WARN);

            redis.restart();
            Conditions.eventually("both nodes use Redis again", () -> recoveries(log) == 2);
            HttpResponse<String> stored = get(nodeA, "/s" + path);
            awaitStored("shared", 1);
            HttpResponse<String> hit = get(nodeB, "/s" + path);

            for (HttpResponse<String> response : during) {
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(response.body()).startsWith("response ");
                assertThat(cacheStatus(response)).isEqualTo("Portico; fwd=miss; detail=store-error");
            }
            // One line per node for the outage, none per request.
            assertThat(warnings).hasSize(2);
            assertThat(warnings).allSatisfy(line -> assertThat(line).contains("unavailable"));
            // The restarted server is empty.
            assertThat(cacheStatus(stored)).isEqualTo("Portico; fwd=uri-miss; fwd-status=200; stored");
            assertThat(cacheStatus(hit)).startsWith("Portico; hit");
            assertThat(hit.body()).isEqualTo(stored.body());
            assertThat(hits(path)).isEqualTo(6);
        }
    }

    @Test
    void purgeOfLocalRouteSkipsStoppedRedis() throws Exception {
        storeLocally(nodeA, 3);

        HttpResponse<String> response;
        try (LogCapture log = new LogCapture(TRAFFIC_API_LOGGER)) {
            redis.stop();
            response = nodeA.adminRaw("DELETE", "/admin/v1/cache?route=nearby", null);

            assertThat(log.allMessages()).isEmpty();
        }

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.path("purged").asLong()).isEqualTo(3);
        assertThat(body.path("stores")).hasSize(1);
        assertThat(body.at("/stores/0/type").asText()).isEqualTo("local");
        assertThat(body.at("/stores/0/purged").asLong()).isEqualTo(3);
        assertThat(localEntries(nodeA)).isZero();
    }

    @Test
    void purgeDuringOutageReportsEachStore() throws Exception {
        storeLocally(nodeA, 3);

        HttpResponse<String> response;
        List<String> warnings;
        try (LogCapture log = new LogCapture(TRAFFIC_API_LOGGER)) {
            redis.stop();
            response = nodeA.adminRaw("DELETE", "/admin/v1/cache", null);
            warnings = log.messages(Level.WARN);

            assertThat(log.allMessages()).hasSize(1);
        }

        assertThat(response.statusCode()).as(response.body()).isEqualTo(503);
        assertThat(response.headers().firstValue("content-type")).contains("application/problem+json");
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).isEqualTo("https://portico.dev/problems/cache-unavailable");
        assertThat(problem.path("detail").asText()).contains("redis", "3 entries were purged");
        assertThat(problem.path("purged").asLong()).isEqualTo(3);
        assertThat(problem.at("/stores/0/type").asText()).isEqualTo("local");
        assertThat(problem.at("/stores/0/purged").asLong()).isEqualTo(3);
        assertThat(problem.at("/stores/1/type").asText()).isEqualTo("redis");
        assertThat(problem.at("/stores/1/purged").isMissingNode()).isTrue();
        assertThat(problem.at("/stores/1/error").asText()).contains("Redis at", "127.0.0.1:" + redis.port());
        assertThat(localEntries(nodeA)).isZero();
        assertThat(warnings).singleElement().asString().contains("purge /admin/v1/cache failed", "redis",
                "3 entries were purged");
    }

    /** Stores {@code count} responses of the route {@code nearby}, which keeps them in the node's local store. */
    private static void storeLocally(TestNode node, int count) {
        for (int i = 0; i < count; i++) {
            get(node, "/n" + unique("nearby"));
        }
        Conditions.eventually(count + " local entries are stored", () -> localEntries(node) == count);
    }

    private static long localEntries(TestNode node) {
        return node.admin("GET", "/admin/v1/cache", null, 200).path("stores").path(0).path("entries").asLong();
    }

    @Test
    void nodeWithoutRedisForwardsUncached() {
        Configs config = Configs.document();
        config.service("origin", upstream.actualPort());
        ObjectNode route = config.route("shared", "origin", "/s").put("stripPrefix", true);
        route.putArray("policies").addObject().put("name", "cache").putObject("config").put("store", "redis");
        String path = unique("no-redis");
        TestNode alone = TestNode.start();
        try (LogCapture log = new LogCapture(CachePolicyFactory.class)) {
            alone.apply(config.build());

            HttpResponse<String> first = get(alone, "/s" + path);
            HttpResponse<String> second = get(alone, "/s" + path);

            assertThat(first.statusCode()).isEqualTo(200);
            assertThat(cacheStatus(second)).isEqualTo("Portico; fwd=miss; detail=store-error");
            assertThat(hits(path)).isEqualTo(2);
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("no redis settings");
        } finally {
            alone.close();
        }
    }

    private static long recoveries(LogCapture log) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains("available again")).count();
    }
}

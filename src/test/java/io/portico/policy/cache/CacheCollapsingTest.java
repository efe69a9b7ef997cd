package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Request collapsing of the {@code cache} policy, through a real node and a real upstream that responds slowly and
 * records when each request arrives. Every test uses paths of its own, so no entry or count leaks between tests.
 */
class CacheCollapsingTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    /** How long the upstream takes to respond to {@code /slow/...}. */
    private static final long SLOW_MILLIS = 1000;
    /** How long the upstream takes to respond to the paths whose response is not stored, and to {@code /vary/...}. */
    private static final long DELAY_MILLIS = 500;
    /** How long the upstream takes to respond to {@code /hang/...}, longer than the short route's lock timeout. */
    private static final long HANG_MILLIS = 1500;
    /** The {@code lock.timeout} of the route under {@code /s}. */
    private static final long SHORT_LOCK_MILLIS = 300;

    /** The arrival times at the upstream, in {@link System#nanoTime()} units, of each path's requests. */
    private static final Map<String, List<Long>> ARRIVALS = new ConcurrentHashMap<>();

    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestRedis redis;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(CacheCollapsingTest::serve);
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        redis = TestRedis.start();
        node = TestNode.start(Map.of("redis.url", redis.url(), "redis.timeout", "2s"));
        node.apply(config().build());
    }

    private static Configs config() {
        Configs config = Configs.document();
        // One attempt per request, so that a failed upstream request fails the exchange instead of being retried.
        config.service("origin", upstream.actualPort()).putObject("retries").put("attempts", 1);
        cacheRoute(config, "cached", "/c").put("maxObjectSize", 1024);
        cacheRoute(config, "short", "/s").putObject("lock").put("timeout", SHORT_LOCK_MILLIS + "ms");
        cacheRoute(config, "off", "/o").putObject("lock").put("enabled", false);
        cacheRoute(config, "shared", "/r").put("store", "redis");
        return config;
    }

    /** Adds a route under {@code prefix} with a cache policy; returns the policy's configuration. */
    private static ObjectNode cacheRoute(Configs config, String name, String prefix) {
        ObjectNode route = config.route(name, "origin", prefix).put("stripPrefix", true);
        return route.putArray("policies").addObject().put("name", "cache").putObject("config");
    }

    /**
     * Responds as the first segment of the path selects, after that kind's delay, and records the arrival of each
     * request. The body of a stored kind is {@code response N of PATH}, N counting the path's requests.
     */
    private static void serve(HttpServerRequest request) {
        String path = request.path();
        List<Long> arrivals = ARRIVALS.computeIfAbsent(path, unused -> new CopyOnWriteArrayList<>());
        arrivals.add(System.nanoTime());
        int count = arrivals.size();
        String kind = path.substring(1, path.indexOf('/', 1));
        HttpServerResponse response = request.response().putHeader("content-type", "text/plain");
        String body = "response " + count + " of " + path;
        switch (kind) {
            case "slow" -> later(SLOW_MILLIS, () -> response.putHeader("cache-control", "max-age=60").end(body));
            case "hang" -> later(HANG_MILLIS, () -> response.putHeader("cache-control", "max-age=60").end(body));
            case "private" -> later(DELAY_MILLIS, () -> response.putHeader("cache-control", "private, max-age=60")
                    .end(body));
            case "no-store" -> later(DELAY_MILLIS, () -> response.putHeader("cache-control", "no-store").end(body));
            case "vary-star" -> later(DELAY_MILLIS, () -> response.putHeader("cache-control", "max-age=60")
                    .putHeader("vary", "*").end(body));
            case "error" -> later(DELAY_MILLIS, () -> response.setStatusCode(503).end(body));
            case "large" -> later(DELAY_MILLIS, () -> response.putHeader("cache-control", "max-age=60")
                    .end("x".repeat(2048)));
            case "large-stream" -> {
                response.putHeader("cache-control", "max-age=60").setChunked(true).write("start;");
                later(DELAY_MILLIS, () -> response.end("x".repeat(2048)));
            }
            case "stream" -> {
                response.putHeader("cache-control", "max-age=60").setChunked(true).write("first;");
                later(SLOW_MILLIS, () -> response.end("second"));
            }
            case "vary" -> later(DELAY_MILLIS, () -> response.putHeader("cache-control", "max-age=60")
                    .putHeader("vary", "Accept-Language").end(body + " in " + request.getHeader("accept-language")));
            case "fail" -> {
                if (count == 1) {
                    later(DELAY_MILLIS, () -> request.connection().close());
                } else {
                    response.putHeader("cache-control", "max-age=60").end(body);
                }
            }
            default -> response.setStatusCode(404).end();
        }
    }

    private static void later(long millis, Runnable action) {
        vertx.setTimer(millis, id -> action.run());
    }

    @AfterAll
    static void stop() {
        node.close();
        redis.close();
        vertx.close();
    }

    private static String path(String kind) {
        return "/" + kind + "/" + UUID.randomUUID();
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(20));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return CLIENT.sendAsync(builder.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Sends {@code count} identical GET requests at once and returns their responses in the order sent. */
    private static List<HttpResponse<String>> concurrently(int count, String path, String... headers) {
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            sent.add(sendAsync(path, headers));
        }
        return sent.stream().map(CacheCollapsingTest::join).toList();
    }

    private static HttpResponse<String> join(CompletableFuture<HttpResponse<String>> response) {
        try {
            return response.get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("a request through the node failed", e);
        }
    }

    private static String cacheStatus(HttpResponse<?> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private static List<Long> arrivals(String path) {
        return ARRIVALS.getOrDefault(path, List.of());
    }

    private static int requests(String path) {
        return arrivals(path).size();
    }

    /** Waits until the upstream has received {@code count} requests for {@code path}. */
    private static void awaitRequests(String path, int count) {
        Conditions.eventually(count + " requests for " + path + " reach the upstream",
                () -> requests(path) >= count);
    }

    /** Returns how long after the first request for {@code path} its request {@code index} arrived, in ms. */
    private static long millisAfterFirst(String path, int index) {
        return TimeUnit.NANOSECONDS.toMillis(arrivals(path).get(index) - arrivals(path).get(0));
    }

    /** Opens a connection to the node and sends a GET for {@code path} on it, without reading the response. */
    private static Socket sendRaw(String path) throws IOException {
        Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort());
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void identicalMissesReachUpstreamOnce() {
        String path = path("slow");

        List<HttpResponse<String>> responses = concurrently(20, "/c" + path);

        assertThat(requests(path)).isEqualTo(1);
        assertThat(responses).hasSize(20);
        assertThat(responses).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("response 1 of " + path);
        });
        List<String> statuses = responses.stream().map(CacheCollapsingTest::cacheStatus).toList();
        assertThat(statuses).filteredOn(status -> status.equals("Portico; fwd=uri-miss; fwd-status=200; stored"))
                .hasSize(1);
        assertThat(statuses).filteredOn(status -> status.startsWith("Portico; fwd=uri-miss; collapsed; ttl="))
                .hasSize(19);
    }

    @Test
    void unstoredResponseSendsWaitersUpstream() {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("private", "detail=private");
        details.put("no-store", "detail=no-store");
        details.put("vary-star", "detail=vary");
        details.put("large", "detail=too-large");
        details.put("error", "detail=status");
        // Exceeds maxObjectSize only while its body streams in, after the head was relayed.
        details.put("large-stream", "fwd-status=200");
        for (Map.Entry<String, String> kind : details.entrySet()) {
            String path = path(kind.getKey());
            CompletableFuture<HttpResponse<String>> leader = sendAsync("/c" + path);
            awaitRequests(path, 1);

            List<HttpResponse<String>> waiters = concurrently(4, "/c" + path);

            assertThat(cacheStatus(join(leader))).as(kind.getKey()).contains(kind.getValue())
                    .doesNotContain("stored");
            assertThat(requests(path)).as(kind.getKey()).isEqualTo(5);
            for (int i = 1; i < 5; i++) {
                // Each waiting request went upstream once the first response showed that it is not stored.
                assertThat(millisAfterFirst(path, i)).as(kind.getKey()).isGreaterThanOrEqualTo(DELAY_MILLIS - 50);
            }
            assertThat(waiters).as(kind.getKey()).allSatisfy(waiter -> {
                assertThat(waiter.statusCode()).isEqualTo(kind.getKey().equals("error") ? 503 : 200);
                assertThat(cacheStatus(waiter)).contains("collapsed=?0").contains(kind.getValue());
            });
        }
    }

    @Test
    void lockTimeoutSendsWaitersUpstream() {
        String path = path("hang");
        CompletableFuture<HttpResponse<String>> leader = sendAsync("/s" + path);
        awaitRequests(path, 1);

        List<HttpResponse<String>> waiters = concurrently(3, "/s" + path);

        assertThat(join(leader).statusCode()).isEqualTo(200);
        assertThat(requests(path)).isEqualTo(4);
        for (int i = 1; i < 4; i++) {
            assertThat(millisAfterFirst(path, i)).isGreaterThanOrEqualTo(SHORT_LOCK_MILLIS - 50);
            assertThat(millisAfterFirst(path, i)).isLessThan(HANG_MILLIS);
        }
        assertThat(waiters).allSatisfy(waiter -> {
            assertThat(waiter.statusCode()).isEqualTo(200);
            assertThat(cacheStatus(waiter)).startsWith("Portico; fwd=uri-miss; collapsed=?0; fwd-status=200");
        });
    }

    @Test
    void upstreamFailureGivesWaitersTheirOwnAttempt() {
        String path = path("fail");
        CompletableFuture<HttpResponse<String>> leader = sendAsync("/c" + path);
        awaitRequests(path, 1);

        List<HttpResponse<String>> waiters = concurrently(4, "/c" + path);

        assertThat(join(leader).statusCode()).isEqualTo(502);
        assertThat(requests(path)).isEqualTo(5);
        assertThat(waiters).allSatisfy(waiter -> {
            assertThat(waiter.statusCode()).isEqualTo(200);
            assertThat(waiter.body()).startsWith("response ").endsWith(" of " + path);
            assertThat(cacheStatus(waiter)).startsWith("Portico; fwd=uri-miss; collapsed=?0; fwd-status=200");
        });
    }

    @Test
    void waiterDisconnectLeavesOthersServed() throws IOException {
        String path = path("slow");
        CompletableFuture<HttpResponse<String>> leader = sendAsync("/c" + path);
        awaitRequests(path, 1);
        Socket leaving = sendRaw("/c" + path);
        // Long enough for the node to have the request waiting before its client goes away.
        sleep(200);
        leaving.close();

        List<HttpResponse<String>> waiters = concurrently(3, "/c" + path);

        assertThat(join(leader).body()).isEqualTo("response 1 of " + path);
        assertThat(requests(path)).isEqualTo(1);
        assertThat(waiters).allSatisfy(waiter -> {
            assertThat(waiter.statusCode()).isEqualTo(200);
            assertThat(waiter.body()).isEqualTo("response 1 of " + path);
            assertThat(cacheStatus(waiter)).startsWith("Portico; fwd=uri-miss; collapsed; ttl=");
        });
    }

    @Test
    void leaderDisconnectSendsWaitersUpstream() throws IOException {
        String path = path("slow");
        Socket leader = sendRaw("/c" + path);
        awaitRequests(path, 1);
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            sent.add(sendAsync("/c" + path));
        }
        sleep(200);

        leader.close();
        List<HttpResponse<String>> waiters = sent.stream().map(CacheCollapsingTest::join).toList();

        assertThat(requests(path)).isEqualTo(4);
        for (int i = 1; i < 4; i++) {
            assertThat(millisAfterFirst(path, i)).isLessThan(SLOW_MILLIS);
        }
        assertThat(waiters).allSatisfy(waiter -> {
            assertThat(waiter.statusCode()).isEqualTo(200);
            assertThat(cacheStatus(waiter)).startsWith("Portico; fwd=uri-miss; collapsed=?0; fwd-status=200");
        });
    }

    @Test
    void streamingLeaderRelaysBeforeWaitersAreServed() throws Exception {
        String path = path("stream");
        long sentAt = System.nanoTime();
        HttpResponse<InputStream> leader = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/c" + path))
                .timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = leader.body()) {
            String first = new String(body.readNBytes("first;".length()), StandardCharsets.UTF_8);
            long firstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sentAt);

            List<HttpResponse<String>> waiters = concurrently(4, "/c" + path);
            String rest = new String(body.readAllBytes(), StandardCharsets.UTF_8);

            assertThat(first).isEqualTo("first;");
            assertThat(firstMillis).isLessThan(SLOW_MILLIS);
            assertThat(rest).isEqualTo("second");
            assertThat(requests(path)).isEqualTo(1);
            assertThat(waiters).allSatisfy(waiter -> {
                assertThat(waiter.body()).isEqualTo("first;second");
                assertThat(cacheStatus(waiter)).startsWith("Portico; fwd=uri-miss; collapsed; ttl=");
            });
        }
    }

    @Test
    void varyVariantsCollapseSeparately() {
        String path = path("vary");
        List<CompletableFuture<HttpResponse<String>>> english = new ArrayList<>();
        List<CompletableFuture<HttpResponse<String>>> french = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            english.add(sendAsync("/c" + path, "Accept-Language", "en"));
            french.add(sendAsync("/c" + path, "Accept-Language", "fr"));
        }

        List<HttpResponse<String>> englishResponses = english.stream().map(CacheCollapsingTest::join).toList();
        List<HttpResponse<String>> frenchResponses = french.stream().map(CacheCollapsingTest::join).toList();

        // The first request leads for both languages; the first waiting French request then leads for its variant.
        assertThat(requests(path)).isEqualTo(2);
        assertThat(englishResponses).allSatisfy(response -> assertThat(response.body()).endsWith(" in en"));
        assertThat(frenchResponses).allSatisfy(response -> assertThat(response.body()).endsWith(" in fr"));
        assertThat(englishResponses.stream().map(HttpResponse::body).distinct()).hasSize(1);
        assertThat(frenchResponses.stream().map(HttpResponse::body).distinct()).hasSize(1);
    }

    @Test
    void bypassingRequestsNeverWait() {
        String path = path("slow");
        CompletableFuture<HttpResponse<String>> leader = sendAsync("/c" + path);
        awaitRequests(path, 1);

        CompletableFuture<HttpResponse<String>> noCache = sendAsync("/c" + path, "Cache-Control", "no-cache");
        CompletableFuture<HttpResponse<String>> authorized = sendAsync("/c" + path, "Authorization", "Bearer t");
        awaitRequests(path, 3);

        assertThat(millisAfterFirst(path, 1)).isLessThan(SLOW_MILLIS / 2);
        assertThat(millisAfterFirst(path, 2)).isLessThan(SLOW_MILLIS / 2);
        assertThat(cacheStatus(join(noCache))).startsWith("Portico; fwd=request; fwd-status=200");
        assertThat(cacheStatus(join(authorized))).startsWith("Portico; fwd=uri-miss; fwd-status=200");
        assertThat(join(leader).statusCode()).isEqualTo(200);
    }

    @Test
    void disabledLockForwardsEveryMiss() {
        String path = path("slow");

        List<HttpResponse<String>> responses = concurrently(5, "/o" + path);

        assertThat(requests(path)).isEqualTo(5);
        assertThat(responses).allSatisfy(response -> assertThat(cacheStatus(response))
                .startsWith("Portico; fwd=uri-miss; fwd-status=200"));
    }

    @Test
    void redisStoreCollapsesMisses() {
        String path = path("slow");

        List<HttpResponse<String>> responses = concurrently(20, "/r" + path);

        assertThat(requests(path)).isEqualTo(1);
        assertThat(responses).allSatisfy(response -> {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("response 1 of " + path);
        });
        assertThat(responses.stream().map(CacheCollapsingTest::cacheStatus))
                .filteredOn(status -> status.startsWith("Portico; fwd=uri-miss; collapsed; ttl=")).hasSize(19);
        // Only this test uses the route, and a node records each request's metrics once its exchange has ended.
        String collapsed = "portico_cache_requests_total{outcome=\"collapsed\",route=\"shared\"} 19.0";
        Conditions.eventually("the metrics count 19 collapsed requests", () -> node.adminRaw("GET", "/metrics", null)
                .body().lines().anyMatch(collapsed::equals));
    }

    @Test
    void invalidLockSettingsAreRejected() throws IOException {
        Configs config = config();
        ObjectNode lock = cacheRoute(config, "broken", "/broken").putObject("lock");
        lock.put("enabled", "yes").put("timeout", "2m").put("wait", "1s");
        ObjectNode notObject = cacheRoute(config, "flat", "/flat");
        notObject.put("lock", true);

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(type -> assertThat(type)
                .contains("application/problem+json"));
        JsonNode problem = Json.MAPPER.readTree(response.body());
        List<String> fields = new ArrayList<>();
        ((ArrayNode) problem.get("errors")).forEach(error -> fields.add(error.get("field").asText()));
        assertThat(fields).anySatisfy(field -> assertThat(field).endsWith("config.lock.enabled"));
        assertThat(fields).anySatisfy(field -> assertThat(field).endsWith("config.lock.timeout"));
        assertThat(fields).anySatisfy(field -> assertThat(field).endsWith("config.lock.wait"));
        assertThat(fields).anySatisfy(field -> assertThat(field).endsWith("config.lock"));
    }
}

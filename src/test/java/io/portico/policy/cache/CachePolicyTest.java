package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The {@code cache} policy on REST routes, through a real node and an upstream that counts its requests. */
class CachePolicyTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static HttpServer upstream;
    private static final Map<String, AtomicInteger> HITS = new ConcurrentHashMap<>();
    /** The {@code Vary} value of {@code /vary-changes}; empty for none. */
    private static final AtomicReference<String> CHANGING_VARY = new AtomicReference<>("");
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off. This node writes it, for its cache field.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(CachePolicyTest::serve);
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("origin", upstream.actualPort());
        ObjectNode cached = config.route("cached", "origin", "/c").put("stripPrefix", true);
        cached.putArray("policies").addObject().put("name", "cache").putObject("config")
                .put("maxObjectSize", 1024);
        ObjectNode tenants = config.route("tenants", "origin", "/t").put("stripPrefix", true);
        ObjectNode tenantCache = tenants.putArray("policies").addObject().put("name", "cache").putObject("config");
        tenantCache.putArray("key").add("method").add("path").add("header:X-Tenant");
        ObjectNode heuristic = config.route("heuristic", "origin", "/h").put("stripPrefix", true);
        heuristic.putArray("policies").addObject().put("name", "cache").putObject("config")
                .put("defaultTtl", "1m");
        node.apply(config.build());
    }

    /** Responds to each path with the caching headers its name describes and counts the requests per path. */
    private static void serve(HttpServerRequest request) {
        String path = request.path();
        int hit = HITS.computeIfAbsent(path, unused -> new AtomicInteger()).incrementAndGet();
        HttpServerResponse response = request.response().putHeader("content-type", "text/plain");
        String body = "response " + hit + " of " + path;
        switch (path) {
            case "/fresh", "/auth-public" -> response.putHeader("cache-control", path.equals("/fresh")
                    ? "max-age=60" : "public, max-age=60");
            case "/short" -> response.putHeader("cache-control", "max-age=1");
            case "/max-age-abc" -> response.putHeader("cache-control", "max-age=abc");
            case "/max-age-negative" -> response.putHeader("cache-control", "max-age=-5");
            case "/s-maxage-invalid" -> response.putHeader("cache-control", "s-maxage=soon, max-age=60");
            case "/expires-invalid" -> response.putHeader("expires", "garbage");
            case "/vary" -> {
                response.putHeader("cache-control", "max-age=60").putHeader("vary", "Accept-Language");
                body += " in " + request.getHeader("accept-language");
            }
            case "/vary-changes" -> {
                response.putHeader("cache-control", "max-age=60");
                if (!CHANGING_VARY.get().isEmpty()) {
                    response.putHeader("vary", CHANGING_VARY.get());
                }
            }
            case "/private" -> response.putHeader("cache-control", "private, max-age=60");
            case "/no-store" -> response.putHeader("cache-control", "no-store");
            case "/etag" -> response.putHeader("cache-control", "max-age=60").putHeader("etag", "\"v1\"");
            case "/big" -> {
                response.putHeader("cache-control", "max-age=60").setChunked(true);
                for (int i = 0; i < 4; i++) {
                    response.write("x".repeat(1024));
                }
                response.end();
                return;
            }
            default -> {
                // No caching headers: /plain.
            }
        }
        response.end(body);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        vertx.close();
    }

    @BeforeEach
    void purge() {
        node.admin("DELETE", "/admin/v1/cache", null, 200);
    }

    private static HttpResponse<String> send(String method, String path, String... headers) {
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

    private static HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, headers);
    }

    private static String cacheStatus(HttpResponse<String> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private static int hits(String path) {
        AtomicInteger count = HITS.get(path);
        return count == null ? 0 : count.get();
    }

    /** Returns the number of entries in the node's local store, which every route of this class uses. */
    private static long localEntries() {
        return node.admin("GET", "/admin/v1/cache", null, 200).path("stores").path(0).path("entries").asLong();
    }

    /** Waits until the local store contains {@code count} entries, since a node writes each one after its response. */
    private static void awaitEntries(long count) {
        Conditions.eventually(count + " entries are stored", () -> localEntries() == count);
    }

    /** Stores the English and French variants of {@code /vary-changes}, under {@code Vary: Accept-Language}. */
    private static void storeEnglishAndFrench() {
        CHANGING_VARY.set("Accept-Language");
        get("/c/vary-changes", "Accept-Language", "en");
        get("/c/vary-changes", "Accept-Language", "fr");
        // The marker and two variants, written once each response has ended on the node.
        awaitEntries(3);
    }

    /** Sends GET requests until one is a hit, which shows that the node has written the entry it needs. */
    private static void awaitHit(String path, String... headers) {
        Conditions.eventually("a GET of " + path + " is a hit",
                () -> cacheStatus(get(path, headers)).startsWith("Portico; hit"));
    }

    @Test
    void secondRequestIsServedFromCache() {
        int before = hits("/fresh");

        HttpResponse<String> first = get("/c/fresh");
        HttpResponse<String> second = get("/c/fresh");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(first)).isEqualTo("Portico; fwd=uri-miss; fwd-status=200; stored");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(second.body()).isEqualTo(first.body());
        assertThat(cacheStatus(second)).startsWith("Portico; hit; ttl=");
        assertThat(second.headers().firstValue("age")).isPresent();
        assertThat(second.headers().firstValue("x-request-id"))
                .isNotEqualTo(first.headers().firstValue("x-request-id"));
        assertThat(second.headers().allValues("x-request-id")).hasSize(1);
        assertThat(hits("/fresh")).isEqualTo(before + 1);
    }

    @Test
    void headIsAnsweredFromStoredGet() {
        String body = get("/c/fresh").body();
        int before = hits("/fresh");

        HttpResponse<String> head = send("HEAD", "/c/fresh");

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(head)).startsWith("Portico; hit");
        assertThat(head.headers().firstValue("content-length")).hasValue(Integer.toString(body.length()));
        assertThat(head.headers().allValues("x-request-id")).hasSize(1);
        assertThat(hits("/fresh")).isEqualTo(before);
    }

    @Test
    void hitCarriesClientRequestIdOnly() {
        get("/c/fresh");

        HttpResponse<String> hit = get("/c/fresh", "X-Request-Id", "client-id-1");

        assertThat(cacheStatus(hit)).startsWith("Portico; hit");
        assertThat(hit.headers().allValues("x-request-id")).containsExactly("client-id-1");
    }

    @Test
    void varyKeepsOneVariantPerHeaderValue() {
        int before = hits("/vary");

        HttpResponse<String> english = get("/c/vary", "Accept-Language", "en");
        HttpResponse<String> french = get("/c/vary", "Accept-Language", "fr");
        HttpResponse<String> englishAgain = get("/c/vary", "Accept-Language", "en");

        assertThat(english.body()).endsWith("in en");
        assertThat(french.body()).endsWith("in fr");
        assertThat(cacheStatus(french)).contains("fwd=vary-miss");
        assertThat(englishAgain.body()).isEqualTo(english.body());
        assertThat(cacheStatus(englishAgain)).startsWith("Portico; hit");
        assertThat(hits("/vary")).isEqualTo(before + 2);
    }

    @Test
    void responsesThatForbidStoringAreForwarded() {
        for (String path : new String[] {"/private", "/no-store", "/plain"}) {
            int before = hits(path);

            HttpResponse<String> first = get("/c" + path);
            HttpResponse<String> second = get("/c" + path);

            assertThat(hits(path)).as(path).isEqualTo(before + 2);
            assertThat(cacheStatus(second)).as(path).contains("fwd=uri-miss").doesNotContain("stored");
            assertThat(first.statusCode()).as(path).isEqualTo(200);
        }
        assertThat(cacheStatus(get("/c/private"))).contains("detail=private");
        assertThat(cacheStatus(get("/c/no-store"))).contains("detail=no-store");
        assertThat(cacheStatus(get("/c/plain"))).contains("detail=no-lifetime");
    }

    @Test
    void defaultTtlCachesResponsesWithoutLifetime() {
        int before = hits("/plain");

        get("/h/plain");
        HttpResponse<String> second = get("/h/plain");

        assertThat(cacheStatus(second)).startsWith("Portico; hit");
        assertThat(hits("/plain")).isEqualTo(before + 1);
    }

    @Test
    void invalidFreshnessIsStaleDespiteDefaultTtl() {
        for (String path : new String[] {"/max-age-abc", "/max-age-negative", "/s-maxage-invalid",
            "/expires-invalid"}) {
            int before = hits(path);

            HttpResponse<String> first = get("/h" + path);
            HttpResponse<String> second = get("/h" + path);

            assertThat(cacheStatus(first)).as(path).isEqualTo("Portico; fwd=uri-miss; fwd-status=200; detail=stale");
            assertThat(cacheStatus(second)).as(path).contains("fwd=uri-miss");
            assertThat(hits(path)).as(path).isEqualTo(before + 2);
        }
    }

    @Test
    void oversizedBodyIsNotStored() {
        int before = hits("/big");

        HttpResponse<String> first = get("/c/big");
        HttpResponse<String> second = get("/c/big");

        assertThat(first.body()).hasSize(4096);
        assertThat(second.body()).hasSize(4096);
        assertThat(hits("/big")).isEqualTo(before + 2);
    }

    @Test
    void requestDirectivesBypassStoredResponse() {
        get("/c/fresh");
        int before = hits("/fresh");

        HttpResponse<String> noCache = get("/c/fresh", "Cache-Control", "no-cache");
        HttpResponse<String> pragma = get("/c/fresh", "Pragma", "no-cache");
        HttpResponse<String> fresher = get("/c/fresh", "Cache-Control", "min-fresh=120");

        assertThat(cacheStatus(noCache)).contains("fwd=request");
        assertThat(cacheStatus(pragma)).contains("fwd=request");
        assertThat(cacheStatus(fresher)).contains("fwd=request");
        assertThat(hits("/fresh")).isEqualTo(before + 3);
    }

    @Test
    void invalidRequestFreshnessIsForwarded() {
        get("/c/fresh");
        int before = hits("/fresh");

        for (String directive : new String[] {"max-age=abc", "max-age=-5", "max-age", "min-fresh=soon", "min-fresh"}) {
            HttpResponse<String> response = get("/c/fresh", "Cache-Control", directive);
            assertThat(cacheStatus(response)).as(directive).contains("fwd=request");
        }
        HttpResponse<String> valid = get("/c/fresh", "Cache-Control", "max-age=3600");

        assertThat(hits("/fresh")).isEqualTo(before + 5);
        assertThat(cacheStatus(valid)).startsWith("Portico; hit; ttl=");
    }

    @Test
    void onlyIfCachedMissGives504() {
        HttpResponse<String> response = get("/c/fresh", "Cache-Control", "only-if-cached");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("https://portico.dev/problems/not-cached");
    }

    @Test
    void onlyIfCachedWithNoCacheGives504() {
        get("/c/fresh");
        int before = hits("/fresh");

        HttpResponse<String> response = get("/c/fresh", "Cache-Control", "only-if-cached, no-cache");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(response.body()).contains("https://portico.dev/problems/not-cached");
        assertThat(cacheStatus(response)).isEqualTo("Portico; fwd=request");
        assertThat(hits("/fresh")).isEqualTo(before);
    }

    @Test
    void onlyIfCachedTooOldNamesRequest() {
        get("/c/fresh");

        HttpResponse<String> response = get("/c/fresh", "Cache-Control", "only-if-cached, min-fresh=100000");

        assertThat(response.statusCode()).isEqualTo(504);
        assertThat(cacheStatus(response)).isEqualTo("Portico; fwd=request");
    }

    @Test
    void onlyIfCachedLogsCacheOutcome() {
        try (LogCapture log = new LogCapture("portico.access")) {
            get("/c/fresh", "Cache-Control", "only-if-cached, no-cache");
            get("/c/never-stored", "Cache-Control", "only-if-cached");
            Conditions.eventually("two access-log lines of 504 responses", () -> rejected(log).size() == 2);

            assertThat(rejected(log)).filteredOn(line -> line.contains("cache=forward")).hasSize(1);
            assertThat(rejected(log)).filteredOn(line -> line.contains("cache=miss")).hasSize(1);
        }
    }

    private static List<String> rejected(LogCapture log) {
        return log.allMessages().stream().filter(line -> line.contains("status=504")).toList();
    }

    @Test
    void matchingEtagGives304FromCache() {
        get("/c/etag");
        int before = hits("/etag");

        HttpResponse<String> response = get("/c/etag", "If-None-Match", "W/\"v1\"");

        assertThat(response.statusCode()).isEqualTo(304);
        assertThat(response.body()).isEmpty();
        assertThat(hits("/etag")).isEqualTo(before);
    }

    @Test
    void authorizationNeedsPublicResponse() {
        int fresh = hits("/fresh");
        int open = hits("/auth-public");

        get("/c/fresh", "Authorization", "Bearer a");
        HttpResponse<String> rejected = get("/c/fresh", "Authorization", "Bearer a");
        get("/c/auth-public", "Authorization", "Bearer a");
        HttpResponse<String> served = get("/c/auth-public", "Authorization", "Bearer a");

        assertThat(cacheStatus(rejected)).contains("detail=authorization");
        assertThat(hits("/fresh")).isEqualTo(fresh + 2);
        assertThat(cacheStatus(served)).startsWith("Portico; hit");
        assertThat(hits("/auth-public")).isEqualTo(open + 1);
    }

    @Test
    void expiredResponseIsFetchedAgain() throws Exception {
        int before = hits("/short");
        get("/c/short");

        Thread.sleep(1_100);
        JsonNode stats = node.admin("GET", "/admin/v1/cache", null, 200).path("stores").path(0);
        HttpResponse<String> later = get("/c/short");

        assertThat(cacheStatus(later)).contains("fwd=").doesNotContain("hit");
        assertThat(hits("/short")).isEqualTo(before + 2);
        // The store is far from full: the expired entry counts as an expiration, not as an eviction.
        assertThat(stats.path("expirations").asLong()).isPositive();
        assertThat(stats.path("evictions").asLong()).isZero();
    }

    @Test
    void headerInKeySeparatesEntries() {
        int before = hits("/fresh");

        HttpResponse<String> first = get("/t/fresh", "X-Tenant", "a");
        HttpResponse<String> other = get("/t/fresh", "X-Tenant", "b");
        HttpResponse<String> again = get("/t/fresh", "X-Tenant", "a");

        assertThat(cacheStatus(other)).contains("fwd=uri-miss");
        assertThat(cacheStatus(again)).startsWith("Portico; hit");
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(hits("/fresh")).isEqualTo(before + 2);
    }

    @Test
    void http2RequestIsServedFromCache() throws Exception {
        int before = hits("/fresh");
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(node.portico().httpPort())
                .setURI("/c/fresh");
        try {
            for (int i = 0; i < 2; i++) {
                String status = ContextRequests.send(vertx, () -> client.request(options)
                        .compose(request -> request.send().map(response -> {
                            assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                            return response.getHeader("cache-status");
                        })));
                assertThat(status).startsWith(i == 0 ? "Portico; fwd=uri-miss" : "Portico; hit");
            }
        } finally {
            client.close();
        }
        assertThat(hits("/fresh")).isEqualTo(before + 1);
    }

    @Test
    void postIsBypassed() {
        HttpResponse<String> response = send("POST", "/c/fresh");

        assertThat(cacheStatus(response)).isEqualTo("Portico; fwd=bypass");
    }

    @Test
    void successfulUnsafeRequestInvalidatesEntry() {
        get("/c/fresh");
        get("/c/vary", "Accept-Language", "en");
        int before = hits("/fresh");

        send("PUT", "/c/fresh");
        send("DELETE", "/c/vary");
        HttpResponse<String> fresh = get("/c/fresh");
        HttpResponse<String> vary = get("/c/vary", "Accept-Language", "en");

        assertThat(cacheStatus(fresh)).contains("fwd=uri-miss");
        assertThat(cacheStatus(vary)).contains("fwd=uri-miss");
        assertThat(hits("/fresh")).isEqualTo(before + 2);
    }

    @Test
    void successfulUnsafeRequestRemovesEveryVariant() {
        HttpResponse<String> german = get("/c/vary", "Accept-Language", "de");
        get("/c/vary", "Accept-Language", "fr");
        // The marker and two variants, written once each response has ended on the node.
        awaitEntries(3);
        assertThat(cacheStatus(get("/c/vary", "Accept-Language", "de"))).startsWith("Portico; hit");

        assertThat(send("POST", "/c/vary").statusCode()).isEqualTo(200);
        // The removal runs once the POST's response head has arrived at the node.
        awaitEntries(0);
        HttpResponse<String> french = get("/c/vary", "Accept-Language", "fr");
        awaitEntries(2);
        HttpResponse<String> germanAgain = get("/c/vary", "Accept-Language", "de");

        assertThat(cacheStatus(french)).contains("fwd=uri-miss");
        assertThat(cacheStatus(germanAgain)).contains("fwd=vary-miss");
        assertThat(germanAgain.body()).endsWith("in de").isNotEqualTo(german.body());
    }

    @Test
    void newVaryRemovesVariantsOfPreviousVary() {
        storeEnglishAndFrench();

        CHANGING_VARY.set("Accept-Encoding");
        HttpResponse<String> changed = get("/c/vary-changes", "Accept-Language", "de");
        awaitHit("/c/vary-changes", "Accept-Language", "en");
        long entries = localEntries();
        HttpResponse<String> english = get("/c/vary-changes", "Accept-Language", "en");

        assertThat(cacheStatus(changed)).contains("fwd=vary-miss");
        // The new marker and its one variant; the English and French variants were removed.
        assertThat(entries).isEqualTo(2);
        assertThat(english.body()).isEqualTo(changed.body());
    }

    @Test
    void responseWithoutVaryRemovesVariants() {
        storeEnglishAndFrench();

        CHANGING_VARY.set("");
        HttpResponse<String> plain = get("/c/vary-changes", "Accept-Language", "de");
        awaitHit("/c/vary-changes", "Accept-Language", "fr");
        long entries = localEntries();

        assertThat(cacheStatus(plain)).contains("fwd=vary-miss");
        assertThat(entries).isEqualTo(1);
    }

    @Test
    void concurrentVariantsRemovedWithMarker() throws Exception {
        CHANGING_VARY.set("Accept-Language");
        int count = 32;
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/c/vary-changes"))
                    .header("Accept-Language", "at-once-" + i).timeout(Duration.ofSeconds(10)).build();
            sent.add(CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
        }
        CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);
        awaitEntries(1 + count);

        CHANGING_VARY.set("Accept-Encoding");
        get("/c/vary-changes", "Accept-Language", "other");
        awaitHit("/c/vary-changes", "Accept-Language", "other");

        // The new marker and its one variant, because the old marker listed every concurrent variant.
        assertThat(localEntries()).isEqualTo(2);
    }

    @Test
    void markerKeepsAtMostMaxVariants() {
        CHANGING_VARY.set("Accept-Language");
        for (int i = 0; i <= Variants.MAX_VARIANTS; i++) {
            get("/c/vary-changes", "Accept-Language", "lang-" + i);
        }
        awaitHit("/c/vary-changes", "Accept-Language", "lang-" + Variants.MAX_VARIANTS);
        long entries = localEntries();

        HttpResponse<String> second = get("/c/vary-changes", "Accept-Language", "lang-1");
        HttpResponse<String> first = get("/c/vary-changes", "Accept-Language", "lang-0");

        // The marker and the newest variants; the first one stored, whose freshness ends first, was removed.
        assertThat(entries).isEqualTo(1 + Variants.MAX_VARIANTS);
        assertThat(cacheStatus(second)).startsWith("Portico; hit");
        assertThat(cacheStatus(first)).contains("fwd=vary-miss");
    }

    @Test
    void purgeByKeyRemovesMarkerAndVariants() {
        storeEnglishAndFrench();

        JsonNode purged = node.admin("DELETE", "/admin/v1/cache?prefix=cached%20GET%20127.0.0.1%20/c/vary-changes",
                null, 200);

        assertThat(purged.path("purged").asLong()).isEqualTo(3);
        assertThat(localEntries()).isZero();
        assertThat(cacheStatus(get("/c/vary-changes", "Accept-Language", "en"))).contains("fwd=uri-miss");
    }

    @Test
    void adminPurgesByRouteAndPrefix() {
        get("/c/fresh");
        get("/c/etag");
        get("/t/fresh", "X-Tenant", "a");
        // An entry is stored when the response has ended on the node, which can be just after the client read it.
        Conditions.eventually("three entries are stored", () -> node.admin("GET", "/admin/v1/cache", null, 200)
                .path("stores").path(0).path("entries").asLong() == 3);
        JsonNode stats = node.admin("GET", "/admin/v1/cache", null, 200).path("stores").path(0);
        assertThat(stats.path("type").asText()).isEqualTo("local");
        assertThat(stats.path("entries").asLong()).isEqualTo(3);
        assertThat(stats.path("bytes").asLong()).isPositive();

        JsonNode byPrefix = node.admin("DELETE", "/admin/v1/cache?prefix=cached%20GET%20127.0.0.1%20/c/etag", null,
                200);
        assertThat(byPrefix.path("purged").asLong()).isEqualTo(1);
        assertThat(cacheStatus(get("/c/etag"))).contains("fwd=uri-miss");
        assertThat(cacheStatus(get("/c/fresh"))).startsWith("Portico; hit");

        JsonNode byRoute = node.admin("DELETE", "/admin/v1/cache?route=tenants", null, 200);
        assertThat(byRoute.path("purged").asLong()).isEqualTo(1);
        assertThat(cacheStatus(get("/t/fresh", "X-Tenant", "a"))).contains("fwd=uri-miss");
        assertThat(cacheStatus(get("/c/fresh"))).startsWith("Portico; hit");

        JsonNode all = node.admin("DELETE", "/admin/v1/cache", null, 200);
        assertThat(all.path("purged").asLong()).isEqualTo(3);
        node.admin("DELETE", "/admin/v1/cache?route=a&prefix=b", null, 400);
    }

    @Test
    void purgeWithUnknownParameterRemovesNothing() throws Exception {
        get("/c/fresh");
        get("/t/fresh", "X-Tenant", "a");
        awaitEntries(2);

        Map<String, String> rejected = Map.of(
                "rout=tenants", "unknown query parameter 'rout'",
                "foo=bar", "unknown query parameter 'foo'",
                "route=tenants&route=cached", "query parameter 'route' is given 2 times",
                "store=redis", "this node has no cache store 'redis'");
        for (Map.Entry<String, String> query : rejected.entrySet()) {
            HttpResponse<String> response = node.adminRaw("DELETE", "/admin/v1/cache?" + query.getKey(), null);

            assertThat(response.statusCode()).as(query.getKey()).isEqualTo(400);
            assertThat(response.headers().firstValue("content-type")).as(query.getKey())
                    .contains("application/problem+json");
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.path("type").asText()).as(query.getKey())
                    .isEqualTo("https://portico.dev/problems/bad-request");
            assertThat(problem.path("detail").asText()).as(query.getKey()).contains(query.getValue());
        }
        assertThat(localEntries()).isEqualTo(2);
    }

    @Test
    void purgeOfOneStoreListsIt() {
        get("/c/fresh");
        awaitEntries(1);

        JsonNode purged = node.admin("DELETE", "/admin/v1/cache?store=local", null, 200);

        assertThat(purged.path("purged").asLong()).isEqualTo(1);
        assertThat(purged.path("stores")).hasSize(1);
        assertThat(purged.at("/stores/0/type").asText()).isEqualTo("local");
        assertThat(purged.at("/stores/0/purged").asLong()).isEqualTo(1);
        assertThat(localEntries()).isZero();
    }

    @Test
    void invalidConfigurationIsRejected() {
        Configs config = Configs.document();
        config.service("origin", upstream.actualPort());
        ObjectNode route = config.route("broken", "origin", "/broken");
        ObjectNode settings = ((ArrayNode) route.putArray("policies")).addObject().put("name", "cache")
                .putObject("config");
        settings.put("maxObjectSize", -1).put("defaultTtl", "soon").putArray("key").add("cookie");
        settings.putObject("chat").put("scope", "everyone");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("maxObjectSize", "defaultTtl", "key[0]", "chat.scope");
    }
}

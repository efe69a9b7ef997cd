package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@code cache} policy behind authentication policies on a real node: consumers alice and dave with key-auth
 * and basic-auth credentials, entries in a real Redis, and an upstream that returns the consumer header it received.
 */
class CacheConsumersTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ALICE_KEY = "pk_alice-cache-key-0123456789abcdef";
    private static final String DAVE_KEY = "pk_dave-cache-key-0123456789abcdef0";
    private static final String ALICE_PASSWORD = "alice-cache-password-1";
    private static final String DAVE_PASSWORD = "dave-cache-password-22";
    /** Upstream requests per path and consumer header, so that each test counts its own requests. */
    private static final Map<String, AtomicInteger> HITS = new ConcurrentHashMap<>();

    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestRedis redis;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(CacheConsumersTest::serve);
        upstream.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        redis = TestRedis.start();
        Configs config = Configs.document();
        config.service("origin", upstream.actualPort());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        config.resource("consumers", "dave").put("team", "shop");
        config.resource("credentials", "alice-key").put("consumer", "alice").put("type", "key-auth")
                .put("key", ALICE_KEY);
        config.resource("credentials", "dave-key").put("consumer", "dave").put("type", "key-auth")
                .put("key", DAVE_KEY);
        config.resource("credentials", "alice-login").put("consumer", "alice").put("type", "basic-auth")
                .put("username", "alice").put("password", ALICE_PASSWORD);
        config.resource("credentials", "dave-login").put("consumer", "dave").put("type", "basic-auth")
                .put("username", "dave").put("password", DAVE_PASSWORD);
        List<String> sharedKey = List.of("method", "host", "path", "query");
        cachedRoute(config, "shared-key", "/sk", "key-auth", sharedKey).put("query", "api_key");
        cachedRoute(config, "optional-shared", "/os", "key-auth", sharedKey).put("optional", true);
        cachedRoute(config, "default-key", "/dk", "key-auth", null).put("query", "api_key");
        cachedRoute(config, "optional-default", "/od", "key-auth", null).put("optional", true);
        cachedRoute(config, "basic", "/basic", "basic-auth", sharedKey);
        node = TestNode.start(Map.of("redis.url", redis.url(), "redis.timeout", "2s"));
        node.apply(config.build());
    }

    /**
     * Adds a route on {@code path} with an authentication policy of {@code authentication} and a cache in Redis
     * whose key has {@code key}, or the default key when null. Returns the authentication policy's config.
     */
    private static ObjectNode cachedRoute(Configs config, String name, String path, String authentication,
                                          List<String> key) {
        ArrayNode policies = config.route(name, "origin", path).putArray("policies");
        ObjectNode authConfig = policies.addObject().put("name", authentication).putObject("config");
        ObjectNode cache = policies.addObject().put("name", "cache").putObject("config").put("store", "redis");
        if (key != null) {
            ArrayNode parts = cache.putArray("key");
            key.forEach(parts::add);
        }
        return authConfig;
    }

    /**
     * Responds with the consumer named in {@code X-Consumer-Name} ({@code -} for none), the {@code Vary} value of the
     * {@code vary} parameter and the {@code Cache-Control} of the {@code cc} parameter ({@code max-age=60} without
     * one), after the milliseconds of the {@code delay} parameter.
     */
    private static void serve(HttpServerRequest request) {
        String consumer = request.getHeader("x-consumer-name") == null ? "-" : request.getHeader("x-consumer-name");
        int hit = HITS.computeIfAbsent(request.path() + " " + consumer, unused -> new AtomicInteger())
                .incrementAndGet();
        String cacheControl = request.getParam("cc") == null ? "max-age=60" : request.getParam("cc");
        request.response().putHeader("cache-control", cacheControl).putHeader("content-type", "text/plain");
        if (request.getParam("vary") != null) {
            request.response().putHeader("vary", request.getParam("vary"));
        }
        String body = "consumer=" + consumer + " response=" + hit + " query=" + request.query();
        long delay = request.getParam("delay") == null ? 0 : Long.parseLong(request.getParam("delay"));
        if (delay > 0) {
            vertx.setTimer(delay, id -> request.response().end(body));
        } else {
            request.response().end(body);
        }
    }

    @AfterAll
    static void stop() {
        node.close();
        vertx.close();
        redis.close();
    }

    private static HttpResponse<String> get(String path, String... headers) {
        try {
            return CLIENT.send(request(path, headers), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static HttpRequest request(String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(10));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder.build();
    }

    private static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static String cacheStatus(HttpResponse<String> response) {
        return response.headers().firstValue("cache-status").orElse("");
    }

    private static boolean isHit(HttpResponse<String> response) {
        return cacheStatus(response).startsWith("Portico; hit");
    }

    /** Repeats a GET until it is a hit, since a node writes an entry to Redis after the response has ended. */
    private static void awaitHit(String path, String... headers) {
        Conditions.eventually("a GET of " + path + " is a hit", () -> isHit(get(path, headers)));
    }

    private static String unique(String prefix) {
        return prefix + "/" + UUID.randomUUID();
    }

    /** Returns the values of every Redis key of {@code route}'s entries. */
    private static List<String> storedValues(String route) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            List<String> values = new ArrayList<>();
            for (Object key : (List<?>) connection.call("KEYS", "portico:cache:" + route + ":*")) {
                Object value = connection.call("GET", key);
                if (value != null) {
                    values.add(value.toString());
                }
            }
            return values;
        }
    }

    @Test
    void varyOnConsumerHeaderSeparatesConsumers() {
        String path = unique("/sk") + "?vary=X-Consumer-Name";

        HttpResponse<String> alice = get(path, "apikey", ALICE_KEY);
        awaitHit(path, "apikey", ALICE_KEY);
        HttpResponse<String> dave = get(path, "apikey", DAVE_KEY);
        awaitHit(path, "apikey", DAVE_KEY);
        HttpResponse<String> aliceAgain = get(path, "apikey", ALICE_KEY);
        HttpResponse<String> daveAgain = get(path, "apikey", DAVE_KEY);

        assertThat(cacheStatus(alice)).contains("stored");
        assertThat(alice.body()).startsWith("consumer=alice ");
        assertThat(cacheStatus(dave)).contains("fwd=vary-miss");
        assertThat(dave.body()).startsWith("consumer=dave ");
        assertThat(aliceAgain.body()).isEqualTo(alice.body());
        assertThat(daveAgain.body()).isEqualTo(dave.body());
    }

    @Test
    void forgedConsumerHeaderSelectsNoVariant() {
        String path = unique("/os") + "?vary=X-Consumer-Name";
        HttpResponse<String> dave = get(path, "apikey", DAVE_KEY, "X-Consumer-Name", "alice");
        awaitHit(path, "apikey", DAVE_KEY, "X-Consumer-Name", "alice");

        HttpResponse<String> forged = get(path, "X-Consumer-Name", "alice");

        assertThat(dave.body()).startsWith("consumer=dave ");
        assertThat(isHit(forged)).isFalse();
        assertThat(forged.body()).startsWith("consumer=- ");
    }

    @Test
    void anonymousGetsNoConsumerVariant() {
        String path = unique("/os") + "?vary=X-Consumer-Name";
        HttpResponse<String> alice = get(path, "apikey", ALICE_KEY);
        awaitHit(path, "apikey", ALICE_KEY);

        HttpResponse<String> anonymous = get(path);
        HttpResponse<String> forged = get(path, "X-Consumer-Name", "alice");

        assertThat(alice.body()).startsWith("consumer=alice ");
        assertThat(cacheStatus(anonymous)).contains("fwd=vary-miss");
        assertThat(anonymous.body()).startsWith("consumer=- ");
        assertThat(forged.body()).startsWith("consumer=- ");
    }

    @Test
    void varyOnCredentialHeaderIsNotStored() {
        String path = unique("/sk") + "?vary=apikey";

        HttpResponse<String> alice = get(path, "apikey", ALICE_KEY);
        HttpResponse<String> dave = get(path, "apikey", DAVE_KEY);

        assertThat(cacheStatus(alice)).contains("detail=vary");
        assertThat(dave.body()).startsWith("consumer=dave ");
        assertThat(isHit(dave)).isFalse();
    }

    @Test
    void basicAuthRequestIsNotStored() {
        String path = unique("/basic");

        HttpResponse<String> alice = get(path, "Authorization", basic("alice", ALICE_PASSWORD));
        HttpResponse<String> dave = get(path, "Authorization", basic("dave", DAVE_PASSWORD));

        assertThat(alice.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(alice)).contains("detail=authorization");
        assertThat(isHit(dave)).isFalse();
        assertThat(dave.body()).startsWith("consumer=dave ");
    }

    @Test
    void basicAuthPublicResponseIsStored() {
        String path = unique("/basic") + "?cc=public,max-age=60";

        HttpResponse<String> alice = get(path, "Authorization", basic("alice", ALICE_PASSWORD));
        awaitHit(path, "Authorization", basic("alice", ALICE_PASSWORD));

        assertThat(cacheStatus(alice)).contains("stored");
    }

    @Test
    void bearerKeyRequestIsNotStored() {
        String path = unique("/sk");

        HttpResponse<String> alice = get(path, "Authorization", "Bearer " + ALICE_KEY);
        HttpResponse<String> dave = get(path, "Authorization", "Bearer " + DAVE_KEY);

        assertThat(alice.statusCode()).isEqualTo(200);
        assertThat(cacheStatus(alice)).contains("detail=authorization");
        assertThat(dave.body()).startsWith("consumer=dave ");
    }

    @Test
    void authorizedRequestsDoNotWait() throws Exception {
        // A first request puts alice's password check in the node's cache, so both requests below reach the cache
        // policy at about the same time.
        get(unique("/basic"), "Authorization", basic("alice", ALICE_PASSWORD));
        String path = unique("/basic") + "?delay=500";
        String pathOnly = path.substring(0, path.indexOf('?'));

        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            sent.add(CLIENT.sendAsync(request(path, "Authorization", basic("alice", ALICE_PASSWORD)),
                    HttpResponse.BodyHandlers.ofString()));
        }
        List<HttpResponse<String>> responses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> response : sent) {
            responses.add(response.get(20, TimeUnit.SECONDS));
        }

        assertThat(responses).noneSatisfy(response -> assertThat(cacheStatus(response)).contains("collapsed"));
        assertThat(HITS.get(pathOnly + " alice").get()).isEqualTo(2);
        assertThat(responses).allSatisfy(response -> assertThat(cacheStatus(response))
                .contains("detail=authorization"));
    }

    @Test
    void defaultKeySeparatesConsumers() {
        String path = unique("/dk");

        HttpResponse<String> alice = get(path, "apikey", ALICE_KEY);
        awaitHit(path, "apikey", ALICE_KEY);
        HttpResponse<String> dave = get(path, "apikey", DAVE_KEY);

        assertThat(cacheStatus(alice)).contains("stored");
        assertThat(cacheStatus(dave)).contains("fwd=uri-miss");
        assertThat(dave.body()).startsWith("consumer=dave ");
    }

    @Test
    void defaultKeySeparatesAnonymousClients() {
        String path = unique("/od");

        get(path, "apikey", ALICE_KEY);
        awaitHit(path, "apikey", ALICE_KEY);
        HttpResponse<String> anonymous = get(path);
        awaitHit(path);
        HttpResponse<String> anonymousAgain = get(path);

        assertThat(cacheStatus(anonymous)).contains("fwd=uri-miss");
        assertThat(anonymous.body()).startsWith("consumer=- ");
        assertThat(anonymousAgain.body()).isEqualTo(anonymous.body());
    }

    @Test
    void explicitKeyWithoutConsumerIsShared() {
        String path = unique("/sk");

        HttpResponse<String> alice = get(path, "apikey", ALICE_KEY);
        awaitHit(path, "apikey", ALICE_KEY);
        HttpResponse<String> dave = get(path, "apikey", DAVE_KEY);

        assertThat(isHit(dave)).isTrue();
        assertThat(dave.body()).isEqualTo(alice.body());
    }

    @Test
    void queryKeyStaysOutOfRedis() {
        String path = unique("/dk");
        String withKey = path + "?x=1&api_key=" + URLEncoder.encode(ALICE_KEY, StandardCharsets.UTF_8);

        HttpResponse<String> alice = get(withKey);
        awaitHit(withKey);
        List<String> values = storedValues("default-key");

        assertThat(alice.body()).startsWith("consumer=alice ").endsWith("query=x=1");
        assertThat(values).anySatisfy(value -> assertThat(value)
                .contains("default-key GET 127.0.0.1 " + path + " ?x=1 consumer=alice"));
        assertThat(values).noneSatisfy(value -> assertThat(value).contains(ALICE_KEY));
        assertThat(values).noneSatisfy(value -> assertThat(value).contains("api_key"));
    }

    @Test
    void purgeByPathPrefixRemovesEveryConsumer() {
        String path = unique("/dk");
        get(path + "?api_key=" + ALICE_KEY);
        awaitHit(path + "?api_key=" + ALICE_KEY);
        get(path, "apikey", DAVE_KEY);
        awaitHit(path, "apikey", DAVE_KEY);

        JsonNode purged = node.admin("DELETE", "/admin/v1/cache?prefix="
                + URLEncoder.encode("default-key GET 127.0.0.1 " + path, StandardCharsets.UTF_8)
                        .replace("+", "%20"), null, 200);

        assertThat(purged.path("purged").asLong()).isEqualTo(2);
        assertThat(cacheStatus(get(path, "apikey", ALICE_KEY))).contains("fwd=uri-miss");
        assertThat(cacheStatus(get(path, "apikey", DAVE_KEY))).contains("fwd=uri-miss");
    }
}

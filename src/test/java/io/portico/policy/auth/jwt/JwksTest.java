package io.portico.policy.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.util.Base64URL;
import io.portico.config.Json;
import io.portico.policy.auth.TestHttpServer;
import io.portico.policy.auth.TestTokens;
import io.portico.policy.auth.TestTokens.TestKey;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Key sets fetched from a local server: rotation, failures, the refresh rate limit and the first fetch. */
class JwksTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final TestKey FIRST = TestTokens.ec("first", Curve.P_256);
    private static final TestKey SECOND = TestTokens.ec("second", Curve.P_256);
    /** An HMAC key that a key set publishes, so anyone who reads the key set can sign with it. */
    private static final byte[] PUBLISHED_SECRET =
            "published-hmac-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    private static final String URL_TOKEN = "jwks-url-token-0123456789";
    /** Key material of the invalid keys that {@code /broken} serves, which no log line may show. */
    private static final String INVALID_KEY_MATERIAL = "invalid-key-material-0123456789";

    /** What each key set path serves: a status and a body, and how long it waits before responding. */
    private record Answer(int status, String body, long delayMillis) {
    }

    private static final Map<String, Answer> ANSWERS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> FETCHES = new ConcurrentHashMap<>();

    private static TestHttpServer keyServer;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        keyServer = TestHttpServer.start();
        keyServer.handler(request -> {
            FETCHES.computeIfAbsent(request.path(), unused -> new AtomicInteger()).incrementAndGet();
            Answer answer = ANSWERS.getOrDefault(request.path(), new Answer(404, "{}", 0));
            Runnable respond = () -> request.response().setStatusCode(answer.status())
                    .putHeader("content-type", "application/json").end(answer.body());
            if (answer.delayMillis() > 0) {
                keyServer.vertx().setTimer(answer.delayMillis(), id -> respond.run());
            } else {
                respond.run();
            }
        });
        serve("/rotating", TestTokens.jwks(FIRST.publicJwk()));
        serve("/failing", TestTokens.jwks(FIRST.publicJwk()));
        serve("/limited", TestTokens.jwks(FIRST.publicJwk()));
        serve("/remembered", TestTokens.jwks(FIRST.publicJwk()));
        ANSWERS.put("/slow", new Answer(200, TestTokens.jwks(FIRST.publicJwk()), 700));
        ANSWERS.put("/down", new Answer(503, "{}", 0));
        serve("/mixed", "{\"keys\":[" + FIRST.publicJwk().toJSONString() + ",{\"kty\":\"oct\",\"kid\":\"shared\","
                + "\"k\":\"" + Base64URL.encode(PUBLISHED_SECRET) + "\"}]}");

        String withoutType = "{\"kid\":\"untyped\",\"n\":\"" + INVALID_KEY_MATERIAL + "\"}";
        String badRsa = "{\"kty\":\"RSA\",\"kid\":\"bad\",\"n\":\"" + INVALID_KEY_MATERIAL + "\"}";
        serve("/broken", "{\"keys\":[" + withoutType + "," + FIRST.publicJwk().toJSONString() + "," + badRsa
                + ",\"text\"]}");
        serve("/unusable", "{\"keys\":[" + withoutType + "]}");
        serve("/dotted", TestTokens.jwks(FIRST.publicJwk()));

        upstream = TestUpstream.start("jwks");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        route(config, "rotating", "1s", "1s");
        route(config, "failing", "1s", "1s");
        route(config, "limited", "1h", "1h");
        route(config, "remembered", "1s", "1s");
        route(config, "slow", "1h", "1h");
        route(config, "down", "1h", "1h");
        route(config, "broken", "1s", "1s");
        route(config, "unusable", "1h", "1h");
        route(config, "params", "1h", "1h").put("jwksUrl", keyServer.url("/params;jsessionid=" + URL_TOKEN));
        ((ArrayNode) route(config, "mixed", "1s", "1s").get("algorithms")).add("HS256");
        route(config, "hidden", "1h", "1h").put("jwksUrl", keyServer.url("/hidden") + "?access_token=" + URL_TOKEN);
        node.apply(config.build());
    }

    private static void serve(String path, String body) {
        ANSWERS.put(path, new Answer(200, body, 0));
    }

    /** Adds a route whose jwt policy fetches the key set at {@code /name}; returns the policy's configuration. */
    private static ObjectNode route(Configs config, String name, String refresh, String minRefresh) {
        ObjectNode settings = config.route(name, "app", "/" + name).putArray("policies").addObject()
                .put("name", "jwt").putObject("config")
                .put("jwksUrl", keyServer.url("/" + name))
                .put("jwksRefreshInterval", refresh)
                .put("jwksMinRefreshInterval", minRefresh)
                .put("allowPrivateAddresses", true)
                .put("consumerClaim", "sub");
        settings.putArray("algorithms").add("ES256");
        return settings;
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        keyServer.close();
    }

    private static String token(TestKey key) {
        return TestTokens.sign(key, JWSAlgorithm.ES256, TestTokens.claims("alice"));
    }

    private static int call(String path, String token) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    /** Waits until a token of {@code FIRST} passes after the key set at {@code path} was fetched again. */
    private static void awaitRefetch(String path) {
        int before = fetches(path);
        Conditions.eventually("the key set was fetched again", () -> {
            try {
                return call(path, token(FIRST)) == 200 && fetches(path) > before;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static int fetches(String path) {
        AtomicInteger count = FETCHES.get(path);
        return count == null ? 0 : count.get();
    }

    @Test
    void rotatedKeysAreFollowed() throws Exception {
        assertThat(call("/rotating", token(FIRST))).isEqualTo(200);

        serve("/rotating", TestTokens.jwks(FIRST.publicJwk(), SECOND.publicJwk()));
        Thread.sleep(1100);
        assertThat(call("/rotating", token(SECOND))).as("a new kid triggers a refresh").isEqualTo(200);

        serve("/rotating", TestTokens.jwks(SECOND.publicJwk()));
        Conditions.eventually("the removed key is no longer accepted", () -> {
            try {
                return call("/rotating", token(FIRST)) == 401;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(call("/rotating", token(SECOND))).isEqualTo(200);
    }

    @Test
    void rememberedTokenIsRejectedOnceItsKeyIsRemoved() throws Exception {
        String token = token(FIRST);
        assertThat(call("/remembered", token)).isEqualTo(200);
        assertThat(call("/remembered", token)).as("the same token again").isEqualTo(200);

        serve("/remembered", TestTokens.jwks(SECOND.publicJwk()));

        Conditions.eventually("the same token is rejected after its key left the key set", () -> {
            try {
                return call("/remembered", token) == 401;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void failedRefreshKeepsLastKeySet() throws Exception {
        assertThat(call("/failing", token(FIRST))).isEqualTo(200);
        int before = fetches("/failing");

        ANSWERS.put("/failing", new Answer(500, "{\"error\":\"boom\"}", 0));
        Conditions.eventually("a refresh was attempted", () -> {
            try {
                return call("/failing", token(FIRST)) == 200 && fetches("/failing") > before;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        ANSWERS.put("/failing", new Answer(200, "not json", 0));
        int afterServerError = fetches("/failing");
        Conditions.eventually("a refresh of a malformed set was attempted", () -> {
            try {
                return call("/failing", token(FIRST)) == 200 && fetches("/failing") > afterServerError;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });

        assertThat(call("/failing", token(FIRST))).isEqualTo(200);
    }

    @Test
    void randomKeyIdsCauseAtMostOneRefresh() throws Exception {
        assertThat(call("/limited", token(FIRST))).isEqualTo(200);
        int before = fetches("/limited");

        for (int i = 0; i < 40; i++) {
            TestKey random = new TestKey(UUID.randomUUID().toString(), SECOND.pair(), SECOND.publicJwk());
            assertThat(call("/limited", token(random))).isEqualTo(401);
        }

        assertThat(fetches("/limited") - before).isLessThanOrEqualTo(1);
    }

    @Test
    void requestsWaitForFirstFetchTogether() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        String token = token(FIRST);
        for (int i = 0; i < 10; i++) {
            responses.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(node.url() + "/slow/echo"))
                    .header("Authorization", "Bearer " + token)
                    .POST(HttpRequest.BodyPublishers.ofString("body-" + i)).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        for (int i = 0; i < responses.size(); i++) {
            HttpResponse<String> response = responses.get(i).get();
            assertThat(response.statusCode()).isEqualTo(200);
            JsonNode echo = Json.MAPPER.readTree(response.body());
            assertThat(echo.get("bodyLength").asInt()).as("body of request " + i).isEqualTo(("body-" + i).length());
        }
        assertThat(fetches("/slow")).isEqualTo(1);
    }

    @Test
    void unreachableKeySetIsUnavailable() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/down"))
                .header("Authorization", "Bearer " + token(FIRST)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(response.body()).get("type").asText())
                .isEqualTo("https://portico.dev/problems/authentication-unavailable");
        assertThat(call("/down", token(FIRST))).as("failures are not fetched again at once").isEqualTo(503);
        assertThat(fetches("/down")).isEqualTo(1);
    }

    @Test
    void symmetricKeysOfKeySetAreIgnored() throws Exception {
        try (LogCapture log = new LogCapture(JwksCache.class)) {
            String forged = TestTokens.signHmac(PUBLISHED_SECRET, "shared", JWSAlgorithm.HS256,
                    TestTokens.claims("alice"));

            assertThat(call("/mixed", forged)).as("a token signed with the published HMAC key").isEqualTo(401);
            assertThat(call("/mixed", token(FIRST))).isEqualTo(200);
            awaitRefetch("/mixed");
            assertThat(call("/mixed", forged)).isEqualTo(401);

            List<String> warnings = log.messages(Level.WARN).stream()
                    .filter(message -> message.contains("symmetric")).toList();
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains(keyServer.url("/mixed")).contains("1 symmetric keys");
        }
    }

    @Test
    void failedFetchIsLoggedWithoutQuery() throws Exception {
        try (LogCapture log = new LogCapture(JwksCache.class)) {
            assertThat(call("/hidden", token(FIRST))).isEqualTo(503);

            List<String> warnings = log.messages(Level.WARN);
            assertThat(warnings).anyMatch(message -> message.contains(keyServer.url("/hidden") + " failed"));
            assertThat(String.join("\n", log.allMessages())).doesNotContain(URL_TOKEN).doesNotContain("access_token");
        }
    }

    @Test
    void invalidKeysAreSkippedOneByOne() throws Exception {
        try (LogCapture log = new LogCapture(JwksCache.class)) {
            assertThat(call("/broken", token(FIRST))).isEqualTo(200);
            assertThat(call("/broken", token(SECOND))).isEqualTo(401);
            awaitRefetch("/broken");

            List<String> warnings = log.messages(Level.WARN).stream()
                    .filter(message -> message.contains("invalid keys")).toList();
            assertThat(warnings).as("one warning while the key set stays the same").hasSize(1);
            assertThat(warnings.get(0)).contains(keyServer.url("/broken")).contains("3 invalid keys")
                    .contains("1 without kty").contains("1 with invalid RSA key parameters")
                    .contains("1 not a JSON object").contains("the 1 usable keys");
            assertThat(String.join("\n", log.allMessages())).doesNotContain(INVALID_KEY_MATERIAL);
        }
    }

    @Test
    void keySetWithoutUsableKeyIsUnavailable() throws Exception {
        try (LogCapture log = new LogCapture(JwksCache.class)) {
            assertThat(call("/unusable", token(FIRST))).isEqualTo(503);

            assertThat(log.messages(Level.WARN)).anyMatch(message -> message.contains("no usable key")
                    && message.contains("1 without kty"));
            assertThat(String.join("\n", log.allMessages())).doesNotContain(INVALID_KEY_MATERIAL);
        }
    }

    @Test
    void failedFetchIsLoggedWithoutPathParameters() throws Exception {
        try (LogCapture log = new LogCapture(JwksCache.class)) {
            assertThat(call("/params", token(FIRST))).isEqualTo(503);

            List<String> warnings = log.messages(Level.WARN);
            assertThat(warnings).anyMatch(message -> message.contains(keyServer.url("/params") + " failed"));
            assertThat(String.join("\n", log.allMessages())).doesNotContain(URL_TOKEN).doesNotContain("jsessionid");
        }
    }

    @Test
    void trailingDotIpv4HostIsAccepted() throws Exception {
        String dotted = keyServer.url("/dotted").replace("://127.0.0.1:", "://127.0.0.1.:").replace("http:", "HTTP:");
        ObjectNode allowed = dottedRoute("dotted", dotted);
        allowed.at("/policies/0/config").<ObjectNode>require().put("allowPrivateAddresses", true);
        ObjectNode blocked = dottedRoute("dotted-blocked", dotted);

        node.admin("PUT", "/admin/v1/routes/dotted", allowed, 201);
        node.admin("PUT", "/admin/v1/routes/dotted-blocked", blocked, 201);
        int fetchesBefore = fetches("/dotted");

        assertThat(call("/dotted-blocked", token(FIRST))).as("loopback stays blocked").isEqualTo(503);
        assertThat(fetches("/dotted")).isEqualTo(fetchesBefore);
        assertThat(call("/dotted", token(FIRST))).isEqualTo(200);
        assertThat(fetches("/dotted")).isEqualTo(fetchesBefore + 1);
        node.admin("DELETE", "/admin/v1/routes/dotted", null, 204);
        node.admin("DELETE", "/admin/v1/routes/dotted-blocked", null, 204);
    }

    private static ObjectNode dottedRoute(String name, String jwksUrl) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", name).put("service", "app");
        route.putArray("paths").add("/" + name);
        ObjectNode settings = route.putArray("policies").addObject().put("name", "jwt").putObject("config")
                .put("jwksUrl", jwksUrl).put("consumerClaim", "sub");
        settings.putArray("algorithms").add("ES256");
        return route;
    }
}

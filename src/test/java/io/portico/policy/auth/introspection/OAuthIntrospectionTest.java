package io.portico.policy.auth.introspection;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.portico.config.Json;
import io.portico.policy.auth.TestHttpServer;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The oauth-introspection policy against a local authorization server that counts the calls it gets. */
class OAuthIntrospectionTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String BASIC = "Basic " + Base64.getEncoder().encodeToString("portico:s3cret"
            .getBytes(StandardCharsets.UTF_8));
    /** A key in the query of an introspection URL, which logs must not show. */
    private static final String URL_KEY = "url-api-key-0123456789";

    /** The response of the authorization server per token, as a JSON document. */
    private static final Map<String, String> RESULTS = new ConcurrentHashMap<>();
    private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();
    private static final AtomicInteger REJECTED_CLIENTS = new AtomicInteger();
    private static volatile long delayMillis;

    private static TestHttpServer server;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        server = TestHttpServer.start();
        server.handler(request -> request.body().onSuccess(body -> {
            Map<String, List<String>> form = new QueryStringDecoder(body.toString(), false).parameters();
            boolean basic = BASIC.equals(request.getHeader("Authorization"));
            boolean post = List.of("portico").equals(form.get("client_id"))
                    && List.of("s3cret").equals(form.get("client_secret"));
            if (!basic && !post) {
                REJECTED_CLIENTS.incrementAndGet();
                request.response().setStatusCode(401).end("{\"error\":\"invalid_client\"}");
                return;
            }
            String token = form.get("token").get(0);
            CALLS.computeIfAbsent(token, unused -> new AtomicInteger()).incrementAndGet();
            String result = RESULTS.getOrDefault(token, "{\"active\":false}");
            Runnable respond = () -> request.response().putHeader("content-type", "application/json").end(result);
            if (delayMillis > 0) {
                server.vertx().setTimer(delayMillis, id -> respond.run());
            } else {
                respond.run();
            }
        }));
        upstream = TestUpstream.start("introspected");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice-app").put("team", "shop");
        config.resource("consumers", "bob").put("team", "shop");
        config.resource("consumers", "disabled-app").put("team", "shop").put("disabled", true);
        route(config, "basic", "basic", "s3cret");
        route(config, "post", "post", "s3cret");
        route(config, "wrong", "basic", "not-the-secret");
        route(config, "by-subject", "basic", "s3cret").put("consumerClaim", "sub");
        route(config, "scoped", "basic", "s3cret").putArray("scopes").add("orders:read");
        route(config, "query-key", "basic", "not-the-secret")
                .put("introspectionUrl", server.url("/introspect/query-key?api_key=" + URL_KEY));
        node.apply(config.build());
    }

    private static ObjectNode route(Configs config, String name, String authentication, String secret) {
        return config.route(name, "app", "/" + name).putArray("policies").addObject()
                .put("name", "oauth-introspection").putObject("config")
                .put("introspectionUrl", server.url("/introspect/" + name))
                .put("clientId", "portico")
                .put("clientSecret", secret)
                .put("clientAuthentication", authentication)
                .put("negativeCacheTtl", "1s")
                .put("allowPrivateAddresses", true);
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        server.close();
    }

    /** Registers a new token that the server reports with {@code result}, and returns it. */
    private static String token(String result) {
        String token = UUID.randomUUID().toString();
        RESULTS.put(token, result);
        return token;
    }

    private static String active(String clientId, String extra) {
        return "{\"active\":true,\"client_id\":\"" + clientId + "\",\"sub\":\"bob\",\"exp\":"
                + Instant.now().plusSeconds(3600).getEpochSecond() + extra + "}";
    }

    private static int calls(String token) {
        AtomicInteger count = CALLS.get(token);
        return count == null ? 0 : count.get();
    }

    private static HttpResponse<String> call(String path, String token) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void activeTokenIsAcceptedAndCached() throws Exception {
        String token = token(active("alice-app", ""));

        HttpResponse<String> first = call("/basic/echo", token);
        HttpResponse<String> second = call("/basic/echo", token);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(calls(token)).isEqualTo(1);
        assertThat(Json.MAPPER.readTree(first.body()).get("headers").has("authorization")).isFalse();
    }

    @Test
    void inactiveTokenIsRejectedAndCachedBriefly() throws Exception {
        String token = token("{\"active\":false}");

        assertThat(call("/basic", token).statusCode()).isEqualTo(401);
        assertThat(call("/basic", token).statusCode()).isEqualTo(401);
        assertThat(calls(token)).isEqualTo(1);

        Conditions.eventually("the negative result expires", () -> {
            try {
                return call("/basic", token).statusCode() == 401 && calls(token) == 2;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @Test
    void cacheEndsWhenTokenExpires() throws Exception {
        String token = token("{\"active\":true,\"client_id\":\"alice-app\",\"exp\":"
                + (Instant.now().getEpochSecond() + 2) + "}");

        assertThat(call("/basic", token).statusCode()).isEqualTo(200);
        RESULTS.put(token, "{\"active\":false}");

        Conditions.eventually("the expired token is asked about again and rejected", () -> {
            try {
                return call("/basic", token).statusCode() == 401;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(calls(token)).isGreaterThanOrEqualTo(2);
    }

    @Test
    void clientCredentialsInFormAreAccepted() throws Exception {
        assertThat(call("/post", token(active("alice-app", ""))).statusCode()).isEqualTo(200);
    }

    @Test
    void serverRejectingPorticoMakesTokensUnavailable() throws Exception {
        int before = REJECTED_CLIENTS.get();

        HttpResponse<String> response = call("/wrong", token(active("alice-app", "")));

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(response.body()).get("type").asText())
                .isEqualTo("https://portico.dev/problems/authentication-unavailable");
        assertThat(REJECTED_CLIENTS.get()).isEqualTo(before + 1);
        assertThat(response.body()).doesNotContain("not-the-secret");
    }

    @Test
    void failureIsLoggedWithoutQuery() throws Exception {
        try (LogCapture log = new LogCapture(IntrospectionClient.class)) {
            HttpResponse<String> response = call("/query-key", token(active("alice-app", "")));

            assertThat(response.statusCode()).isEqualTo(503);
            assertThat(log.messages(Level.WARN))
                    .anyMatch(message -> message.contains(server.url("/introspect/query-key") + " failed"));
            assertThat(String.join("\n", log.allMessages())).doesNotContain(URL_KEY).doesNotContain("api_key");
        }
    }

    @Test
    void consumerComesFromConfiguredClaim() throws Exception {
        assertThat(call("/by-subject", token(active("nobody", ""))).statusCode()).isEqualTo(200);
        assertThat(call("/basic", token(active("nobody", ""))).statusCode()).isEqualTo(401);
        assertThat(call("/basic", token(active("disabled-app", ""))).statusCode()).isEqualTo(401);
    }

    @Test
    void requiredScopesAreChecked() throws Exception {
        HttpResponse<String> denied = call("/scoped", token(active("alice-app", ",\"scope\":\"profile\"")));

        assertThat(call("/scoped", token(active("alice-app", ",\"scope\":\"profile orders:read\""))).statusCode())
                .isEqualTo(200);
        assertThat(denied.statusCode()).isEqualTo(403);
    }

    @Test
    void concurrentRequestsShareOneCall() throws Exception {
        String token = token(active("alice-app", ""));
        delayMillis = 300;
        try {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                responses.add(CLIENT.sendAsync(HttpRequest.newBuilder(URI.create(node.url() + "/basic/echo"))
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString("payload")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            for (CompletableFuture<HttpResponse<String>> response : responses) {
                assertThat(response.get().statusCode()).isEqualTo(200);
                assertThat(Json.MAPPER.readTree(response.get().body()).get("bodyLength").asInt()).isEqualTo(7);
            }
        } finally {
            delayMillis = 0;
        }
        assertThat(calls(token)).isEqualTo(1);
    }
}

package io.portico.policy.auth.hmac;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.CredentialSecrets;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.HttpsNode;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Signed requests over HTTP/2 on a real node, with prior knowledge on the HTTP listener (h2c) and through ALPN on the
 * HTTPS listener (h2). The hmac policy reads the whole body before the backend runs, so the policies after it and
 * every backend must work with a request that has ended.
 */
class HmacHttp2Test {

    private static final String CLIENT_SECRET = "alice-app-secret-0123456789";

    @TempDir
    static Path directory;

    private static Vertx vertx;
    private static TestUpstream upstream;
    private static HttpServer provider;
    private static TestNode node;
    private static HttpClientAgent h2c;
    private static HttpClientAgent h2;
    private static HttpClientAgent http11;
    private static String accessKey;
    private static String secretKey;

    @BeforeAll
    static void startNode() throws Exception {
        vertx = Vertx.vertx();
        upstream = TestUpstream.start("signed-h2");
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body ->
                request.response().putHeader("content-type", "application/json").end(chatCompletion())))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        node = HttpsNode.start(directory, "signed.test", Map.of());

        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "payments");
        config.resource("consumers", "alice").put("team", "payments");
        policies(config.route("signed", "app", "/signed").put("stripPrefix", true)).addObject().put("name", "hmac");
        ArrayNode queued = policies(config.route("queued", "app", "/queued").put("stripPrefix", true));
        queued.addObject().put("name", "hmac");
        queued.addObject().put("name", "concurrency-limit").putObject("config").put("max", 1).put("queue", 1)
                .put("queueTimeout", "10s");
        config.provider("openai", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1", "sk-test")
                .putArray("models").add("gpt-4o");
        policies(config.aiRoute("ai", "/v1")).addObject().put("name", "hmac");
        ObjectNode oauth = config.aiRoute("oauth", "/oauth");
        oauth.remove("ai");
        oauth.putObject("oauth").put("issuer", "https://signed.test/oauth");
        policies(oauth).addObject().put("name", "hmac");
        config.resource("credentials", "alice-app").put("consumer", "alice").put("type", "oauth-client")
                .put("clientId", "alice-app").put("clientSecretHash", HexFormat.of().formatHex(
                        CredentialSecrets.sha256(CLIENT_SECRET.getBytes(StandardCharsets.UTF_8))));
        node.apply(config.build());

        JsonNode created = node.admin("POST", "/admin/v1/consumers/alice/credentials",
                Json.MAPPER.createObjectNode().put("type", "hmac"), 201);
        accessKey = created.path("accessKey").asText();
        secretKey = created.path("secretKey").asText();

        h2c = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        // The listener's certificate is self-signed and made for this test only.
        h2 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2).setSsl(true)
                .setUseAlpn(true).setTrustAll(true).setVerifyHost(false));
        http11 = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_1_1));
    }

    /** How a request reaches the node. */
    enum Transport {
        /** HTTP/2 with prior knowledge on the HTTP listener. */
        H2C,
        /** HTTP/2 negotiated through ALPN on the HTTPS listener. */
        H2,
        /** HTTP/1.1 on the HTTP listener. */
        HTTP_1_1
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        upstream.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static ArrayNode policies(ObjectNode route) {
        return route.putArray("policies");
    }

    private static String chatCompletion() {
        return "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"signed\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,"
                + "\"total_tokens\":4}}";
    }

    /** What one request through the node returned. */
    private record Exchange(int status, HttpVersion version, String body) {

        JsonNode json() {
            try {
                return Json.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("the response is not JSON: " + body, e);
            }
        }
    }

    /** Sends a request signed with alice's key and waits at most 5 seconds for its response. */
    private static Exchange send(Transport transport, HttpMethod method, String path, String body) {
        return ContextRequests.send(vertx, Duration.ofSeconds(5), () -> exchange(transport, method, path, body));
    }

    /** Starts a request signed with alice's key on a Vert.x context and returns the future of its response. */
    private static Future<Exchange> start(Transport transport, HttpMethod method, String path, String body) {
        return ContextRequests.start(vertx, () -> exchange(transport, method, path, body));
    }

    private static Future<Exchange> exchange(Transport transport, HttpMethod method, String path, String body) {
        String date = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC));
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        String stringToSign = String.join("\n", "HMAC-SHA256", method.name(), path, "", date, "",
                HexFormat.of().formatHex(CredentialSecrets.sha256(bytes)));
        String signature = Base64.getEncoder().encodeToString(HmacSignature.sign(secretKey, stringToSign));
        int port = transport == Transport.H2 ? node.portico().httpsPort() : node.portico().httpPort();
        RequestOptions options = new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(port)
                .setURI(path)
                .putHeader("X-Date", date)
                .putHeader("Authorization", "HMAC-SHA256 accessKey=\"" + accessKey + "\", signature=\""
                        + signature + "\"");
        if (bytes.length > 0) {
            options.putHeader("content-type", path.endsWith("/token") ? "application/x-www-form-urlencoded"
                    : "application/json");
        }
        HttpClientAgent client = switch (transport) {
            case H2C -> h2c;
            case H2 -> h2;
            case HTTP_1_1 -> http11;
        };
        return client.request(options)
                .compose(request -> bytes.length == 0 ? request.send() : request.send(Buffer.buffer(bytes)))
                .compose(response -> response.body().map(received ->
                        new Exchange(response.statusCode(), response.version(), received.toString())));
    }

    private static void assertEchoed(Exchange exchange, String body) {
        assertThat(exchange.status()).as(exchange.body()).isEqualTo(200);
        JsonNode echo = exchange.json();
        assertThat(echo.path("headers").path("x-consumer-name").path(0).asText()).isEqualTo("alice");
        assertThat(echo.path("bodyLength").asLong()).isEqualTo(body.getBytes(StandardCharsets.UTF_8).length);
        assertThat(echo.path("bodySha256").asText()).isEqualTo(
                HexFormat.of().formatHex(CredentialSecrets.sha256(body.getBytes(StandardCharsets.UTF_8))));
    }

    @ParameterizedTest
    @EnumSource(names = {"H2C", "H2"})
    void signedGetIsProxied(Transport transport) {
        Exchange exchange = send(transport, HttpMethod.GET, "/signed/echo", "");

        assertThat(exchange.version()).isEqualTo(HttpVersion.HTTP_2);
        assertEchoed(exchange, "");
    }

    @ParameterizedTest
    @EnumSource(names = {"H2C", "H2"})
    void signedPostIsProxied(Transport transport) {
        String body = "{\"order\":42}".repeat(500);

        Exchange exchange = send(transport, HttpMethod.POST, "/signed/echo", body);

        assertThat(exchange.version()).isEqualTo(HttpVersion.HTTP_2);
        assertEchoed(exchange, body);
    }

    @Test
    void signedPostWaitsForConcurrencySlot() throws Exception {
        Future<Exchange> holder = start(Transport.HTTP_1_1, HttpMethod.GET, "/queued/hold", "");
        Conditions.eventually("the first request reaches the upstream", () -> upstream.requests("/hold") > 0);
        String body = "{\"order\":44}";

        Future<Exchange> queued = start(Transport.H2C, HttpMethod.POST, "/queued/echo", body);
        Thread.sleep(200);

        // The queue takes one request, so a third one is rejected while the second waits in it.
        Exchange queueFull = send(Transport.HTTP_1_1, HttpMethod.GET, "/queued/echo", "");
        boolean secondWaited = !queued.isComplete();
        upstream.releaseHeld();

        assertThat(queueFull.status()).isEqualTo(503);
        assertThat(secondWaited).isTrue();
        assertEchoed(queued.await(10, TimeUnit.SECONDS), body);
        assertThat(holder.await(10, TimeUnit.SECONDS).status()).isEqualTo(200);
    }

    @Test
    void signedChatCompletionIsAnswered() {
        String body = "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";

        for (Transport transport : Transport.values()) {
            Exchange exchange = send(transport, HttpMethod.POST, "/v1/chat/completions", body);

            assertThat(exchange.status()).as("%s: %s", transport, exchange.body()).isEqualTo(200);
            assertThat(exchange.json().path("choices").path(0).path("message").path("content").asText())
                    .isEqualTo("signed");
        }
    }

    @Test
    void signedTokenRequestGetsToken() {
        String form = "grant_type=client_credentials&client_id=alice-app&client_secret=" + CLIENT_SECRET;

        for (Transport transport : Transport.values()) {
            // The node creates the issuer's first signing key shortly after the configuration arrives.
            Conditions.eventually("the token endpoint has a signing key", () ->
                    send(transport, HttpMethod.POST, "/oauth/token", form).status() != 503);
            Exchange exchange = send(transport, HttpMethod.POST, "/oauth/token", form);

            assertThat(exchange.status()).as("%s: %s", transport, exchange.body()).isEqualTo(200);
            assertThat(exchange.json().path("token_type").asText()).isEqualTo("Bearer");
        }
    }
}

package io.portico.ai;

import static io.portico.testing.GoogleServiceAccounts.CLIENT_EMAIL;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.testing.Configs;
import io.portico.testing.GoogleServiceAccounts;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Vertex AI token exchanges that fail or hang, and provider errors that echo the access token, seen through a real
 * node: what the AI client receives, and the provider's WARN line. Each test that reads a WARN line uses a provider
 * of its own, because the line of one provider is rate-limited.
 */
class VertexAuthorizationTest {

    private static Vertx vertx;
    /** Issues tokens and serves model calls. */
    private static GeminiMock healthy;
    /** Rejects every assertion with an error that echoes it. */
    private static GeminiMock echoing;
    /** Responds to token requests only after a minute. */
    private static GeminiMock hanging;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        KeyPair keys = GoogleServiceAccounts.rsaKeyPair();
        healthy = GeminiMock.vertex(vertx, keys.getPublic()).await();
        echoing = GeminiMock.vertex(vertx, keys.getPublic()).await();
        echoing.echoAssertionInTokenErrors();
        hanging = GeminiMock.vertex(vertx, keys.getPublic()).await();
        hanging.tokenDelayMillis(60_000);
        node = TestNode.start();
        Configs config = Configs.document();
        vertex(config, "vx", healthy, keys);
        vertex(config, "vxstream", healthy, keys);
        vertex(config, "vxcut", healthy, keys);
        vertex(config, "vxfail", echoing, keys);
        vertex(config, "vxfaillog", echoing, keys);
        vertex(config, "vxfailanthropic", echoing, keys);
        vertex(config, "vxfailembed", echoing, keys);
        vertex(config, "vxhang", hanging, keys).putObject("timeouts").put("total", "1s");
        vertex(config, "vxhangembed", hanging, keys).putObject("timeouts").put("total", "1s");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        healthy.close();
        echoing.close();
        hanging.close();
        vertx.close().await();
    }

    /** Adds a Vertex AI provider with one attempt per request, whose tokens come from {@code mock}. */
    private static ObjectNode vertex(Configs config, String name, GeminiMock mock, KeyPair keys) {
        ObjectNode provider = config.provider(name, "vertex", mock.baseUrl());
        provider.put("project", "proj-1").put("region", "us-central1").put("tokenUrl", mock.tokenUrl())
                .put("serviceAccount", GoogleServiceAccounts.keyJson(keys, mock.tokenUrl()));
        provider.putObject("retries").put("attempts", 1);
        return provider;
    }

    private static HttpResponse<String> chat(String model, boolean stream) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"%s","stream":%s,"messages":[{"role":"user","content":"Hi"}]}""".formatted(model, stream));
    }

    private static HttpResponse<String> embeddings(String model) {
        return AiTestClient.post(node.url() + "/v1/embeddings", """
                {"model":"%s","input":"Hi"}""".formatted(model));
    }

    /** Returns the assertion of the last token exchange that {@code mock} received. */
    private static String lastAssertion(GeminiMock mock) {
        List<GeminiMock.Recorded> requests = mock.requests();
        for (int i = requests.size() - 1; i >= 0; i--) {
            String body = requests.get(i).body();
            int at = body.indexOf("&assertion=");
            if (requests.get(i).path().equals("/token") && at >= 0) {
                return body.substring(at + "&assertion=".length());
            }
        }
        throw new AssertionError("no token exchange reached the mock");
    }

    private static String signature(String assertion) {
        return assertion.substring(assertion.lastIndexOf('.') + 1);
    }

    /** Returns the WARN lines of provider {@code name}. */
    private static List<String> warnings(LogCapture log, String name) {
        return log.messages(Level.WARN).stream().filter(line -> line.startsWith("Provider " + name + " ")).toList();
    }

    @Test
    void tokenFailureHidesDetailsFromClient() {
        HttpResponse<String> response = chat("vxfail/gemini-2.5-flash", false);

        String assertion = lastAssertion(echoing);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("message").asText()).isEqualTo("authorization with provider 'vxfail' failed");
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(error.path("code").asText()).isEqualTo("provider_authorization_failed");
        assertThat(response.body()).doesNotContain(echoing.tokenUrl());
        assertThat(response.body()).doesNotContain("/token");
        assertThat(response.body()).doesNotContain(CLIENT_EMAIL);
        assertThat(response.body()).doesNotContain(assertion);
        assertThat(response.body()).doesNotContain(signature(assertion));
    }

    @Test
    void tokenFailureInAnthropicShape() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"vxfailanthropic/gemini-2.5-flash","max_tokens":100,
                 "messages":[{"role":"user","content":"Hi"}]}""", "anthropic-version", "2023-06-01");

        String assertion = lastAssertion(echoing);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("api_error");
        assertThat(body.at("/error/message").asText()).isEqualTo("authorization with provider 'vxfailanthropic'"
                + " failed");
        assertThat(response.body()).doesNotContain(CLIENT_EMAIL);
        assertThat(response.body()).doesNotContain(signature(assertion));
    }

    @Test
    void tokenFailureLoggedWithoutAssertion() {
        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            HttpResponse<String> response = chat("vxfaillog/gemini-2.5-flash", false);

            String assertion = lastAssertion(echoing);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
            List<String> lines = warnings(log, "vxfaillog");
            assertThat(lines).hasSize(1);
            String line = lines.get(0);
            assertThat(line).contains("model gemini-2.5-flash");
            assertThat(line).contains("status 502 (provider_authorization_failed)");
            assertThat(line).contains("the token endpoint " + echoing.tokenUrl() + " rejected the assertion of "
                    + CLIENT_EMAIL + " with status 400: Invalid JWT Signature. assertion=[redacted]");
            assertThat(line).doesNotContain(assertion);
            assertThat(line).doesNotContain(signature(assertion));
        }
    }

    @Test
    void embeddingsTokenFailureHidesDetails() {
        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            HttpResponse<String> response = embeddings("vxfailembed/text-embedding-005");

            String assertion = lastAssertion(echoing);
            assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
            assertThat(AiTestClient.json(response).at("/error/message").asText())
                    .isEqualTo("authorization with provider 'vxfailembed' failed");
            assertThat(response.body()).doesNotContain(CLIENT_EMAIL);
            List<String> lines = warnings(log, "vxfailembed");
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("rejected the assertion of " + CLIENT_EMAIL);
            assertThat(lines.get(0)).doesNotContain(signature(assertion));
        }
    }

    @Test
    void hangingTokenEndpointEndsAtTotal() {
        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            long start = System.nanoTime();

            HttpResponse<String> response = chat("vxhang/gemini-2.5-flash", false);

            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
            assertThat(elapsedMillis).isLessThan(5_000);
            assertThat(AiTestClient.json(response).at("/error/message").asText())
                    .isEqualTo("authorization with provider 'vxhang' did not complete within 1000 ms");
            assertThat(response.body()).doesNotContain("127.0.0.1");
            List<String> lines = warnings(log, "vxhang");
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("status 504 (timeout)");
        }
    }

    @Test
    void hangingTokenEndpointEndsEmbeddingsAtTotal() {
        long start = System.nanoTime();

        HttpResponse<String> response = embeddings("vxhangembed/text-embedding-005");

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(elapsedMillis).isLessThan(5_000);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .isEqualTo("authorization with provider 'vxhangembed' did not complete within 1000 ms");
    }

    @Test
    void echoedAccessTokenIsRedacted() {
        HttpResponse<String> first = chat("vx/gemini-2.5-flash", false);
        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        String authorization = healthy.requests().get(healthy.requests().size() - 1).headers().get("authorization");
        String token = authorization.substring("Bearer ".length());
        healthy.enqueue(Reply.error(400, "INVALID_ARGUMENT", "credentials " + authorization + ", token " + token));

        HttpResponse<String> response = chat("vx/gemini-2.5-flash", false);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(token).startsWith(GeminiMock.TOKEN_PREFIX);
        assertThat(response.body()).doesNotContain(token);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("credentials [redacted], token [redacted]");
    }

    @Test
    void streamErrorEventLogsWarning() {
        healthy.enqueue(Reply.text("Hello").failingWith(500, "INTERNAL", "Internal error encountered."));
        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            HttpResponse<String> response = chat("vxstream/gemini-2.5-flash", true);

            assertThat(response.body()).contains("Internal error encountered.");
            List<String> lines = warnings(log, "vxstream");
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("model gemini-2.5-flash");
            assertThat(lines.get(0)).contains("Internal error encountered.");
        }
    }

    @Test
    void cutStreamLogsWarning() {
        healthy.enqueue(Reply.text("Hello").cutAfter(1));
        try (LogCapture log = new LogCapture(ProviderFailureLog.class)) {
            HttpResponse<String> response = chat("vxcut/gemini-2.5-flash", true);

            assertThat(response.statusCode()).isEqualTo(200);
            List<String> lines = warnings(log, "vxcut");
            assertThat(lines).hasSize(1);
            assertThat(lines.get(0)).contains("status 502");
            assertThat(lines.get(0)).contains("broke off");
        }
    }
}

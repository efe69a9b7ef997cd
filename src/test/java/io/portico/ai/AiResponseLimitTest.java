package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Provider response bodies that are not streams are read up to ai.maxResponseBytes, and error bodies to 1 MiB. */
class AiResponseLimitTest {

    private static final int MAX_RESPONSE_BYTES = 24 * 1024 * 1024;
    /** Longer than the default string length limit of Jackson 2.15.1 and later, 20,000,000 characters. */
    private static final int LONG_CONTENT_CHARS = 21_000_000;

    private static Vertx vertx;
    private static HttpServer provider;
    private static final AtomicBoolean errorBodyCut = new AtomicBoolean();
    /** The number of requests the provider received for each model. */
    private static final Map<String, Integer> REQUESTS = new ConcurrentHashMap<>();
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            String model = body.toJsonObject().getString("model");
            HttpServerResponse response = request.response().setChunked(true)
                    .putHeader("content-type", "application/json");
            REQUESTS.merge(model, 1, Integer::sum);
            if (model.startsWith("too-large")) {
                completion(response, MAX_RESPONSE_BYTES + 1024);
                return;
            }
            switch (model) {
                case "long-content" -> completion(response, LONG_CONTENT_CHARS);
                case "small" -> completion(response, 5);
                default -> largeError(response);
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get();
        node = TestNode.start(Map.of("ai.maxResponseBytes", String.valueOf(MAX_RESPONSE_BYTES)));
        Configs config = Configs.document();
        config.provider("big", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1", "sk-big-provider")
                .putObject("retries").put("attempts", 3);
        config.model("oversized-first", "fallback", "big/too-large-fallback", "big/small");
        config.model("oversized-embeddings", "fallback", "big/too-large-embeddings", "big/small");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        vertx.close();
    }

    /** Writes a chat completion whose content has {@code chars} characters, in pieces of 1 MiB. */
    private static void completion(HttpServerResponse response, int chars) {
        response.write("{\"id\":\"chatcmpl-big\",\"object\":\"chat.completion\",\"model\":\"m\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
        writePieces(response, chars, () -> response.end("\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}"));
    }

    /**
     * Writes a 400 error whose JSON body is 64 MiB long, more than the socket buffers take, and records whether the
     * client closed the connection before its end.
     */
    private static void largeError(HttpServerResponse response) {
        response.setStatusCode(400).write("{\"error\":{\"message\":\"quota text\",\"type\":\"invalid_request_error\","
                + "\"padding\":\"");
        response.closeHandler(closed -> errorBodyCut.set(!response.ended()));
        writePieces(response, 64 * 1024 * 1024, () -> response.end("\"}}"));
    }

    private static void writePieces(HttpServerResponse response, int remaining, Runnable then) {
        if (response.closed()) {
            return;
        }
        if (remaining <= 0) {
            then.run();
            return;
        }
        int size = Math.min(remaining, 1024 * 1024);
        response.write(Buffer.buffer("a".repeat(size))).onComplete(written ->
                writePieces(response, remaining - size, then));
    }

    private static HttpResponse<String> ask(String model) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"big/%s","messages":[{"role":"user","content":"Hi"}]}""".formatted(model));
    }

    @Test
    void contentLongerThanJacksonDefaultPasses() {
        HttpResponse<String> response = ask("long-content");

        // The body is checked as text, because the JSON parser of the test has Jackson's default limit.
        String body = response.body();
        assertThat(response.statusCode()).as(body.substring(0, Math.min(500, body.length()))).isEqualTo(200);
        assertThat(body).contains("\"content\":\"aaaa");
        assertThat(body.length()).isGreaterThan(LONG_CONTENT_CHARS);
        assertThat(body).endsWith("}");
    }

    @Test
    void responseOverLimitIsBadGateway() {
        HttpResponse<String> response = ask("too-large");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("is larger than " + MAX_RESPONSE_BYTES + " bytes")
                .contains("ai.maxResponseBytes");
    }

    @Test
    void responseOverLimitIsNotRetried() {
        HttpResponse<String> response = ask("too-large-once");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(REQUESTS.get("too-large-once")).isEqualTo(1);
    }

    @Test
    void responseOverLimitTriesNoFallback() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"oversized-first","messages":[{"role":"user","content":"Hi"}]}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("is larger than " + MAX_RESPONSE_BYTES + " bytes");
        assertThat(REQUESTS.get("too-large-fallback")).isEqualTo(1);
        assertThat(REQUESTS.get("small")).isNull();
    }

    @Test
    void embeddingsOverLimitAreBadGateway() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings", """
                {"model":"oversized-embeddings","input":"Hi"}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("is larger than " + MAX_RESPONSE_BYTES + " bytes");
        assertThat(REQUESTS.get("too-large-embeddings")).isEqualTo(1);
        assertThat(REQUESTS.get("small")).isNull();
    }

    @Test
    void errorBodyIsReadToItsStart() {
        HttpResponse<String> response = ask("large-error");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body().length()).isLessThan(64 * 1024);
        assertThat(AiTestClient.json(response).at("/error/message").asText()).contains("quota text");
        Conditions.eventually("the provider's error body was cut", errorBodyCut::get);
    }
}

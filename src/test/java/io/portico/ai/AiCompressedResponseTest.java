package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Provider responses to chat and embeddings requests in the gzip content coding, which Portico decompresses. One cut
 * inside its compressed stream fails the attempt with 502 in the client's protocol, rather than passing on the part
 * that arrived. An OpenAI-format provider on loopback sends each case, chosen by the requested model.
 */
class AiCompressedResponseTest {

    private static final String ANSWER = "A compressed answer. ".repeat(50);
    private static final String COMPLETION = "{\"id\":\"chatcmpl-gz\",\"object\":\"chat.completion\",\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + ANSWER + "\"},"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":7,"
            + "\"total_tokens\":12}}";
    private static final String STREAM = "data: {\"id\":\"chatcmpl-gz\",\"object\":\"chat.completion.chunk\","
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hel\"}}]}\n\n"
            + "data: {\"id\":\"chatcmpl-gz\",\"object\":\"chat.completion.chunk\",\"model\":\"m\",\"choices\":[{"
            + "\"index\":0,\"delta\":{\"content\":\"" + ANSWER + "\"},\"finish_reason\":\"stop\"}]}\n\n"
            + "data: [DONE]\n\n";
    private static final String EMBEDDINGS = "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
            + "\"embedding\":[0.25,0.5]}],\"model\":\"m\",\"usage\":{\"prompt_tokens\":3,\"total_tokens\":3}}";
    /** The limit on provider response bodies that are not streams, in bytes. */
    private static final int MAX_RESPONSE_BYTES = 64 * 1024;

    private static Vertx vertx;
    private static HttpServer provider;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        byte[] completion = gzip(COMPLETION.getBytes(StandardCharsets.UTF_8));
        byte[] stream = gzip(STREAM.getBytes(StandardCharsets.UTF_8));
        byte[] embeddings = gzip(EMBEDDINGS.getBytes(StandardCharsets.UTF_8));
        byte[] zeros = gzip(new byte[4 * 1024 * 1024]);
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            String model = body.toJsonObject().getString("model");
            HttpServerResponse response = request.response().putHeader("content-encoding", "gzip");
            if (request.path().endsWith("/embeddings") && !model.equals("zeros")) {
                byte[] sent = model.equals("whole") ? embeddings : Arrays.copyOf(embeddings, embeddings.length / 2);
                response.putHeader("content-type", "application/json").end(Buffer.buffer(sent));
                return;
            }
            switch (model) {
                case "whole" -> response.putHeader("content-type", "application/json").end(Buffer.buffer(completion));
                case "cut" -> response.putHeader("content-type", "application/json")
                        .end(Buffer.buffer(Arrays.copyOf(completion, completion.length / 2)));
                case "cut-stream" -> response.putHeader("content-type", "text/event-stream")
                        .end(Buffer.buffer(Arrays.copyOf(stream, stream.length - 10)));
                default -> response.putHeader("content-type", "application/json").end(Buffer.buffer(zeros));
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node = TestNode.start(Map.of("ai.maxResponseBytes", String.valueOf(MAX_RESPONSE_BYTES)));
        Configs config = Configs.document();
        ObjectNode gzipped = config.provider("gzipped", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1",
                "sk-gzipped");
        gzipped.putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    private static HttpResponse<String> chat(String model) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"gzipped/%s","messages":[{"role":"user","content":"Hi"}]}""".formatted(model));
    }

    @Test
    void gzipCompletionIsDecompressed() {
        HttpResponse<String> response = chat("whole");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/choices/0/message/content").asText()).isEqualTo(ANSWER);
    }

    @Test
    void cutGzipIsBadGatewayForOpenAi() {
        HttpResponse<String> response = chat("cut");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("message").asText()).contains("gzipped")
                .contains("the gzip body ends before its compressed stream does");
        assertThat(error.path("message").asText()).doesNotContain("127.0.0.1");
        assertThat(error.path("type").asText()).isNotEmpty();
        assertThat(response.body()).doesNotContain("A compressed answer");
    }

    @Test
    void cutGzipIsBadGatewayForAnthropic() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"gzipped/cut","max_tokens":50,"messages":[{"role":"user","content":"Hi"}]}""",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("api_error");
        assertThat(body.at("/error/message").asText()).contains("the gzip body ends before its compressed stream does");
        assertThat(response.body()).doesNotContain("A compressed answer");
    }

    @Test
    void cutGzipStreamEndsWithError() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"gzipped/cut-stream","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        Event last = events.get(events.size() - 1);
        assertThat(last.data()).isNotEqualTo("[DONE]");
        assertThat(last.json().at("/error/message").asText())
                .contains("the gzip body ends before its compressed stream does");
    }

    @Test
    void decompressedSizeCountsAgainstLimit() {
        HttpResponse<String> response = chat("zeros");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("is larger than " + MAX_RESPONSE_BYTES + " bytes");
    }

    private static HttpResponse<String> embeddings(String model) {
        return AiTestClient.post(node.url() + "/v1/embeddings", """
                {"model":"gzipped/%s","input":"x"}""".formatted(model));
    }

    @Test
    void gzipEmbeddingsAreDecompressed() {
        HttpResponse<String> response = embeddings("whole");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).at("/data/0/embedding/1").asDouble()).isEqualTo(0.5);
    }

    @Test
    void cutGzipEmbeddingsAreBadGateway() {
        HttpResponse<String> response = embeddings("cut");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .isEqualTo("the response of provider 'gzipped' is invalid: the gzip body ends before its compressed"
                        + " stream does");
    }

    @Test
    void decompressedEmbeddingsCountAgainstLimit() {
        HttpResponse<String> response = embeddings("zeros");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("is larger than " + MAX_RESPONSE_BYTES + " bytes");
    }
}

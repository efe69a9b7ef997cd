package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A stream event over the 16 MiB limit that arrives before any content reached the client, through a real node.
 * As with a response over {@code ai.maxResponseBytes}, the request ends with 502 in the client's protocol, without
 * a retry or another target. An Anthropic-format provider on loopback starts every stream with
 * {@code message_start}, then sends the first 17 MiB of an event that never ends.
 */
class AiOverlongEventTest {

    /** The number of requests the provider received for each model. */
    private static final Map<String, Integer> REQUESTS = new ConcurrentHashMap<>();

    private static Vertx vertx;
    private static HttpServer provider;
    private static OpenAiMock backup;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            String model = body.toJsonObject().getString("model");
            REQUESTS.merge(model, 1, Integer::sum);
            HttpServerResponse response = request.response().setChunked(true)
                    .putHeader("content-type", "text/event-stream");
            response.write("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\","
                    + "\"type\":\"message\",\"role\":\"assistant\",\"model\":\"" + model + "\",\"content\":[],"
                    + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,"
                    + "\"output_tokens\":1}}}\n\n");
            sendOverlongEvent(response);
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        backup = new OpenAiMock("backup", "sk-backup");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("overlong", "anthropic", "http://127.0.0.1:" + provider.actualPort(), "sk-overlong")
                .putObject("retries").put("attempts", 3);
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.model("overlong-first", "fallback", "overlong/fallback", "backup/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    /** Sends the start of a content event of 17 MiB, a megabyte per write, and never its end. */
    private static void sendOverlongEvent(HttpServerResponse response) {
        byte[] megabyte = new byte[1024 * 1024];
        Arrays.fill(megabyte, (byte) 'a');
        response.write("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
                + "\"delta\":{\"type\":\"text_delta\",\"text\":\"");
        for (int i = 0; i < 17; i++) {
            response.write(Buffer.buffer(megabyte));
        }
        response.end();
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        backup.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> stream(String endpoint, String model) {
        return AiTestClient.post(node.url() + endpoint, "{\"model\":\"" + model + "\",\"max_tokens\":50,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    @Test
    void openAiClientGetsErrorWithoutRetry() {
        HttpResponse<String> response = stream("/v1/chat/completions", "overlong/openai-client");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(error.path("message").asText()).contains("provider 'overlong'")
                .contains("longer than 16777216 bytes");
        assertThat(REQUESTS.get("openai-client")).isEqualTo(1);
    }

    @Test
    void anthropicClientGetsErrorWithoutRetry() {
        HttpResponse<String> response = stream("/v1/messages", "overlong/anthropic-client");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(body.path("error").path("message").asText()).contains("longer than 16777216 bytes");
        assertThat(REQUESTS.get("anthropic-client")).isEqualTo(1);
    }

    @Test
    void overlongEventTriesNoFallback() {
        HttpResponse<String> response = stream("/v1/chat/completions", "overlong-first");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        assertThat(REQUESTS.get("fallback")).isEqualTo(1);
        assertThat(backup.received()).isEmpty();
    }
}

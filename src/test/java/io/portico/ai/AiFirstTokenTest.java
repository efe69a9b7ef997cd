package io.portico.ai;

import static io.portico.testing.Conditions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * The time to first token and the first-token timeout of streams that send a preamble at once and their content
 * later. A provider on loopback speaks the Anthropic Messages and the OpenAI Chat Completions formats. For a model
 * whose id starts with {@code stall} it sends the preamble at once (Anthropic's {@code message_start} and
 * {@code ping}, OpenAI's role chunk with empty content) and the text {@value #STALLED_TEXT} after
 * {@value #STALL_MILLIS} ms. For any other model it streams the text {@value #FAST_TEXT} at once.
 */
class AiFirstTokenTest {

    private static final long STALL_MILLIS = 1500;
    private static final String STALLED_TEXT = "Late hello";
    private static final String FAST_TEXT = "Quick hello";
    private static final String MESSAGE_START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{"
            + "\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":[],"
            + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n";
    private static final String PING = "event: ping\ndata: {\"type\":\"ping\"}\n\n";
    private static final String MESSAGE_CONTENT = "event: content_block_start\ndata: {\"type\":"
            + "\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"%s\"}}\n\n"
            + "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
            + "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\","
            + "\"stop_sequence\":null},\"usage\":{\"output_tokens\":3}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    private static final String CHUNK = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"%s\",\"choices\":[{\"index\":0,\"delta\":%s,"
            + "\"finish_reason\":%s}]}\n\n";

    private static Vertx vertx;
    private static HttpServer provider;
    /** The models of the requests the provider received, in order. */
    private static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(AiFirstTokenTest::serve);
        provider.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        String base = "http://127.0.0.1:" + provider.actualPort();
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("an", "anthropic", base, "sk-an").putObject("retries").put("attempts", 1);
        config.provider("oa", "openai", base + "/v1", "sk-oa").putObject("retries").put("attempts", 1);
        for (String type : List.of("anthropic", "openai")) {
            String name = type.equals("anthropic") ? "an-impatient" : "oa-impatient";
            ObjectNode impatient = config.provider(name, type, type.equals("anthropic") ? base : base + "/v1", "sk-x");
            impatient.putObject("timeouts").put("firstToken", "500ms");
            impatient.putObject("retries").put("attempts", 1);
            // A target that timed out is tried last for a while, so each test case has its own model.
            for (int i = 1; i <= 2; i++) {
                config.model(name + "-fallback-" + i, "fallback", name + "/stall-" + i, "oa/fast");
            }
        }
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    private static void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            String model = body.toJsonObject().getString("model");
            RECEIVED.add(model);
            HttpServerResponse response = request.response().setChunked(true)
                    .putHeader("content-type", "text/event-stream");
            boolean anthropic = request.path().endsWith("/messages");
            if (!model.startsWith("stall")) {
                response.end(anthropic ? anthropicPreamble(model) + String.format(MESSAGE_CONTENT, FAST_TEXT)
                        : openAiPreamble(model) + openAiContent(model, FAST_TEXT));
                return;
            }
            response.write(anthropic ? anthropicPreamble(model) : openAiPreamble(model));
            String content = anthropic ? String.format(MESSAGE_CONTENT, STALLED_TEXT)
                    : openAiContent(model, STALLED_TEXT);
            vertx.setTimer(STALL_MILLIS, id -> {
                if (!response.closed()) {
                    response.end(content);
                }
            });
        });
    }

    private static String anthropicPreamble(String model) {
        return String.format(MESSAGE_START, model) + PING;
    }

    private static String openAiPreamble(String model) {
        return String.format(CHUNK, model, "{\"role\":\"assistant\",\"content\":\"\"}", "null");
    }

    private static String openAiContent(String model, String text) {
        return String.format(CHUNK, model, "{\"content\":\"" + text + "\"}", "null")
                + String.format(CHUNK, model, "{}", "\"stop\"") + "data: [DONE]\n\n";
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @CsvSource({"an, /v1/chat/completions", "an, /v1/messages", "oa, /v1/chat/completions"})
    void ttftRunsToFirstContent(String providerName, String endpoint) {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = stream(endpoint, providerName + "/stall");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains(STALLED_TEXT);
            String upstream = "upstream=" + providerName + "/stall";
            eventually("the access log has the request", () -> logged(log, upstream) != null);
            Matcher ttft = Pattern.compile("ai_ttft_ms=([0-9.]+)").matcher(logged(log, upstream));
            assertThat(ttft.find()).as("ai_ttft_ms is logged").isTrue();
            assertThat(Double.parseDouble(ttft.group(1))).isGreaterThanOrEqualTo(STALL_MILLIS - 100);
        }
    }

    @ParameterizedTest
    @CsvSource({"an-impatient-fallback-1, /v1/chat/completions", "an-impatient-fallback-2, /v1/messages",
        "oa-impatient-fallback-1, /v1/chat/completions"})
    void firstTokenTimeoutAfterPreambleFallsBack(String virtualModel, String endpoint) {
        RECEIVED.clear();

        HttpResponse<String> response = stream(endpoint, virtualModel);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains(FAST_TEXT);
        assertThat(response.body()).doesNotContain(STALLED_TEXT);
        assertThat(RECEIVED).containsExactly("stall-" + virtualModel.substring(virtualModel.length() - 1), "fast");
    }

    private static HttpResponse<String> stream(String endpoint, String model) {
        String maxTokens = endpoint.endsWith("/messages") ? "\"max_tokens\":50," : "";
        return AiTestClient.post(node.url() + endpoint, "{\"model\":\"" + model + "\"," + maxTokens
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                "anthropic-version", "2023-06-01");
    }

    /** Returns the first access-log line that contains {@code text}, or null. */
    private static String logged(LogCapture log, String text) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains(text)).findFirst().orElse(null);
    }
}

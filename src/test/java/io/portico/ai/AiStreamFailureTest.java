package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiTestClient.Event;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Streams that a provider breaks after they started: an error event, an event too large to buffer, and a connection
 * closed before {@code message_delta} reported the output tokens. A small
 * Anthropic-format provider on loopback sends each script, chosen by the requested model.
 */
class AiStreamFailureTest {

    private static final String START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{"
            + "\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"%s\",\"content\":[],"
            + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,\"output_tokens\":1}}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n";
    private static final String OVERLOADED = "event: error\ndata: {\"type\":\"error\",\"error\":{"
            + "\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
    private static final String STOP = "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{"
            + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}\n\n"
            + "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n";
    /** The text that the model {@code cut} streams before its provider closes the connection. */
    private static final String CUT_TEXT = "The quick brown fox jumps over the lazy dog, then rests in the shade.";
    /**
     * The start of the model {@code cut}: 7 input tokens, 3 read from the cache, and the placeholder output count of
     * 1 that Anthropic sends in {@code message_start}.
     */
    private static final String CUT_START = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{"
            + "\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"cut\",\"content\":[],"
            + "\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,"
            + "\"cache_read_input_tokens\":3,\"output_tokens\":1}}}\n\n"
            + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,"
            + "\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
            + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"" + CUT_TEXT + "\"}}\n\n";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static HttpServer provider;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off; this node writes it.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            String model = body.toJsonObject().getString("model");
            HttpServerResponse response = request.response().setChunked(true)
                    .putHeader("content-type", "text/event-stream");
            if (model.equals("cut")) {
                response.end(CUT_START);
                return;
            }
            response.write(String.format(START, model));
            if (model.equals("overloaded")) {
                response.end(OVERLOADED);
            } else if (model.equals("garbage")) {
                response.end("event: content_block_delta\ndata: not json at all\n\n" + STOP);
            } else {
                sendOverlongEvent(response);
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node = TestNode.start(Map.of("metrics.port", "0"));
        Configs config = Configs.document();
        ObjectNode scripted = config.provider("scripted", "anthropic", "http://127.0.0.1:" + provider.actualPort(),
                "sk-scripted");
        scripted.putObject("retries").put("attempts", 1);
        // Listed, so that the metrics name these models rather than count them as other.
        scripted.putArray("models").add("overloaded").add("overlong");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    /** Sends the start of an event of 17 MiB, a megabyte per write, and never its end. */
    private static void sendOverlongEvent(HttpServerResponse response) {
        byte[] megabyte = new byte[1024 * 1024];
        Arrays.fill(megabyte, (byte) 'a');
        response.write("event: content_block_delta\ndata: {\"text\":\"");
        for (int i = 0; i < 17; i++) {
            response.write(Buffer.buffer(megabyte));
        }
        response.end();
    }

    @AfterAll
    static void stop() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void errorEventEndsStreamAsFailure() throws Exception {
        try (LogCapture log = new LogCapture(org.slf4j.Logger.ROOT_LOGGER_NAME)) {
            List<Event> events = stream("overloaded");

            Event last = events.get(events.size() - 1);
            assertThat(last.name()).isEqualTo("error");
            assertThat(last.json().path("error").path("type").asText()).isEqualTo("overloaded_error");
            assertThat(events).extracting(Event::name).doesNotContain("message_stop");
            awaitLine("portico_ai_requests_total{model=\"overloaded\",outcome=\"server_error\","
                    + "provider=\"scripted\"} 1.0");
            assertThat(scrape()).doesNotContain("model=\"overloaded\",outcome=\"success\"");
            assertThat(scrape()).contains(
                    "portico_ai_tokens_total{kind=\"input\",model=\"overloaded\",provider=\"scripted\"} 7.0");
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    @Test
    void overlongEventEndsStreamWithError() throws Exception {
        List<Event> events = stream("overlong");

        Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.json().path("error").path("message").asText()).contains("longer than 16777216 bytes");
        assertThat(events).extracting(Event::name).doesNotContain("message_stop");
        awaitLine("portico_ai_requests_total{model=\"overlong\",outcome=\"server_error\",provider=\"scripted\"} 1.0");
    }

    @Test
    void eventThatIsNotJsonFailsTranslatedStream() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted/garbage\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        Event last = events.get(events.size() - 1);
        assertThat(last.data()).isNotEqualTo("[DONE]");
        assertThat(last.json().path("error").path("message").asText()).contains("not valid JSON");
        assertThat(events).noneMatch(event -> event.data().contains("\"finish_reason\":\"stop\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat/completions", "/v1/messages"})
    void cutStreamCountsStreamedOutput(String endpoint) {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = AiTestClient.post(node.url() + endpoint, "{\"model\":\"scripted/cut\","
                    + "\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                    "anthropic-version", "2023-06-01");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains(CUT_TEXT);
            String path = "path=" + endpoint + " ";
            Conditions.eventually("the access log has the request", () -> logged(log, path) != null);
            String entry = logged(log, path);
            assertThat(entry).contains("upstream=scripted/cut", "ai_error=");
            assertThat(entry).contains("ai_input_tokens=10 ");
            assertThat(entry).contains("ai_cached_tokens=3 ");
            assertThat(entry).contains("ai_tokens_estimated=true");
            Matcher output = Pattern.compile("ai_output_tokens=(\\d+)").matcher(entry);
            assertThat(output.find()).as("ai_output_tokens is logged").isTrue();
            assertThat(Integer.parseInt(output.group(1))).isEqualTo(TokenCounter.count(CUT_TEXT));
        }
    }

    /** Returns the first access-log line that contains {@code text}, or null. */
    private static String logged(LogCapture log, String text) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains(text)).findFirst().orElse(null);
    }

    private static List<Event> stream(String model) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"scripted/"
                + model + "\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).isEqualTo(200);
        return AiTestClient.events(response.body());
    }

    private static void awaitLine(String line) {
        Conditions.eventually("the scrape contains " + line, () -> scrape().contains(line));
    }

    private static String scrape() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.adminUrl() + "/metrics"))
                .header("Authorization", "Bearer " + TestNode.TOKEN).timeout(Duration.ofSeconds(30)).build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            throw new AssertionError("scraping the metrics failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }
}

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
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * The access-log line of a streamed chat completion or Responses API response that the client leaves: it names the
 * provider that was called and the usage recorded for it. A provider on loopback streams one chunk or output delta
 * at once and then one every 100 ms, so the client can leave in the middle. For the model {@code late} it sends no
 * response head for 5 seconds. On the Responses API, the model {@code held} sends {@code response.completed} with
 * its usage at once and ends the stream only after 5 seconds, and the model {@code no-usage} completes at once
 * without usage. The provider {@code brief} is the same server with a total timeout of 700 ms, which ends the
 * stream in the middle.
 */
class AiStreamAbortTest {

    private static final String CHUNK = "data: {\"id\":\"chatcmpl-slow\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
            + "\"content\":\"%s\"},\"finish_reason\":null}]}\n\n";
    private static final String CHAT = "/v1/chat/completions";
    private static final String RESPONSES = "/v1/responses";
    /** Chunks sent after the first one, 100 ms apart, if the client stays. */
    private static final int LATER_CHUNKS = 50;
    private static final String RESPONSE_CREATED = "event: response.created\ndata: {\"type\":\"response.created\","
            + "\"sequence_number\":0,\"response\":{\"id\":\"resp_slow\",\"object\":\"response\","
            + "\"created_at\":1700000000,\"status\":\"in_progress\",\"model\":\"gpt-4o\",\"output\":[],"
            + "\"usage\":null}}\n\n";
    private static final String OUTPUT_TEXT_DELTA = "event: response.output_text.delta\ndata: {\"type\":"
            + "\"response.output_text.delta\",\"sequence_number\":%d,\"item_id\":\"msg_slow\",\"output_index\":0,"
            + "\"content_index\":0,\"delta\":\"%s\"}\n\n";
    /** The usage that {@code response.completed} reports, which the access log shows when it arrived. */
    private static final String RESPONSE_USAGE = "{\"input_tokens\":11,\"input_tokens_details\":{\"cached_tokens\":0},"
            + "\"output_tokens\":2,\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":13}";
    private static final String RESPONSE_COMPLETED = "event: response.completed\ndata: {\"type\":"
            + "\"response.completed\",\"sequence_number\":%d,\"response\":{\"id\":\"resp_slow\",\"object\":"
            + "\"response\",\"created_at\":1700000000,\"status\":\"completed\",\"model\":\"gpt-4o\","
            + "\"output\":[{\"type\":\"message\",\"id\":\"msg_slow\",\"status\":\"completed\",\"role\":"
            + "\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"%s\",\"annotations\":[]}]}],"
            + "\"usage\":%s}}\n\n";

    private static Vertx vertx;
    private static HttpServer provider;
    private static final AtomicInteger RECEIVED = new AtomicInteger();
    private static final AtomicInteger CLOSED_EARLY = new AtomicInteger();
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(AiStreamAbortTest::serve);
        provider.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("slow", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1", "sk-slow")
                .putObject("retries").put("attempts", 1);
        ObjectNode brief = config.provider("brief", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1",
                "sk-slow");
        brief.putObject("timeouts").put("total", "700ms");
        brief.putObject("retries").put("attempts", 1);
        ObjectNode route = config.aiRoute("ai", "/v1");
        route.putArray("policies").addObject().put("name", "header-auth");
        config.resource("teams", "ml");
        config.resource("consumers", "carol").put("team", "ml");
        node.apply(config.build());
    }

    private static void serve(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            HttpServerResponse response = request.response().setChunked(true)
                    .putHeader("content-type", "text/event-stream");
            response.closeHandler(closed -> {
                if (!response.ended()) {
                    CLOSED_EARLY.incrementAndGet();
                }
            });
            RECEIVED.incrementAndGet();
            String model = body.toJsonObject().getString("model");
            if (model.equals("late")) {
                vertx.setTimer(5000, id -> response.end());
                return;
            }
            if (request.path().endsWith("/responses")) {
                serveResponses(response, model);
                return;
            }
            response.write(String.format(CHUNK, "Hel"));
            writeLater(response, 0);
        });
    }

    /** Streams the events of the Responses API: response.created, output text deltas, response.completed. */
    private static void serveResponses(HttpServerResponse response, String model) {
        response.write(RESPONSE_CREATED + String.format(OUTPUT_TEXT_DELTA, 1, "Hel"));
        switch (model) {
            case "held" -> {
                response.write(String.format(RESPONSE_COMPLETED, 2, "Hel", RESPONSE_USAGE));
                vertx.setTimer(5000, id -> response.end());
            }
            case "no-usage" -> response.end(String.format(RESPONSE_COMPLETED, 2, "Hel", "null"));
            default -> writeDeltasLater(response, 0);
        }
    }

    private static void writeDeltasLater(HttpServerResponse response, int sent) {
        vertx.setTimer(100, id -> {
            if (response.closed()) {
                return;
            }
            if (sent == LATER_CHUNKS) {
                response.end(String.format(RESPONSE_COMPLETED, sent + 2, "Hel" + "lo".repeat(sent), RESPONSE_USAGE));
                return;
            }
            response.write(String.format(OUTPUT_TEXT_DELTA, sent + 2, "lo"));
            writeDeltasLater(response, sent + 1);
        });
    }

    private static void writeLater(HttpServerResponse response, int sent) {
        vertx.setTimer(100, id -> {
            if (response.closed()) {
                return;
            }
            if (sent == LATER_CHUNKS) {
                response.end("data: [DONE]\n\n");
                return;
            }
            response.write(String.format(CHUNK, "lo"));
            writeLater(response, sent + 1);
        });
    }

    @AfterAll
    static void stop() throws Exception {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @ValueSource(strings = {CHAT, RESPONSES})
    void abortAfterFirstChunkLogsUsage(String endpoint) throws Exception {
        int closedBefore = CLOSED_EARLY.get();
        try (LogCapture log = new LogCapture("portico.access")) {
            try (Socket socket = send(endpoint, "slow/gpt-4o")) {
                assertThat(readUntil(reader(socket), "Hel")).as("the first chunk").isNotNull();
            }

            String entry = awaitAbortedLine(log);

            assertThat(entry).contains("path=" + endpoint, "route=ai", "consumer=carol", "upstream=slow/gpt-4o",
                    "ai_provider=slow", "ai_model=gpt-4o", "ai_tokens_estimated=true", "ai_cost_usd=",
                    "ai_error=client_closed");
            assertThat(entry).containsPattern("ai_output_tokens=[1-9]");
            assertThat(entry).containsPattern("ai_input_tokens=[1-9]");
        }
        eventually("the provider request was cancelled", () -> CLOSED_EARLY.get() > closedBefore);
    }

    @ParameterizedTest
    @ValueSource(strings = {CHAT, RESPONSES})
    void abortBeforeFirstChunkLogsProvider(String endpoint) throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            int receivedBefore = RECEIVED.get();
            try (Socket socket = send(endpoint, "slow/late")) {
                eventually("the provider received the request", () -> RECEIVED.get() > receivedBefore);
            }

            String entry = awaitAbortedLine(log);

            assertThat(entry).contains("path=" + endpoint, "route=ai", "consumer=carol", "upstream=slow/late",
                    "ai_provider=slow", "ai_model=late", "ai_error=client_closed");
            assertThat(entry).doesNotContain("ai_cost_usd");
        }
    }

    @Test
    void responsesAbortAfterUsageLogsProviderUsage() throws Exception {
        int closedBefore = CLOSED_EARLY.get();
        try (LogCapture log = new LogCapture("portico.access")) {
            try (Socket socket = send(RESPONSES, "slow/held")) {
                BufferedReader reader = reader(socket);
                assertThat(readUntil(reader, "\"input_tokens\":11")).as("the completed event").isNotNull();
                assertThat(readUntil(reader, "")).as("the end of the completed event").isNotNull();
            }

            String entry = awaitAbortedLine(log);

            assertThat(entry).contains("upstream=slow/held", "ai_provider=slow", "ai_model=held",
                    "ai_error=client_closed", "ai_cost_usd=");
            assertThat(entry).contains("ai_input_tokens=11");
            assertThat(entry).contains("ai_output_tokens=2");
            assertThat(entry).contains("ai_tokens_estimated=false");
        }
        eventually("the provider request was cancelled", () -> CLOSED_EARLY.get() > closedBefore);
    }

    @Test
    void responsesStreamWithoutUsageLogsEstimate() {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = AiTestClient.post(node.url() + RESPONSES,
                    "{\"model\":\"slow/no-usage\",\"stream\":true,\"input\":\"Say hello\"}",
                    "x-test-consumer", "carol");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).contains("response.completed");
            eventually("the access log has the request", () -> logged(log, "upstream=slow/no-usage") != null);
            String entry = logged(log, "upstream=slow/no-usage");
            assertThat(entry).doesNotContain("aborted=true", "ai_error");
            assertThat(entry).contains("ai_tokens_estimated=true", "ai_cost_usd=");
            assertThat(entry).containsPattern("ai_output_tokens=[1-9]");
            assertThat(entry).containsPattern("ai_input_tokens=[1-9]");
        }
    }

    @Test
    void totalTimeoutCancelsStartedStream() {
        int closedBefore = CLOSED_EARLY.get();
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = AiTestClient.post(node.url() + CHAT, "{\"model\":\"brief/gpt-4o\","
                    + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}",
                    "x-test-consumer", "carol");

            assertThat(response.statusCode()).isEqualTo(200);
            List<AiTestClient.Event> events = AiTestClient.events(response.body());
            AiTestClient.Event last = events.get(events.size() - 1);
            assertThat(last.json().path("error").path("message").asText()).contains("within 700 ms");
            eventually("the access log has the request", () -> logged(log, "upstream=brief/gpt-4o") != null);
            String entry = logged(log, "upstream=brief/gpt-4o");
            assertThat(entry).contains("ai_error=timeout", "ai_tokens_estimated=true");
            assertThat(entry).containsPattern("ai_output_tokens=[1-9]");
        }
        eventually("the provider request was cancelled", () -> CLOSED_EARLY.get() > closedBefore);
    }

    /**
     * Opens a connection and sends a streamed request to {@code endpoint}, {@link #CHAT} or {@link #RESPONSES}, as
     * carol, without reading the response.
     */
    private static Socket send(String endpoint, String model) throws Exception {
        String input = endpoint.equals(CHAT) ? "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]"
                : "\"instructions\":\"Be brief.\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":"
                + "\"input_text\",\"text\":\"Say hello\"}]}]";
        return post(endpoint, "{\"model\":\"" + model + "\",\"stream\":true," + input + "}");
    }

    private static Socket post(String path, String body) throws Exception {
        Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort());
        socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Test-Consumer: carol\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        return socket;
    }

    private static BufferedReader reader(Socket socket) throws Exception {
        return new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
    }

    /**
     * Reads lines up to the first that contains {@code text}, or up to the first empty line when {@code text} is
     * empty, and returns that line; null when the response ends first.
     */
    private static String readUntil(BufferedReader reader, String text) throws Exception {
        String line;
        do {
            line = reader.readLine();
        } while (line != null && !(text.isEmpty() ? line.isEmpty() : line.contains(text)));
        return line;
    }

    private static String awaitAbortedLine(LogCapture log) {
        eventually("the access log has the aborted request", () -> aborted(log.messages(Level.INFO)) != null);
        return aborted(log.messages(Level.INFO));
    }

    private static String aborted(List<String> lines) {
        return lines.stream().filter(line -> line.contains("aborted=true")).findFirst().orElse(null);
    }

    /** Returns the first access-log line that contains {@code text}, or null. */
    private static String logged(LogCapture log, String text) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains(text)).findFirst().orElse(null);
    }
}

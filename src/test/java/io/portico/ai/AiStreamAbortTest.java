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
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The access-log line of a streamed chat completion that the client leaves: it names the provider that was called
 * and the usage recorded for it. A provider on loopback streams one chunk at once and then one every 100 ms, so the
 * client can leave in the middle. For the model {@code late} it sends no response head for 5 seconds.
 */
class AiStreamAbortTest {

    private static final String CHUNK = "data: {\"id\":\"chatcmpl-slow\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
            + "\"content\":\"%s\"},\"finish_reason\":null}]}\n\n";
    /** Chunks sent after the first one, 100 ms apart, if the client stays. */
    private static final int LATER_CHUNKS = 50;

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
            if (body.toJsonObject().getString("model").equals("late")) {
                vertx.setTimer(5000, id -> response.end());
                return;
            }
            response.write(String.format(CHUNK, "Hel"));
            writeLater(response, 0);
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

    @Test
    void abortAfterFirstChunkLogsUsage() throws Exception {
        int closedBefore = CLOSED_EARLY.get();
        try (LogCapture log = new LogCapture("portico.access")) {
            try (Socket socket = send("slow/gpt-4o")) {
                BufferedReader reader = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                        StandardCharsets.UTF_8));
                String line;
                do {
                    line = reader.readLine();
                } while (line != null && !line.contains("Hel"));
                assertThat(line).as("the first chunk").isNotNull();
            }

            String entry = awaitAbortedLine(log);

            assertThat(entry).contains("route=ai", "consumer=carol", "upstream=slow/gpt-4o", "ai_provider=slow",
                    "ai_model=gpt-4o", "ai_tokens_estimated=true", "ai_cost_usd=", "ai_error=client_closed");
            assertThat(entry).containsPattern("ai_output_tokens=[1-9]");
            assertThat(entry).containsPattern("ai_input_tokens=[1-9]");
        }
        eventually("the provider request was cancelled", () -> CLOSED_EARLY.get() > closedBefore);
    }

    @Test
    void abortBeforeFirstChunkLogsProvider() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            int receivedBefore = RECEIVED.get();
            try (Socket socket = send("slow/late")) {
                eventually("the provider received the request", () -> RECEIVED.get() > receivedBefore);
            }

            String entry = awaitAbortedLine(log);

            assertThat(entry).contains("route=ai", "consumer=carol", "upstream=slow/late", "ai_provider=slow",
                    "ai_model=late", "ai_error=client_closed");
            assertThat(entry).doesNotContain("ai_cost_usd");
        }
    }

    /** Opens a connection and sends a streamed chat request as carol, without reading the response. */
    private static Socket send(String model) throws Exception {
        String body = "{\"model\":\"" + model + "\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}";
        Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort());
        socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\n"
                + "X-Test-Consumer: carol\r\nContent-Type: application/json\r\nContent-Length: " + body.length()
                + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
        socket.getOutputStream().flush();
        return socket;
    }

    private static String awaitAbortedLine(LogCapture log) {
        eventually("the access log has the aborted request", () -> aborted(log.messages(Level.INFO)) != null);
        return aborted(log.messages(Level.INFO));
    }

    private static String aborted(List<String> lines) {
        return lines.stream().filter(line -> line.contains("aborted=true")).findFirst().orElse(null);
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * AI requests in flight while a node stops. The provider {@code slow} delays the end of each response by
 * {@value #HOLD_MILLIS} ms, far longer than the node's drain: the model {@code quiet} sends nothing until then, and
 * the model {@code started} streams its first content chunk at once. Each virtual model falls back to the provider
 * {@code backup}, and {@code slow} allows two attempts and has a circuit breaker, so a failure blamed on the
 * provider would show as a second request, a request to {@code backup} or a breaker failure.
 */
class AiGracefulShutdownTest {

    private static final long HOLD_MILLIS = 5000;
    private static final String CHAT = "/v1/chat/completions";
    private static final String RESPONSES = "/v1/responses";
    private static final String CHUNK = "data: {\"id\":\"chatcmpl-held\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1700000000,\"model\":\"started\",\"choices\":[{\"index\":0,\"delta\":{\"role\":"
            + "\"assistant\",\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static HttpServer slow;
    private static OpenAiMock backup;
    private static final AtomicInteger RECEIVED = new AtomicInteger();

    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
    private Level accessLevel;

    @BeforeAll
    static void startProviders() throws Exception {
        vertx = Vertx.vertx();
        slow = vertx.createHttpServer().requestHandler(AiGracefulShutdownTest::hold);
        slow.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        backup = new OpenAiMock("backup", "sk-backup");
    }

    @AfterAll
    static void stopProviders() throws Exception {
        backup.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void enableAccessLog() {
        accessLevel = accessLogger.getLevel();
        // The test logging configuration turns the access log off, so these tests turn it on.
        accessLogger.setLevel(Level.INFO);
    }

    @AfterEach
    void restoreAccessLog() {
        accessLogger.setLevel(accessLevel);
    }

    /**
     * Ends the response after {@link #HOLD_MILLIS}, as a 500 when its head was not sent yet. The model
     * {@code started} streams one chunk first.
     */
    private static void hold(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            RECEIVED.incrementAndGet();
            String model = body.toJsonObject().getString("model");
            boolean stream = Boolean.TRUE.equals(body.toJsonObject().getBoolean("stream"));
            HttpServerResponse response = request.response();
            if (stream) {
                response.setChunked(true).putHeader("content-type", "text/event-stream");
                if (model.equals("started")) {
                    response.write(CHUNK);
                }
            }
            vertx.setTimer(HOLD_MILLIS, id -> {
                if (response.closed()) {
                    return;
                }
                if (!response.headWritten()) {
                    response.setStatusCode(500);
                }
                response.end();
            });
        });
    }

    /**
     * A node stops with a drain of 300 ms while a chat completion, a stream that sent nothing yet, a stream that
     * started and a Responses API request wait for the provider. Whichever comes first, the client connection's
     * close or the closing of the provider clients, each request ends without a status of Portico's making and
     * without another attempt.
     */
    @Test
    void stopCutsOffRequestsInFlight() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            TestNode node = startNode();
            int received = RECEIVED.get();
            InFlight requests = InFlight.send(node);
            Conditions.eventually("the provider holds every request", () -> RECEIVED.get() == received + 4);
            assertThat(requests.readStartedChunk()).as("the first chunk of the started stream").isTrue();

            node.close();

            requests.assertCutOff();
            assertLogged(log);
            assertThat(RECEIVED.get() - received).as("requests the slow provider received").isEqualTo(4);
            assertThat(backup.received()).as("requests the fallback provider received").isEmpty();
        }
    }

    /**
     * At the drain deadline the node closes the client connections and then its provider clients, but a
     * connection's close can reach the exchange after the provider clients have failed its attempt. Closing the
     * provider clients first makes that order certain. The requests are then cut off like ones whose connection
     * closed first: no retry, no fallback, no error response, no breaker failure, and the started stream's usage
     * recorded once.
     */
    @Test
    void closedProviderClientsCutOffRequests() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            TestNode node = startNode();
            try {
                int received = RECEIVED.get();
                InFlight requests = InFlight.send(node);
                Conditions.eventually("the provider holds every request", () -> RECEIVED.get() == received + 4);
                assertThat(requests.readStartedChunk()).as("the first chunk of the started stream").isTrue();

                node.portico().ai().close();

                requests.assertCutOff();
                assertLogged(log);
                assertThat(RECEIVED.get() - received).as("requests the slow provider received").isEqualTo(4);
                assertThat(backup.received()).as("requests the fallback provider received").isEmpty();
                JsonNode breakers = node.admin("GET", "/admin/v1/circuit-breakers", null, 200)
                        .path("circuitBreakers");
                assertThat(breakers).allSatisfy(breaker -> {
                    assertThat(breaker.path("state").asText()).as("state of %s", breaker).isEqualTo("closed");
                    assertThat(breaker.path("failures").asInt()).as("failures of %s", breaker).isZero();
                });
                String metrics = scrape(node);
                assertThat(metrics).as("calls counted as failed").doesNotContain("outcome=\"server_error\"");
                assertThat(metrics).as("calls of the started stream")
                        .contains("portico_ai_requests_total{model=\"started\",outcome=\"success\",provider=\"slow\"}"
                                + " 1.0");
            } finally {
                node.close();
            }
        }
    }

    /** Starts a node with a drain of 300 ms and an AI route on /v1 for the providers. */
    private static TestNode startNode() {
        TestNode node = TestNode.start(Map.of("drainTimeout", "300ms", "metrics.port", "0"));
        Configs config = Configs.document();
        ObjectNode provider = config.provider("slow", "openai", "http://127.0.0.1:" + slow.actualPort() + "/v1",
                "sk-slow");
        provider.putObject("retries").put("attempts", 2).put("backoff", "1ms");
        provider.putObject("circuitBreaker").put("minimumCalls", 1).put("failureRateThreshold", 50)
                .put("openDuration", "60s");
        // Listed, so that the metrics name these models rather than count them as other.
        provider.putArray("models").add("quiet").add("started");
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.model("quiet", "fallback", "slow/quiet", "backup/gpt-4o");
        config.model("started", "fallback", "slow/started", "backup/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        return node;
    }

    /** Checks the access-log line of each request. */
    private static void assertLogged(LogCapture log) {
        for (String id : List.of("chat-quiet", "stream-quiet", "responses-quiet")) {
            String line = accessLine(log, id);
            assertThat(line).as("line of %s", id).contains(" status=- ");
            assertThat(line).as("line of %s", id).contains(" upstream=slow/quiet ");
            assertThat(line).as("line of %s", id).contains(" ai_error=client_closed");
            assertThat(line).as("line of %s", id).doesNotContain(" problem=");
            assertThat(count(line, " ai_error=")).as("errors in the line of %s", id).isEqualTo(1);
            assertThat(line).as("line of %s", id).doesNotContain(" ai_input_tokens=");
        }
        String started = accessLine(log, "stream-started");
        assertThat(started).contains(" status=200 ");
        assertThat(started).contains(" upstream=slow/started ");
        assertThat(started).contains(" ai_error=client_closed");
        assertThat(count(started, " ai_error=")).as("errors in the line of the started stream").isEqualTo(1);
        assertThat(count(started, " ai_input_tokens=")).as("usage records of the started stream").isEqualTo(1);
        assertThat(started).containsPattern(" ai_output_tokens=[1-9]");
    }

    private static int count(String text, String part) {
        Matcher matcher = Pattern.compile(Pattern.quote(part)).matcher(text);
        int found = 0;
        while (matcher.find()) {
            found++;
        }
        return found;
    }

    /** Waits for the access-log line of the request with the request id {@code id} and returns it. */
    private static String accessLine(LogCapture log, String id) {
        return log.awaitMessage(Level.INFO, "request_id=" + id + " ");
    }

    private static String scrape(TestNode node) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.adminUrl() + "/metrics"))
                .header("Authorization", "Bearer " + TestNode.TOKEN).timeout(Duration.ofSeconds(30)).build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The four requests in flight, each on a connection of its own. */
    private record InFlight(Socket chat, Socket stream, Socket started, Socket responses) {

        static InFlight send(TestNode node) throws IOException {
            String messages = "\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]";
            return new InFlight(
                    post(node, CHAT, "chat-quiet", "{\"model\":\"quiet\"," + messages + "}"),
                    post(node, CHAT, "stream-quiet", "{\"model\":\"quiet\",\"stream\":true," + messages + "}"),
                    post(node, CHAT, "stream-started", "{\"model\":\"started\",\"stream\":true," + messages + "}"),
                    post(node, RESPONSES, "responses-quiet", "{\"model\":\"quiet\",\"input\":\"Say hello\"}"));
        }

        /** Reads the started stream up to its first chunk; returns false when the connection ends first. */
        boolean readStartedChunk() throws IOException {
            return readUntil(started.getInputStream(), "\"content\":\"Hel\"");
        }

        /**
         * Checks that each connection ends: the quiet requests without a byte of response, the started stream
         * without its end or an error event.
         */
        void assertCutOff() throws IOException {
            for (Socket quiet : List.of(chat, stream, responses)) {
                Ending ending = readToEnd(quiet);
                assertThat(ending.text()).as("the response of a quiet request").isEmpty();
                assertThat(ending.closed()).as("the connection of a quiet request closed").isTrue();
            }
            Ending rest = readToEnd(started);
            assertThat(rest.text()).as("the rest of the started stream").doesNotContain("[DONE]");
            assertThat(rest.text()).as("the rest of the started stream").doesNotContain("error");
            assertThat(rest.closed()).as("the connection of the started stream closed").isTrue();
        }

        private static Socket post(TestNode node, String path, String requestId, String body) throws IOException {
            Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort());
            // Shorter than the provider's hold, so a connection that stays open fails the test before then.
            socket.setSoTimeout((int) HOLD_MILLIS - 1000);
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            socket.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: "
                    + requestId + "\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                    + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            return socket;
        }

        private static boolean readUntil(InputStream in, String text) throws IOException {
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            int next;
            while ((next = in.read()) >= 0) {
                read.write(next);
                if (read.toString(StandardCharsets.UTF_8).endsWith(text)) {
                    return true;
                }
            }
            return false;
        }

        /**
         * Reads until the connection ends, by a close or a reset, or until the read timeout, and closes it. Returns
         * what was read and whether the connection ended.
         */
        private static Ending readToEnd(Socket socket) throws IOException {
            ByteArrayOutputStream read = new ByteArrayOutputStream();
            boolean closed = true;
            try (socket) {
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[4096];
                int count;
                while ((count = in.read(buffer)) >= 0) {
                    read.write(buffer, 0, count);
                }
            } catch (SocketTimeoutException e) {
                closed = false;
            } catch (SocketException e) {
                // A reset ends the connection as well.
            }
            return new Ending(read.toString(StandardCharsets.UTF_8), closed);
        }
    }

    /** The bytes a connection received until it ended, and whether it ended before the read timeout. */
    private record Ending(String text, boolean closed) {
    }
}

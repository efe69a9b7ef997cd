package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Requests in flight on an upstream client that a configuration change retired, when the client's drain time ends
 * before their responses do. The service {@code app} has no total timeout, so the node setting
 * {@code upstreams.retiredClientDrain} of 500 ms sets the drain. The first request on each path of the upstream
 * {@code first} gets no response, or on {@code /stream} only its head and one chunk, and later requests get a
 * response at once, as every request to the upstream {@code second} does.
 */
class RetiredClientTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static HttpServer first;
    private static HttpServer second;
    /** The paths whose first request the upstream {@code first} holds. */
    private static final Set<String> HELD = ConcurrentHashMap.newKeySet();

    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
    private Level accessLevel;

    @BeforeAll
    static void startUpstreams() throws Exception {
        vertx = Vertx.vertx();
        first = vertx.createHttpServer().requestHandler(RetiredClientTest::holdFirst);
        first.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        second = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body ->
                request.response().end("answered by second")));
        second.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @AfterAll
    static void stopUpstreams() throws Exception {
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

    private static void holdFirst(HttpServerRequest request) {
        request.body().onSuccess(body -> {
            if (!HELD.add(request.path())) {
                request.response().end("answered by first");
                return;
            }
            if (request.path().equals("/stream")) {
                request.response().setChunked(true).write("first chunk");
            }
        });
    }

    @Test
    void drainEndCutsOffRequests() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            TestNode node = TestNode.start(Map.of("upstreams.retiredClientDrain", "500ms"));
            try {
                node.apply(config(256, first.actualPort()).build());
                CompletableFuture<HttpResponse<String>> get = CLIENT.sendAsync(request(node, "get", "/get")
                        .GET().build(), HttpResponse.BodyHandlers.ofString());
                CompletableFuture<HttpResponse<String>> post = CLIENT.sendAsync(request(node, "post", "/post")
                        .POST(HttpRequest.BodyPublishers.ofString("order")).build(),
                        HttpResponse.BodyHandlers.ofString());
                Socket stream = openStream(node);
                Conditions.eventually("the upstream holds every request", () -> HELD.size() == 3);

                // A new pool setting gives the service new clients and retires the old ones.
                node.apply(config(128, first.actualPort(), second.actualPort()).build());

                HttpResponse<String> resent = get.get(30, TimeUnit.SECONDS);
                assertThat(resent.statusCode()).as("status of the GET").isEqualTo(200);
                assertThat(resent.body()).as("body of the GET").startsWith("answered by ");
                HttpResponse<String> failed = post.get(30, TimeUnit.SECONDS);
                assertThat(failed.statusCode()).as("status of the POST").isEqualTo(502);
                JsonNode problem = Json.MAPPER.readTree(failed.body());
                assertThat(problem.path("type").asText())
                        .isEqualTo("https://portico.dev/problems/upstream-unavailable");
                assertThat(problem.path("detail").asText()).isEqualTo("service 'app' was reconfigured, and the"
                        + " connection that carried the request closed before the response ended; send the request"
                        + " again");
                String rest = readToEnd(stream);
                assertThat(rest).as("the rest of the stream").doesNotContain("0\r\n\r\n");

                String getLine = accessLine(log, "get");
                assertThat(getLine).contains(" status=200 ");
                assertThat(getLine).doesNotContain("upstream_retired");
                String postLine = accessLine(log, "post");
                assertThat(postLine).contains(" status=502 ");
                assertThat(postLine).contains(" problem=upstream_unavailable ");
                assertThat(postLine).contains(" upstream_retired=drain_expired");
                String streamLine = accessLine(log, "stream");
                assertThat(streamLine).contains(" status=200 ");
                assertThat(streamLine).contains(" upstream_retired=drain_expired");
                assertThat(streamLine).endsWith(" aborted=true");

                JsonNode target = node.admin("GET", "/admin/v1/services/app/health", null, 200).path("targets")
                        .get(0);
                assertThat(target.path("address").asText()).isEqualTo("127.0.0.1:" + first.actualPort());
                assertThat(target.path("healthy").asBoolean()).as("health of the first target").isTrue();
                assertThat(target.path("failures").asLong()).as("failures of the first target").isZero();
                assertThat(target.at("/circuitBreaker/state").asText()).as("breaker of the first target")
                        .isEqualTo("closed");
                assertThat(target.at("/circuitBreaker/failures").asInt()).as("breaker failures of the first target")
                        .isZero();
            } finally {
                node.close();
            }
        }
    }

    /**
     * Returns the configuration whose service {@code app} has a target on each of {@code ports}, one attempt per
     * request, a passive health check that ejects a target after one failure, and a circuit breaker that opens
     * after one failed call.
     */
    private static Configs config(int maxConnections, int... ports) {
        Configs config = Configs.document();
        ObjectNode service = config.service("app", ports);
        service.putObject("pool").put("maxConnections", maxConnections);
        service.putObject("retries").put("attempts", 1);
        service.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 1);
        service.putObject("circuitBreaker").put("minimumCalls", 1).put("failureRateThreshold", 50)
                .put("openDuration", "60s");
        config.route("app", "app", "/");
        return config;
    }

    private static HttpRequest.Builder request(TestNode node, String requestId, String path) {
        return HttpRequest.newBuilder(URI.create(node.url() + path)).header("X-Request-Id", requestId)
                .timeout(Duration.ofSeconds(30));
    }

    /** Sends a GET of {@code /stream} with the request id {@code stream} and reads it up to the first chunk. */
    private static Socket openStream(TestNode node) throws IOException {
        Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort());
        socket.setSoTimeout(30_000);
        socket.getOutputStream().write("GET /stream HTTP/1.1\r\nHost: localhost\r\nX-Request-Id: stream\r\n\r\n"
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        int next;
        while (!read.toString(StandardCharsets.US_ASCII).contains("first chunk") && (next = in.read()) >= 0) {
            read.write(next);
        }
        assertThat(read.toString(StandardCharsets.US_ASCII)).as("the start of the stream")
                .startsWith("HTTP/1.1 200 ").contains("first chunk");
        return socket;
    }

    /** Reads until the connection ends, by a close or a reset, and closes it. */
    private static String readToEnd(Socket socket) throws IOException {
        ByteArrayOutputStream read = new ByteArrayOutputStream();
        try (socket) {
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            int count;
            while ((count = in.read(buffer)) >= 0) {
                read.write(buffer, 0, count);
            }
        } catch (SocketException e) {
            // A reset ends the connection as well.
        }
        return read.toString(StandardCharsets.US_ASCII);
    }

    /** Waits for the access-log line of the request with the request id {@code id} and returns it. */
    private static String accessLine(LogCapture log, String id) {
        return log.awaitMessage(Level.INFO, "request_id=" + id + " ");
    }
}

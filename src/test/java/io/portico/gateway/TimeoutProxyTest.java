package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.gateway.upstream.TargetState;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.StreamResetException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Connect and total timeouts of a service, and the wait for a pooled connection, through a real node. */
class TimeoutProxyTest {

    /** Concurrent requests to a service with one pooled connection per target, more than the node's event loops. */
    private static final int POOLED_REQUESTS = 12;

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("timed");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("limited", upstream.port()).putObject("timeouts").put("total", "400ms");
        config.route("limited", "limited", "/limited").put("stripPrefix", true);
        config.service("quiet", upstream.port()).putObject("timeouts").put("read", "300ms");
        config.route("quiet", "quiet", "/quiet").put("stripPrefix", true);
        ObjectNode pooled = config.service("pooled", upstream.port());
        pooled.putObject("pool").put("maxConnections", 1);
        pooled.putObject("timeouts").put("connect", "200ms");
        pooled.putObject("retries").put("attempts", 1);
        config.route("pooled", "pooled", "/pooled").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void fullPoolIsProblem503OfItsOwn() {
        List<HttpResponse<String>> responses = new ArrayList<>();
        ExecutorService threads = Executors.newFixedThreadPool(POOLED_REQUESTS);
        try (LogCapture warnings = new LogCapture(TargetState.class)) {
            List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
            for (int i = 0; i < POOLED_REQUESTS; i++) {
                sent.add(CompletableFuture.supplyAsync(() -> get(node, "/pooled/slow?ms=1500"), threads));
            }
            sent.forEach(response -> responses.add(response.join()));

            String warning = warnings.awaitMessage(Level.WARN, "No pooled connection");
            assertThat(warning).contains("upstream target 127.0.0.1:" + upstream.port() + " of service 'pooled'");
            assertThat(warning).contains("became free within 400 ms: all 1 connections of pool.maxConnections");
        } finally {
            threads.shutdownNow();
        }

        List<HttpResponse<String>> rejected = responses.stream().filter(response -> response.statusCode() != 200)
                .toList();
        assertThat(rejected).as("responses other than 200").isNotEmpty();
        for (HttpResponse<String> response : rejected) {
            JsonNode problem = assertProblem(response, 503, "upstream-pool-exhausted");
            assertThat(problem.path("detail").asText()).isEqualTo("service 'pooled' has no free connection to target"
                    + " 127.0.0.1:" + upstream.port() + ": all 1 pooled connections stayed busy for 400 ms");
        }
    }

    @Test
    void totalTimeoutBeforeHeadersIsProblem504() {
        JsonNode problem = assertProblem(get(node, "/limited/slow?ms=3000"), 504, "upstream-timeout");

        assertThat(problem.path("detail").asText()).isEqualTo("service 'limited' did not complete within 400 ms");
    }

    @Test
    void totalTimeoutCutsStartedStream() throws IOException {
        Received received = exchange(node.portico().httpPort(),
                "GET /limited/drip?chunks=30&ms=100 HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        assertThat(received.text()).contains("transfer-encoding: chunked").contains("chunk 1\n");
        assertThat(received.text()).doesNotContain("chunk 30");
        assertThat(received.closed()).as("connection closed by the gateway").isTrue();
        assertThat(received.text()).as("stream without its last chunk").doesNotEndWith("\r\n0\r\n\r\n");
    }

    @Test
    void silentBodyIsCutByReadTimeout() throws IOException {
        Received received = exchange(node.portico().httpPort(),
                "GET /quiet/drip?chunks=3&ms=2000 HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        assertThat(received.text()).contains("chunk 1\n");
        assertThat(received.text()).doesNotContain("chunk 2");
        assertThat(received.closed()).as("connection closed by the gateway").isTrue();
    }

    @Test
    void silentSmallBodyIsCutByReadTimeout() throws IOException {
        long start = System.nanoTime();

        Received received = exchange(node.portico().httpPort(),
                "GET /quiet/partial HTTP/1.1\r\nHost: localhost\r\n\r\n");

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(received.text()).startsWith("HTTP/1.1 200");
        assertThat(received.text()).endsWith("\r\n\r\npartial ");
        assertThat(received.closed()).as("connection closed by the gateway").isTrue();
        assertThat(elapsedMillis).as("closed after the read timeout").isBetween(250L, 4_000L);
    }

    @Test
    void cutHttp2StreamIsResetWithError() throws Exception {
        assertThat(http2ResetCode("/quiet/drip?chunks=3&ms=2000")).as("read timeout").isEqualTo(2L);
        assertThat(http2ResetCode("/limited/drip?chunks=30&ms=100")).as("total timeout").isEqualTo(2L);
    }

    /** Returns the error code of the reset that ends the HTTP/2 response to {@code path}; -1 when it ends whole. */
    private static long http2ResetCode(String path) throws Exception {
        Vertx vertx = Vertx.vertx();
        try {
            HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                    .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
            RequestOptions options = new RequestOptions().setHost("127.0.0.1").setPort(node.portico().httpPort())
                    .setURI(path);
            return ContextRequests.send(vertx, () -> client.request(options).compose(HttpClientRequest::send)
                    .compose(response -> {
                        Promise<Long> code = Promise.promise();
                        response.exceptionHandler(cause -> code.tryComplete(cause instanceof StreamResetException reset
                                ? reset.getCode() : -2L));
                        response.handler(chunk -> { });
                        response.endHandler(end -> code.tryComplete(-1L));
                        return code.future();
                    }));
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void silentBodyBeforeAnyByteIsProblem504() {
        JsonNode problem = assertProblem(get(node, "/quiet/head-only"), 504, "upstream-timeout");

        assertThat(problem.path("detail").asText()).isEqualTo("service 'quiet' sent no body bytes within 300 ms of"
                + " its response head");
    }

    @Test
    void steadyBodyOutlivesReadTimeout() throws IOException {
        Received received = exchange(node.portico().httpPort(),
                "GET /quiet/drip?chunks=6&ms=150 HTTP/1.1\r\nHost: localhost\r\n\r\n");

        assertThat(received.text()).contains("chunk 6\n");
        assertThat(received.text()).endsWith("\r\n0\r\n\r\n");
    }

    /**
     * A listening socket whose accept queue is full makes Linux drop new connection requests, so connecting
     * neither succeeds nor fails until the connect timeout. Other systems may reset such connections instead, so the
     * test is skipped when a probe connection does not time out.
     */
    @Test
    void connectTimeoutIsProblem504() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        List<Socket> queued = new ArrayList<>();
        try (ServerSocket full = new ServerSocket(0, 1, loopback)) {
            assumeTrue(fillAcceptQueue(new InetSocketAddress(loopback, full.getLocalPort()), queued),
                    "a full accept queue does not delay connections on this system");
            Configs config = Configs.document();
            config.service("limited", upstream.port()).putObject("timeouts").put("total", "400ms");
            config.service("unanswered", full.getLocalPort()).putObject("timeouts").put("connect", "200ms");
            config.route("limited", "limited", "/limited").put("stripPrefix", true);
            config.service("quiet", upstream.port()).putObject("timeouts").put("read", "300ms");
            config.route("quiet", "quiet", "/quiet").put("stripPrefix", true);
            config.route("unanswered", "unanswered", "/unanswered");
            node.apply(config.build());

            JsonNode problem = assertProblem(get(node, "/unanswered"), 504, "upstream-timeout");

            assertThat(problem.path("detail").asText()).isEqualTo("service 'unanswered' did not respond in time");
        } finally {
            for (Socket socket : queued) {
                socket.close();
            }
        }
    }

    /** Connects until a connection times out; returns false when 16 connections all succeed. */
    private static boolean fillAcceptQueue(InetSocketAddress address, List<Socket> queued) throws IOException {
        for (int i = 0; i < 16; i++) {
            Socket socket = new Socket();
            try {
                socket.connect(address, 300);
                queued.add(socket);
            } catch (SocketTimeoutException e) {
                socket.close();
                return true;
            }
        }
        return false;
    }

    /** Bytes a raw HTTP/1.1 exchange received, and whether the server closed the connection. */
    private record Received(String text, boolean closed) {
    }

    /** Writes {@code request} and reads until the server closes the connection or stays silent for 5 seconds. */
    private static Received exchange(int port, String request) throws IOException {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(5000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int read = in.read(buffer); read >= 0; read = in.read(buffer)) {
                    received.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException e) {
                return new Received(received.toString(StandardCharsets.ISO_8859_1), false);
            } catch (IOException e) {
                // A reset instead of an orderly close also ends the connection.
                return new Received(received.toString(StandardCharsets.ISO_8859_1), true);
            }
            return new Received(received.toString(StandardCharsets.ISO_8859_1), true);
        }
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The end of WebSocket sessions through a real node: one access-log line and one {@code portico_requests_total}
 * sample per session, written when the tunnel closes, whichever side closes it, and the release of a concurrency
 * slot that the session held.
 */
class WebSocketSessionEndTest {

    private static final String HANDSHAKE = "GET /closing HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\n"
            + "Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    private static final String SWITCHING = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    private static final byte[] CLIENT_BYTES = "ten bytes!".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UPSTREAM_BYTES = "thirteen byte".getBytes(StandardCharsets.US_ASCII);

    private static TestUpstream echo;
    private static ClosingUpstream closing;
    private static TestNode node;
    private static Vertx vertx;

    @BeforeAll
    static void start() throws IOException {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        echo = TestUpstream.start("echo");
        closing = new ClosingUpstream();
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("echo", echo.port());
        config.service("closing", closing.port());
        config.route("ws", "echo", "=/ws");
        config.route("closing", "closing", "=/closing");
        ObjectNode limited = config.route("limited", "echo", "/limited").put("stripPrefix", true);
        limited.putArray("policies").addObject().put("name", "concurrency-limit").putObject("config").put("max", 1);
        node.apply(config.build());
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() throws IOException {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        vertx.close();
        node.close();
        echo.close();
        closing.close();
    }

    @Test
    void clientClosedSessionWritesOneLine() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            WebSocketClient client = vertx.createWebSocketClient();
            WebSocket socket = connect(client, "/ws").get(10, TimeUnit.SECONDS);
            CompletableFuture<String> echoed = new CompletableFuture<>();
            socket.textMessageHandler(echoed::complete);
            socket.writeTextMessage("hello through portico");
            assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("hello through portico");
            Thread.sleep(300);
            assertThat(sessionLines(log, "/ws")).as("lines while the session is open").isEmpty();

            socket.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            client.close();

            Conditions.eventually("the session's access-log line", () -> !sessionLines(log, "/ws").isEmpty());
            String line = sessionLines(log, "/ws").get(0);
            assertThat(line).contains(" method=GET ", " status=101 ", " route=ws ",
                    " upstream=127.0.0.1:" + echo.port());
            assertThat(line).doesNotContain("aborted=true").doesNotContain("problem=");
            // A masked text frame of 21 bytes takes 27 bytes from the client, its unmasked echo 23 bytes back, and
            // each close frame adds its own bytes.
            assertThat(field(line, "bytes")).as("bytes to the client in %s", line).isGreaterThanOrEqualTo(23);
            assertThat(field(line, "bytes_received")).as("bytes from the client in %s", line)
                    .isGreaterThanOrEqualTo(27);
            assertThat(Double.parseDouble(value(line, "duration_ms"))).as("session length in %s", line)
                    .isGreaterThanOrEqualTo(300);
            Thread.sleep(200);
            assertThat(sessionLines(log, "/ws")).as("lines of the session").hasSize(1);
        }
        awaitMetric("portico_requests_total{api=\"\",method=\"GET\",route=\"ws\",status=\"101\"} 1.0");
        awaitMetric("portico_active_requests 0.0");
    }

    @Test
    void upstreamClosedSessionCountsBytes() throws Exception {
        try (LogCapture log = new LogCapture("portico.access")) {
            byte[] received;
            try (Socket socket = new Socket("127.0.0.1", node.portico().httpPort())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                out.write(HANDSHAKE.getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = socket.getInputStream();
                String head = readHead(in);
                assertThat(head).startsWith("HTTP/1.1 101 ");
                out.write(CLIENT_BYTES);
                out.flush();
                // The upstream sends its bytes once it has read the client's, and then closes the tunnel.
                received = in.readAllBytes();
            }

            assertThat(new String(received, StandardCharsets.US_ASCII))
                    .isEqualTo(new String(UPSTREAM_BYTES, StandardCharsets.US_ASCII));
            Conditions.eventually("the session's access-log line", () -> !sessionLines(log, "/closing").isEmpty());
            String line = sessionLines(log, "/closing").get(0);
            assertThat(line).contains(" status=101 ", " route=closing ", " upstream=127.0.0.1:" + closing.port());
            assertThat(field(line, "bytes")).as("bytes to the client in %s", line).isEqualTo(UPSTREAM_BYTES.length);
            assertThat(field(line, "bytes_received")).as("bytes from the client in %s", line)
                    .isEqualTo(CLIENT_BYTES.length);
            assertThat(line).doesNotContain("aborted=true");
        }
        awaitMetric("portico_requests_total{api=\"\",method=\"GET\",route=\"closing\",status=\"101\"} 1.0");
        awaitMetric("portico_response_bytes_total{api=\"\",route=\"closing\"} " + (double) UPSTREAM_BYTES.length);
        awaitMetric("portico_request_bytes_total{api=\"\",route=\"closing\"} " + (double) CLIENT_BYTES.length);
    }

    @Test
    void closedSessionReleasesConcurrencySlot() throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocket first = connect(client, "/limited/ws").get(10, TimeUnit.SECONDS);

        Throwable rejected = connect(client, "/limited/ws").handle((socket, cause) -> cause).get(10, TimeUnit.SECONDS);
        assertThat(rejected).as("a second session while the first holds the slot").isNotNull();
        assertThat(rejected.getMessage()).contains("503");
        first.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        Conditions.eventually("a session after the first closed is accepted", () -> {
            try {
                connect(client, "/limited/ws").get(10, TimeUnit.SECONDS).close();
                return true;
            } catch (Exception e) {
                return false;
            }
        });
        client.close();
    }

    private static CompletableFuture<WebSocket> connect(WebSocketClient client, String uri) {
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(uri).addSubProtocol("echo.v1");
        return ContextRequests.start(vertx, () -> client.connect(options)).toCompletionStage().toCompletableFuture();
    }

    private static List<String> sessionLines(LogCapture log, String path) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains(" path=" + path + " ")).toList();
    }

    private static long field(String line, String key) {
        return Long.parseLong(value(line, key));
    }

    /** Returns the value of {@code key} in a logfmt line, which must contain it once, unquoted. */
    private static String value(String line, String key) {
        return Arrays.stream(line.split(" ")).filter(pair -> pair.startsWith(key + "=")).findFirst()
                .map(pair -> pair.substring(key.length() + 1))
                .orElseThrow(() -> new AssertionError("no " + key + " in " + line));
    }

    private static void awaitMetric(String sample) {
        Conditions.eventually("the scrape contains " + sample, () -> Arrays.asList(
                node.adminRaw("GET", "/metrics", null).body().split("\n")).contains(sample));
    }

    private static String readHead(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }

    /**
     * A WebSocket upstream on 127.0.0.1 that accepts each handshake with 101, reads {@link #CLIENT_BYTES} worth of
     * bytes from the tunnel, sends {@link #UPSTREAM_BYTES} and closes the connection.
     */
    private static final class ClosingUpstream implements AutoCloseable {

        private final ServerSocket server;

        ClosingUpstream() throws IOException {
            server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            Thread acceptor = new Thread(this::accept, "closing-upstream");
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try (Socket socket = server.accept()) {
                    socket.setSoTimeout(10_000);
                    InputStream in = socket.getInputStream();
                    readHead(in);
                    OutputStream out = socket.getOutputStream();
                    out.write(SWITCHING.getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    in.readNBytes(CLIENT_BYTES.length);
                    out.write(UPSTREAM_BYTES);
                    out.flush();
                } catch (IOException e) {
                    // The server socket closed, or the connection broke. The test's assertions report either.
                }
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }
}

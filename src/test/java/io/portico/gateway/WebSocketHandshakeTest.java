package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * WebSocket handshakes through a real node to raw upstreams. The service's read timeout applies until the handshake
 * response arrives and to the body of a rejection, and a handshake that declares a body gets 400 and reaches no
 * upstream. A request with another method than GET is no handshake, so a 101 to it gets 502.
 */
class WebSocketHandshakeTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    private static final String HANDSHAKE_HEADERS = "Host: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

    private static RawUpstream silent;
    private static RawUpstream switching;
    private static RawUpstream stalling;
    private static TestNode node;

    @BeforeAll
    static void start() throws IOException {
        silent = new RawUpstream(null);
        switching = new RawUpstream("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
        stalling = new RawUpstream("HTTP/1.1 403 Forbidden\r\nContent-Length: 40\r\n\r\nrejected: ");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("silent", silent.port()).putObject("timeouts").put("read", "1s");
        config.service("switching", switching.port()).putObject("timeouts").put("read", "1s");
        config.service("stalling", stalling.port()).putObject("timeouts").put("read", "1s");
        config.route("silent", "silent", "/silent");
        config.route("stalling", "stalling", "/stalling");
        config.route("switching", "switching", "/switching");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws IOException {
        node.close();
        silent.close();
        switching.close();
        stalling.close();
    }

    @BeforeEach
    void forget() {
        switching.requests.clear();
    }

    @Test
    void silentHandshakeTimesOut() throws Exception {
        long start = System.nanoTime();

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET /silent HTTP/1.1\r\n" + HANDSHAKE_HEADERS + "\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(504);
        JsonNode problem = Json.MAPPER.readTree(exchange.responses().get(0).body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-timeout");
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(900);
    }

    @Test
    void stalledRejectionBodyTimesOut() throws Exception {
        long start = System.nanoTime();

        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000,
                "GET /stalling HTTP/1.1\r\n" + HANDSHAKE_HEADERS + "\r\n");

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(received.text()).startsWith("HTTP/1.1 403 ");
        assertThat(received.body()).isEqualTo("rejected: ");
        assertThat(received.closed()).as("client connection closed by the gateway").isTrue();
        assertThat(elapsedMillis).as("closed after the read timeout").isBetween(900L, 4_000L);
        Conditions.eventually("the upstream connection is closed", () -> stalling.closedConnections.get() == 1);
        JsonNode target = node.admin("GET", "/admin/v1/services/stalling/health", null, 200).at("/targets/0");
        assertThat(target.path("inFlight").asInt()).as("in flight in %s", target).isZero();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isEqualTo(1);
    }

    @Test
    void acceptedHandshakeIsRelayed() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 500,
                "GET /switching HTTP/1.1\r\n" + HANDSHAKE_HEADERS + "\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 101 ");
        assertThat(switching.requests).hasSize(1);
        assertThat(switching.requests.get(0)).containsIgnoringCase("\r\nupgrade: websocket\r\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Content-Length: 40\r\n", "Transfer-Encoding: chunked\r\n"})
    void handshakeWithBodyIs400(String framing) throws Exception {
        String data = "x".repeat(40);
        String body = framing.startsWith("Content-Length") ? data : "28\r\n" + data + "\r\n0\r\n\r\n";

        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 1_000,
                "GET /switching HTTP/1.1\r\n" + HANDSHAKE_HEADERS + framing + "\r\n" + body);

        assertThat(received.text()).startsWith("HTTP/1.1 400 ");
        JsonNode problem = Json.MAPPER.readTree(received.body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem.path("detail").asText()).contains("WebSocket handshake");
        assertThat(received.closed()).isTrue();
        assertThat(switching.requests).isEmpty();
    }

    @Test
    void handshakeWithEmptyBodyIsRelayed() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 500,
                "GET /switching HTTP/1.1\r\n" + HANDSHAKE_HEADERS + "Content-Length: 0\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 101 ");
    }

    @ParameterizedTest
    @ValueSource(strings = {"POST", "PUT"})
    void switchToOtherMethodIs502(String method) throws Exception {
        long start = System.nanoTime();

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                method + " /switching HTTP/1.1\r\n" + HANDSHAKE_HEADERS + "Content-Length: 5\r\n\r\nhello");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(502);
        JsonNode problem = Json.MAPPER.readTree(exchange.responses().get(0).body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
        assertThat((System.nanoTime() - start) / 1_000_000).as("no wait for a timeout").isLessThan(900);
        assertThat(switching.requests).hasSize(1);
        String forwarded = switching.requests.get(0);
        assertThat(forwarded).startsWith(method + " /switching ");
        assertThat(forwarded.toLowerCase(Locale.ROOT)).doesNotContain("\r\nupgrade:");
        assertThat(forwarded).endsWith("\r\n\r\nhello");
    }

    /**
     * An HTTP/1.1 upstream on 127.0.0.1 that records each request head, with the body its Content-Length declares,
     * and then writes {@code response} and keeps the connection open, or stays silent when it is null.
     */
    private static final class RawUpstream implements AutoCloseable {

        final List<String> requests = new CopyOnWriteArrayList<>();
        /** Connections that the gateway closed. */
        final AtomicInteger closedConnections = new AtomicInteger();
        private final ServerSocket server;
        private final String response;
        private final List<Socket> connections = new CopyOnWriteArrayList<>();

        RawUpstream(String response) throws IOException {
            this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
            this.response = response;
            Thread acceptor = new Thread(this::accept, "raw-upstream-" + server.getLocalPort());
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return server.getLocalPort();
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket socket = server.accept();
                    connections.add(socket);
                    Thread reader = new Thread(() -> serve(socket), "raw-upstream-connection");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void serve(Socket socket) {
            try {
                InputStream in = socket.getInputStream();
                ByteArrayOutputStream received = new ByteArrayOutputStream();
                int end = -1;
                while (end < 0) {
                    int b = in.read();
                    if (b < 0) {
                        return;
                    }
                    received.write(b);
                    end = received.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
                }
                String head = received.toString(StandardCharsets.ISO_8859_1);
                long length = contentLength(head);
                for (long i = 0; i < length; i++) {
                    int b = in.read();
                    if (b < 0) {
                        break;
                    }
                    received.write(b);
                }
                requests.add(received.toString(StandardCharsets.ISO_8859_1));
                if (response != null) {
                    OutputStream out = socket.getOutputStream();
                    out.write(response.getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                }
                // The connection stays open until the gateway or the test closes it.
                while (in.read() >= 0) {
                    continue;
                }
                closedConnections.incrementAndGet();
            } catch (IOException e) {
                // The gateway closed the connection.
                closedConnections.incrementAndGet();
            }
        }

        private static long contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                    return Long.parseLong(line.substring("content-length:".length()).trim());
                }
            }
            return 0;
        }

        @Override
        public void close() throws IOException {
            server.close();
            for (Socket connection : connections) {
                connection.close();
            }
        }
    }
}

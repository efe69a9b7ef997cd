package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The idle timeout that a target announces in its {@code Keep-Alive} response header, through a real node, for the
 * Netty client of plain-http services and the Vert.x client of https services. The targets number their
 * connections and send the number of the connection that carried each request as its response body.
 */
class UpstreamKeepAliveTest {

    private static Vertx vertx;
    private static NumberingUpstream plain;
    private static NumberingUpstream tls;
    private static TestNode node;
    private HttpClientAgent client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("127.0.0.1");
        plain = new NumberingUpstream(vertx, new NetServerOptions());
        tls = new NumberingUpstream(vertx, new NetServerOptions().setSsl(true).setKeyCertOptions(
                new PemKeyCertOptions().setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))));
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("plain", plain.port()).putObject("retries").put("attempts", 1);
        config.route("plain", "plain", "/plain").put("stripPrefix", true);
        config.service("tls", tls.port()).put("protocol", "https").putObject("tls")
                .put("caCertificate", certificate.certificatePem());
        config.route("tls", "tls", "/tls").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void connect() {
        // One connection to the node keeps every request on one event loop, and so on one pool of the Netty client.
        client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
                .with(new PoolOptions().setHttp1MaxSize(1)).build();
    }

    @AfterEach
    void disconnect() throws Exception {
        client.close().await(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "tls"})
    void connectionIdleNearAnnouncedTimeoutIsNotReused(String service) throws Exception {
        String first = post("/" + service + "/timeout/2");
        String second = post("/" + service + "/timeout/2");

        Thread.sleep(1_500);
        String third = post("/" + service + "/timeout/2");

        assertThat(second).as("connection of a request right after the first").isEqualTo(first);
        assertThat(third).as("connection of a request 1.5 s after the target announced timeout=2")
                .isNotEqualTo(first);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "tls"})
    void announcedTimeoutOfOneSecondClosesConnection(String service) {
        String first = post("/" + service + "/timeout/1");
        String second = post("/" + service + "/timeout/1");

        assertThat(second).as("connection after a response that announced timeout=1").isNotEqualTo(first);
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "tls"})
    void connectionWithoutAnnouncedTimeoutIsReused(String service) throws Exception {
        String first = post("/" + service + "/none");

        Thread.sleep(1_500);
        String second = post("/" + service + "/none");

        assertThat(second).as("connection 1.5 s later, with no Keep-Alive header").isEqualTo(first);
    }

    /** Sends a POST with a small body and returns the number of the target connection that carried it. */
    private String post(String path) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(path);
        return ContextRequests.send(vertx, () -> client.request(request)
                .compose(req -> req.send(Buffer.buffer("abc")))
                .compose(response -> response.body().map(body -> {
                    assertThat(response.statusCode()).as("status of POST %s", path).isEqualTo(200);
                    return body.toString();
                })));
    }

    /**
     * An HTTP/1.1 target on raw sockets that reads requests with a {@code Content-Length} body and responds to each
     * with the number of its connection. For a path {@code /timeout/N} the response carries
     * {@code Keep-Alive: timeout=N}, and the target closes the connection when it stays idle for N seconds. Other
     * paths get no {@code Keep-Alive} header, and their connections stay open.
     */
    private static final class NumberingUpstream {

        private final NetServer server;
        private final AtomicInteger connections = new AtomicInteger();

        NumberingUpstream(Vertx vertx, NetServerOptions options) throws Exception {
            server = vertx.createNetServer(options).connectHandler(this::accept);
            server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        }

        int port() {
            return server.actualPort();
        }

        private void accept(NetSocket socket) {
            String number = Integer.toString(connections.incrementAndGet());
            StringBuilder received = new StringBuilder();
            long[] idleTimer = {-1};
            socket.handler(data -> {
                received.append(data.toString(StandardCharsets.ISO_8859_1));
                int end = received.indexOf("\r\n\r\n");
                if (end < 0) {
                    return;
                }
                String head = received.substring(0, end);
                int length = contentLength(head);
                if (received.length() < end + 4 + length) {
                    return;
                }
                received.delete(0, end + 4 + length);
                if (idleTimer[0] >= 0) {
                    vertx.cancelTimer(idleTimer[0]);
                }
                String path = head.split(" ", 3)[1];
                String keepAlive = "";
                if (path.startsWith("/timeout/")) {
                    int seconds = Integer.parseInt(path.substring("/timeout/".length()));
                    keepAlive = "Keep-Alive: timeout=" + seconds + "\r\n";
                    idleTimer[0] = vertx.setTimer(seconds * 1_000L, id -> socket.close());
                }
                socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\n" + keepAlive + "Content-Length: " + number.length()
                        + "\r\n\r\n" + number, StandardCharsets.ISO_8859_1.name()));
            });
        }

        private static int contentLength(String head) {
            for (String line : head.split("\r\n")) {
                if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
                    return Integer.parseInt(line.substring(15).trim());
                }
            }
            return 0;
        }
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The connection pools of plain-http HTTP/1.1 services through a real node. Every request goes over one HTTP/1.1
 * connection to the node, so all of them run on one event loop and share its pool per target.
 */
class Http1UpstreamTest {

    private static Vertx vertx;
    private static RawUpstream upstream;
    private static TestNode node;
    private HttpClientAgent client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = new RawUpstream();
        upstream.listen(vertx);
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("raw", upstream.port()).putObject("retries").put("attempts", 1);
        config.route("raw", "raw", "/raw").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void connect() {
        client = vertx.httpClientBuilder().with(new HttpClientOptions().setKeepAlive(true))
                .with(new PoolOptions().setHttp1MaxSize(1)).build();
    }

    @AfterEach
    void disconnect() throws Exception {
        client.close().await(10, TimeUnit.SECONDS);
        upstream.reset();
    }

    private Reply get(String path) {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(path);
        return ContextRequests.send(vertx, () -> client.request(request).compose(req -> req.send()
                .compose(response -> response.body().map(body -> new Reply(response.statusCode(), body.toString())))));
    }

    private record Reply(int status, String body) { }

    @Test
    void connectionIsReusedOnOneEventLoop() throws Exception {
        for (int i = 0; i < 5; i++) {
            Reply reply = get("/raw/ok");
            assertThat(reply.status()).as("status of request %d", i).isEqualTo(200);
            assertThat(reply.body()).as("body of request %d", i).isEqualTo("ok");
        }

        assertThat(upstream.connections()).isEqualTo(1);
        assertThat(upstream.requests()).isEqualTo(5);
    }

    @Test
    void staleKeptAliveConnectionRetried() throws Exception {
        assertThat(get("/raw/once").body()).isEqualTo("first");

        // The upstream closes the kept-alive connection when the second request arrives on it, without a response.
        Reply second = get("/raw/once");

        assertThat(second.status()).isEqualTo(200);
        assertThat(second.body()).isEqualTo("first");
        assertThat(upstream.connections()).isEqualTo(2);
    }

    @Test
    void clientDisconnectClosesUpstreamConnection() throws Exception {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/raw/stream");
        String firstChunk = ContextRequests.send(vertx, () -> client.request(request).compose(req -> req.send()
                .compose(response -> {
                    Promise<String> chunk = Promise.promise();
                    response.handler(data -> chunk.tryComplete(data.toString()));
                    return chunk.future().onSuccess(received -> response.request().connection().close());
                })));

        assertThat(firstChunk).isEqualTo("first");
        assertThat(upstream.awaitStreamClosed()).as("upstream connection closed").isTrue();
        Conditions.eventually("no request in flight to the target", () -> node.admin("GET",
                "/admin/v1/services/raw/health", null, 200).at("/targets/0/inFlight").asInt() == 0);
    }

    /**
     * An HTTP/1.1 upstream on raw sockets that reads bodiless requests. {@code /ok} responds at once, {@code /once}
     * responds to the first request of a connection and closes the connection on the next one, and {@code /stream}
     * sends a response head and one chunk, then waits for the connection to close.
     */
    private static final class RawUpstream {

        private NetServer server;
        private final AtomicInteger connections = new AtomicInteger();
        private final AtomicInteger requests = new AtomicInteger();
        private volatile CountDownLatch streamClosed = new CountDownLatch(1);

        void listen(Vertx vertx) throws Exception {
            server = vertx.createNetServer().connectHandler(this::accept);
            server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        }

        int port() {
            return server.actualPort();
        }

        int connections() {
            return connections.get();
        }

        int requests() {
            return requests.get();
        }

        boolean awaitStreamClosed() throws InterruptedException {
            return streamClosed.await(10, TimeUnit.SECONDS);
        }

        void reset() {
            connections.set(0);
            requests.set(0);
            streamClosed = new CountDownLatch(1);
        }

        private void accept(NetSocket socket) {
            connections.incrementAndGet();
            StringBuilder received = new StringBuilder();
            AtomicInteger onThisConnection = new AtomicInteger();
            socket.handler(data -> {
                received.append(data.toString(StandardCharsets.ISO_8859_1));
                int end;
                while ((end = received.indexOf("\r\n\r\n")) >= 0) {
                    String head = received.substring(0, end);
                    received.delete(0, end + 4);
                    requests.incrementAndGet();
                    handle(socket, head.split(" ", 3)[1], onThisConnection.incrementAndGet());
                }
            });
        }

        private void handle(NetSocket socket, String path, int number) {
            switch (path) {
                case "/once" -> {
                    if (number == 1) {
                        respond(socket, "first");
                    } else {
                        socket.close();
                    }
                }
                case "/stream" -> {
                    CountDownLatch closed = streamClosed;
                    socket.closeHandler(ignored -> closed.countDown());
                    socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nfirst\r\n"));
                }
                default -> respond(socket, "ok");
            }
        }

        private static void respond(NetSocket socket, String body) {
            socket.write(Buffer.buffer("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: "
                    + body.length() + "\r\n\r\n" + body));
        }
    }
}

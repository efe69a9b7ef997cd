package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Server-sent events, WebSocket and HTTP/2 through a real Portico node. */
class ProtocolsTest {

    private static TestUpstream upstream;
    private static TestNode node;
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("protocols");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("upstream", upstream.port());
        config.route("all", "upstream", "/");
        config.service("multiplexed", upstream.port()).putObject("pool").put("http2", true);
        config.route("multiplexed", "multiplexed", "/h2c").put("stripPrefix", true);
        node.apply(config.build());
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close();
        node.close();
        upstream.close();
    }

    @Test
    void eventStreamHeadArrivesBeforeFirstEvent() throws Exception {
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", node.portico().httpPort())) {
            socket.getOutputStream().write("GET /sse-quiet?ms=4000 HTTP/1.1\r\nHost: a\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            // The first event comes after 4 s, so anything read within 2 s is the head sent on its own.
            socket.setSoTimeout(2_000);
            byte[] buffer = new byte[4096];
            int read = socket.getInputStream().read(buffer);

            String head = new String(buffer, 0, read, StandardCharsets.US_ASCII);
            assertThat(head).startsWith("HTTP/1.1 200");
            assertThat(head).containsIgnoringCase("content-type: text/event-stream");
            assertThat(head).doesNotContain("late");
        }
    }

    @Test
    void serverSentEventsArriveOneByOne() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<java.io.InputStream> response = client.send(
                HttpRequest.newBuilder(URI.create(node.url() + "/sse")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.headers().firstValue("Content-Type")).hasValue("text/event-stream");

        try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(),
                StandardCharsets.UTF_8))) {
            assertThat(reader.readLine()).isEqualTo(": open");
            assertThat(reader.readLine()).isEmpty();
            for (int i = 1; i <= 3; i++) {
                // The upstream sends event i only now, so reading it proves the gateway delays nothing.
                upstream.releaseEvent();
                assertThat(reader.readLine()).isEqualTo("id: " + i);
                assertThat(reader.readLine()).isEqualTo("data: event " + i);
                assertThat(reader.readLine()).isEmpty();
            }
            assertThat(reader.readLine()).isNull();
        }
    }

    @Test
    void webSocketEchoesThroughGateway() throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/ws").addSubProtocol("echo.v1");
        WebSocket socket = ContextRequests.send(vertx, () -> client.connect(options));
        assertThat(socket.subProtocol()).isEqualTo("echo.v1");

        CompletableFuture<String> echoed = new CompletableFuture<>();
        socket.textMessageHandler(echoed::complete);
        socket.writeTextMessage("hello through portico");

        assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("hello through portico");
        CompletableFuture<Buffer> binary = new CompletableFuture<>();
        socket.binaryMessageHandler(binary::complete);
        socket.writeBinaryMessage(Buffer.buffer(new byte[] {1, 2, 3, 4}));
        assertThat(binary.get(10, TimeUnit.SECONDS).getBytes()).containsExactly(1, 2, 3, 4);
        socket.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        client.close();
    }

    @Test
    void rejectedWebSocketHandshakeIsRelayed() throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/not-a-socket");

        Throwable failure = ContextRequests.start(vertx, () -> client.connect(options)).toCompletionStage()
                .toCompletableFuture().handle((socket, cause) -> cause).get(10, TimeUnit.SECONDS);

        assertThat(failure).isNotNull();
        client.close();
    }

    @Test
    void http2PriorKnowledgeIsProxied() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/echo/h2");

        String body = ContextRequests.send(vertx, () -> client.request(request)
                .compose(req -> req.send(Buffer.buffer("h2 body")).compose(response -> {
                    assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                    return response.body();
                }))
                .map(Buffer::toString));

        assertThat(body).contains("\"uri\":\"/echo/h2\"").contains("\"bodyLength\":7");
        client.close();
    }

    @Test
    void http2ToUpstreamCarriesBody() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/h2c/echo/x"))
                .POST(HttpRequest.BodyPublishers.ofString("over h2c")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"version\":\"HTTP_2\"");
        assertThat(response.body()).contains("\"uri\":\"/echo/x\"").contains("\"bodyLength\":8");
    }

    @Test
    void http2UpgradeFromHttp11IsProxied() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_2).build();
        HttpResponse<String> first = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo/up")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> second = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo/up2"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.version()).isEqualTo(HttpClient.Version.HTTP_2);
        assertThat(second.body()).contains("/echo/up2");
    }

    @Test
    void http2ResponseStreamsWithoutContentLength() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions request = new RequestOptions().setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/bytes?n=1000000");

        Buffer body = ContextRequests.send(vertx,
                () -> client.request(request).compose(req -> req.send().compose(HttpClientResponse::body)));

        assertThat(body.length()).isEqualTo(1_000_000);
        client.close();
    }
}

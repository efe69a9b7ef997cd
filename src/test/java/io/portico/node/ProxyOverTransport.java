package io.portico.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.HttpsNode;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClient;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The protocols a node proxies, run on one network transport. The tests cover HTTP/1.1, h2c to the client and to
 * the upstream, WebSocket, streamed bodies both ways, and TLS on the listener and to the upstream. A call to a model
 * provider covers the AI gateway's own Netty client. Subclasses name the transport and skip themselves where it is
 * unavailable.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ProxyOverTransport {

    private static final int STREAMED_BYTES = 4 * 1024 * 1024;
    private static final int CONCURRENT_REQUESTS = 60;

    private Path directory;
    private TestUpstream plain;
    private TestUpstream secure;
    private OpenAiMock provider;
    private TestNode node;
    private Vertx vertx;

    /** The value of the node setting {@code transport} under test. */
    abstract String transport();

    /** Skips the test class when the transport cannot run on this machine. */
    void assumeAvailable() {
    }

    @BeforeAll
    void start() throws Exception {
        assumeAvailable();
        directory = Files.createTempDirectory("portico-transport-");
        TestCertificates.Issued authority = TestCertificates.authority("Portico Test Transport CA");
        TestCertificates.Issued upstreamCertificate = TestCertificates.server(authority, "localhost", "127.0.0.1");
        plain = TestUpstream.start("plain");
        secure = TestUpstream.start("secure", new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(upstreamCertificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(upstreamCertificate.privateKeyPem()))));
        provider = new OpenAiMock("alpha", "sk-alpha");
        node = HttpsNode.start(directory, "transport.test", Map.of("transport", transport()));
        Configs config = Configs.document();
        config.service("plain", plain.port());
        config.route("plain", "plain", "/");
        config.service("multiplexed", plain.port()).putObject("pool").put("http2", true);
        config.route("multiplexed", "multiplexed", "/h2c").put("stripPrefix", true);
        config.service("secure", secure.port()).put("protocol", "https").putObject("tls")
                .put("caCertificate", authority.certificatePem());
        config.route("secure", "secure", "/secure").put("stripPrefix", true);
        config.provider("alpha", "openai", provider.baseUrl(), "sk-alpha");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        vertx = Vertx.vertx();
    }

    @AfterAll
    void stop() {
        close(vertx == null ? null : () -> vertx.close().await(10, TimeUnit.SECONDS));
        close(node);
        close(provider);
        close(plain);
        close(secure);
        close(directory == null ? null : () -> {
            try (var paths = Files.walk(directory)) {
                paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            }
        });
    }

    private static void close(AutoCloseable resource) {
        if (resource == null) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void nodeRunsOnRequestedTransport() {
        assertThat(node.portico().transport().name()).isEqualTo(transport());
    }

    @Test
    void http11RequestIsProxied() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo/one"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.version()).isEqualTo(HttpClient.Version.HTTP_1_1);
        assertThat(response.body()).contains("\"uri\":\"/echo/one\"");
    }

    @Test
    void concurrentConnectionsAllGetResponses() {
        // Many connections on each event loop make several channels of one loop write before the next submit.
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
            responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.url() + "/echo/" + i))
                    .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString()));
        }

        for (int i = 0; i < CONCURRENT_REQUESTS; i++) {
            HttpResponse<String> response = responses.get(i).join();
            assertThat(response.statusCode()).as("request %d", i).isEqualTo(200);
            assertThat(response.body()).contains("\"uri\":\"/echo/" + i + "\"");
        }
    }

    @Test
    void h2cPriorKnowledgeIsProxied() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/echo/h2");

        Exchange exchange = ContextRequests.send(vertx, Duration.ofSeconds(30), () -> client.request(request)
                .compose(sent -> sent.send(Buffer.buffer("h2 body")).compose(Exchange::read)));

        assertThat(exchange.version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(exchange.body()).contains("\"uri\":\"/echo/h2\"").contains("\"bodyLength\":7");
        client.close();
    }

    @Test
    void h2cToUpstreamCarriesBody() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/h2c/echo/x"))
                .POST(HttpRequest.BodyPublishers.ofString("over h2c")).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("\"version\":\"HTTP_2\"").contains("\"bodyLength\":8");
    }

    @Test
    void webSocketEchoesThroughGateway() throws Exception {
        WebSocketClient client = vertx.createWebSocketClient();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/ws").addSubProtocol("echo.v1");
        WebSocket socket = ContextRequests.send(vertx, Duration.ofSeconds(30), () -> client.connect(options));
        CompletableFuture<String> echoed = new CompletableFuture<>();
        socket.textMessageHandler(echoed::complete);

        socket.writeTextMessage("over " + transport());

        assertThat(echoed.get(30, TimeUnit.SECONDS)).isEqualTo("over " + transport());
        socket.close().await(30, TimeUnit.SECONDS);
        client.close();
    }

    @Test
    void streamedUploadArrivesWhole() throws Exception {
        byte[] upload = new byte[STREAMED_BYTES];
        new Random(7).nextBytes(upload);
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        // An input stream publisher has no length, so the body goes out chunked as the client reads it.
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/echo/upload"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(upload)))
                .timeout(Duration.ofSeconds(60)).build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(echo.get("bodyLength").asLong()).isEqualTo(STREAMED_BYTES);
        assertThat(echo.get("bodySha256").asText())
                .isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(upload)));
    }

    @Test
    void streamedDownloadArrivesWhole() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

        HttpResponse<byte[]> response = client.send(HttpRequest.newBuilder(
                        URI.create(node.url() + "/bytes?n=" + STREAMED_BYTES)).timeout(Duration.ofSeconds(60)).build(),
                HttpResponse.BodyHandlers.ofByteArray());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).hasSize(STREAMED_BYTES);
    }

    @Test
    void tlsListenerProxiesToTlsUpstream() throws Exception {
        for (HttpVersion version : new HttpVersion[] {HttpVersion.HTTP_1_1, HttpVersion.HTTP_2}) {
            HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                    .setSsl(true)
                    .setUseAlpn(true)
                    .setProtocolVersion(version)
                    .setVerifyHost(true)
                    .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(
                            Files.readString(directory.resolve("transport.test.crt"))))));
            int port = node.portico().httpsPort();
            RequestOptions request = new RequestOptions()
                    .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                    .setHost("transport.test")
                    .setPort(port)
                    .setURI("/secure/echo/tls");

            Exchange exchange = ContextRequests.send(vertx, Duration.ofSeconds(30),
                    () -> client.request(request).compose(sent -> sent.send().compose(Exchange::read)));

            assertThat(exchange.status()).as(version.name()).isEqualTo(200);
            assertThat(exchange.version()).isEqualTo(version);
            assertThat(exchange.body()).contains("\"upstream\":\"secure\"").contains("\"uri\":\"/echo/tls\"");
            client.close().await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void chatCompletionReachesProvider() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"model":"alpha/gpt-4o","messages":[{"role":"user","content":"Hi"}]}"""))
                .timeout(Duration.ofSeconds(30)).build();

        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(response.body()).at("/choices/0/message/content").asText())
                .isEqualTo("Hello from alpha");
    }

    /** A response read whole on the event loop, so no body bytes arrive before a handler takes them. */
    private record Exchange(int status, HttpVersion version, String body) {
        static io.vertx.core.Future<Exchange> read(HttpClientResponse response) {
            return response.body().map(body -> new Exchange(response.statusCode(), response.version(),
                    body.toString()));
        }
    }
}

package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.node.NodeConfig;
import io.portico.testing.ContextRequests;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerTlsProtocolTest {

    private static final int HANDSHAKE_RECORD = 0x16;
    private static final int ALERT_RECORD = 0x15;
    private static final int FATAL = 2;
    private static final int PROTOCOL_VERSION_ALERT = 70;

    @TempDir
    static Path directory;

    private static Vertx vertx;
    private static HttpsTestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        vertx = Vertx.vertx();
        TestCertificate certificate = TestCertificate.ec("localhost", "localhost");
        NodeConfig.CertificateFiles files =
                certificate.write(directory.resolve("tls.crt"), directory.resolve("tls.key"));
        ServerTls tls = new ServerTls(vertx,
                new NodeConfig.HttpsListener("127.0.0.1", 0, List.of(files), Duration.ofSeconds(5)));
        server = HttpsTestServer.start(vertx, tls);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "{0} handshake succeeds")
    @CsvSource({"TLSv1.2", "TLSv1.3"})
    void supportedVersionHandshakes(String protocol) throws Exception {
        try (SSLSocket socket = TlsProbe.connect(server.port(), "localhost", List.of(protocol), List.of())) {
            assertThat(socket.getSession().getProtocol()).isEqualTo(protocol);
            assertThat(TlsProbe.get(socket)).isEqualTo("HTTP_1_1 " + protocol);
        }
    }

    @ParameterizedTest(name = "TLS version 0x{0} is rejected")
    @CsvSource({"0301", "0302"})
    void oldVersionRejected(String version) throws Exception {
        byte[] response = TlsProbe.rawClientHelloResponse(server.port(), Integer.parseInt(version, 16));

        assertThat(response).hasSize(7);
        assertThat(response[0]).isEqualTo((byte) ALERT_RECORD);
        assertThat(response[5]).isEqualTo((byte) FATAL);
        assertThat(response[6]).isEqualTo((byte) PROTOCOL_VERSION_ALERT);
    }

    @Test
    void handMadeHelloAcceptedForTls12() throws Exception {
        byte[] response = TlsProbe.rawClientHelloResponse(server.port(), 0x0303);

        assertThat(response).isNotEmpty();
        assertThat(response[0]).isEqualTo((byte) HANDSHAKE_RECORD);
    }

    @Test
    void alpnPrefersHttp2() throws Exception {
        TlsProbe.Handshake handshake =
                TlsProbe.handshake(server.port(), "localhost", TlsProbe.MODERN_PROTOCOLS, List.of("h2", "http/1.1"));

        assertThat(handshake.applicationProtocol()).isEqualTo("h2");
    }

    @Test
    void alpnHttp11OnlyClient() throws Exception {
        TlsProbe.Handshake handshake =
                TlsProbe.handshake(server.port(), "localhost", TlsProbe.MODERN_PROTOCOLS, List.of("http/1.1"));

        assertThat(handshake.applicationProtocol()).isEqualTo("http/1.1");
    }

    @Test
    void http2ClientGetsHttp2() throws Exception {
        Response response = request(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2)
                .setUseAlpn(true));

        assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(response.body()).isEqualTo("HTTP_2 TLSv1.3");
    }

    @Test
    void http11ClientGetsHttp11() throws Exception {
        Response response = request(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_1_1)
                .setUseAlpn(true)
                .setAlpnVersions(List.of(HttpVersion.HTTP_1_1)));

        assertThat(response.version()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(response.body()).isEqualTo("HTTP_1_1 TLSv1.3");
    }

    private static Response request(HttpClientOptions options) throws Exception {
        options.setSsl(true).setTrustAll(true).setVerifyHost(false);
        HttpClientAgent client = vertx.createHttpClient(options);
        try {
            return ContextRequests.send(vertx, () -> client.request(HttpMethod.GET, server.port(), "127.0.0.1", "/")
                    .compose(HttpClientRequest::send)
                    .compose(response -> response.body()
                            .map(body -> new Response(response.version(), body.toString()))));
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
        }
    }

    private record Response(HttpVersion version, String body) {
    }
}

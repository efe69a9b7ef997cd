package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.node.NodeConfig;
import io.vertx.core.Vertx;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ServerTlsSniTest {

    private static final TestCertificate A = TestCertificate.ec("a", "a.example.test");
    private static final TestCertificate B = TestCertificate.ec("b", "b.example.test");
    private static final TestCertificate WILDCARD = TestCertificate.ec("wild", "*.wild.example.test");
    private static final TestCertificate EXACT = TestCertificate.ec("exact", "exact.wild.example.test");
    private static final Map<String, TestCertificate> BY_LABEL =
            Map.of("A", A, "B", B, "WILDCARD", WILDCARD, "EXACT", EXACT);

    @TempDir
    static Path directory;

    private static Vertx vertx;
    private static ServerTls tls;
    private static HttpsTestServer server;

    @BeforeAll
    static void startServer() throws Exception {
        vertx = Vertx.vertx();
        List<NodeConfig.CertificateFiles> files = List.of(
                A.write(directory.resolve("a.crt"), directory.resolve("a.key")),
                B.write(directory.resolve("b.crt"), directory.resolve("b.key")),
                WILDCARD.write(directory.resolve("wild.crt"), directory.resolve("wild.key")),
                EXACT.write(directory.resolve("exact.crt"), directory.resolve("exact.key")));
        tls = new ServerTls(vertx, new NodeConfig.HttpsListener("127.0.0.1", 0, files, Duration.ofSeconds(5)));
        server = HttpsTestServer.start(vertx, tls);
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest(name = "SNI {0} gets certificate {1}")
    @CsvSource({
        "a.example.test, A",
        "b.example.test, B",
        "B.Example.Test, B",
        "x.wild.example.test, WILDCARD",
        "exact.wild.example.test, EXACT",
        "wild.example.test, A",
        "a.b.wild.example.test, A",
        "unknown.example.test, A",
    })
    void serverNameSelectsCertificate(String serverName, String expected) throws Exception {
        TlsProbe.Handshake handshake = TlsProbe.handshake(server.port(), serverName);

        assertThat(handshake.certificate().getSerialNumber()).isEqualTo(BY_LABEL.get(expected).serial());
    }

    @Test
    void noServerNameGetsFirstFileCertificate() throws Exception {
        BigInteger serial = TlsProbe.handshake(server.port(), null).certificate().getSerialNumber();

        assertThat(serial).isEqualTo(A.serial());
    }

    @Test
    void sniCertificateServesHttpRequests() throws Exception {
        try (var socket = TlsProbe.connect(server.port(), "b.example.test", TlsProbe.MODERN_PROTOCOLS, List.of())) {
            assertThat(TlsProbe.get(socket)).isEqualTo("HTTP_1_1 TLSv1.3");
            assertThat(TlsProbe.describe(socket).certificate().getSerialNumber()).isEqualTo(B.serial());
        }
    }
}

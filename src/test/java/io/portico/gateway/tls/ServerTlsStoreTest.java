package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.config.CertificateSpec;
import io.portico.node.NodeConfig;
import io.portico.testing.LogCapture;
import io.vertx.core.Vertx;
import io.vertx.core.net.ServerSSLOptions;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTlsStoreTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final NodeConfig.HttpsListener NO_FILES =
            new NodeConfig.HttpsListener("127.0.0.1", 0, List.of(), Duration.ofSeconds(5));

    private static final TestCertificate ALPHA = TestCertificate.ec("alpha", "alpha.example.test");
    private static final TestCertificate BETA = TestCertificate.ec("beta", "beta.example.test");

    @TempDir
    Path directory;

    private static Vertx vertx;
    private HttpsTestServer server;

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void noCertificatesWithoutFilesOrStore() {
        ServerTls tls = new ServerTls(vertx, NO_FILES);

        assertThat(tls.hasCertificates()).isFalse();
    }

    @Test
    void addedStoreCertificateServedWithoutRestart() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        server = HttpsTestServer.start(vertx, tls);

        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA), spec("beta", BETA)));

        assertThat(tls.hasCertificates()).isTrue();
        assertThat(awaitServedSerial("beta.example.test", BETA.serial())).isEqualTo(BETA.serial());
        assertThat(servedSerial("alpha.example.test")).isEqualTo(ALPHA.serial());
    }

    @Test
    void removedStoreCertificateNoLongerServed() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA), spec("beta", BETA)));
        server = HttpsTestServer.start(vertx, tls);
        try (SSLSocket open = TlsProbe.connect(server.port(), "alpha.example.test", TlsProbe.MODERN_PROTOCOLS,
                List.of())) {
            tls.updateStoreCertificates(List.of(spec("beta", BETA)));

            assertThat(awaitServedSerial("alpha.example.test", BETA.serial())).isEqualTo(BETA.serial());
            assertThat(TlsProbe.get(open)).isEqualTo("HTTP_1_1 TLSv1.3");
        }
    }

    @Test
    void preparedCertificatesServedOnlyOnceInstalled() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        server = HttpsTestServer.start(vertx, tls);

        ServerTls.StoreUpdate update = tls.prepareStoreCertificates(List.of(spec("alpha", ALPHA), spec("beta", BETA)),
                false);

        assertThat(servedSerial("beta.example.test")).as("certificate served before the install").isEqualTo(
                ALPHA.serial());

        tls.install(update);

        assertThat(awaitServedSerial("beta.example.test", BETA.serial())).isEqualTo(BETA.serial());
    }

    @Test
    void updatePreparedBeforeAnotherInstallStillApplies() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        ServerTls.StoreUpdate first = tls.prepareStoreCertificates(List.of(spec("alpha", ALPHA)), false);
        ServerTls.StoreUpdate second = tls.prepareStoreCertificates(List.of(spec("beta", BETA)), false);

        tls.install(first);
        assertThat(second.isCurrent()).isFalse();
        tls.install(second);
        server = HttpsTestServer.start(vertx, tls);

        assertThat(servedSerial("alpha.example.test")).as("default certificate").isEqualTo(BETA.serial());
        assertThat(servedSerial("beta.example.test")).isEqualTo(BETA.serial());
    }

    @Test
    void defaultIsFirstStoreCertificateByName() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("zulu", ALPHA), spec("bravo", BETA)));
        server = HttpsTestServer.start(vertx, tls);

        assertThat(servedSerial("unknown.example.test")).isEqualTo(BETA.serial());
    }

    @Test
    void defaultIsFileCertificateBeforeStore() throws Exception {
        TestCertificate fileCertificate = TestCertificate.ec("file", "file.example.test");
        NodeConfig.CertificateFiles files =
                fileCertificate.write(directory.resolve("tls.crt"), directory.resolve("tls.key"));
        ServerTls tls = new ServerTls(vertx,
                new NodeConfig.HttpsListener("127.0.0.1", 0, List.of(files), Duration.ofSeconds(5)));
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        server = HttpsTestServer.start(vertx, tls);

        assertThat(servedSerial("unknown.example.test")).isEqualTo(fileCertificate.serial());
        assertThat(servedSerial("alpha.example.test")).isEqualTo(ALPHA.serial());
    }

    @Test
    void invalidStoreCertificateKeepsPrevious() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        server = HttpsTestServer.start(vertx, tls);
        CertificateSpec mismatched = new CertificateSpec("alpha", ALPHA.certificatePem(), BETA.keyPem());
        List<ServerSSLOptions> changes = new CopyOnWriteArrayList<>();
        tls.onChange(changes::add);

        try (LogCapture logs = new LogCapture("io.portico.gateway.tls")) {
            tls.updateStoreCertificates(List.of(mismatched));
            tls.updateStoreCertificates(List.of(mismatched));

            assertThat(logs.messages(Level.WARN)).hasSize(1);
            assertThat(logs.messages(Level.WARN).get(0))
                    .contains("Store certificate 'alpha' is invalid, so its previous version is still served")
                    .contains("field 'key' does not match field 'certificate'");
        }
        assertThat(changes).isEmpty();
        assertThat(servedSerial("alpha.example.test")).isEqualTo(ALPHA.serial());
    }

    @Test
    void unchangedStoreCertificatesNotifyNobody() {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        List<ServerSSLOptions> changes = new CopyOnWriteArrayList<>();
        tls.onChange(changes::add);

        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));

        assertThat(changes).isEmpty();
    }

    @Test
    void removingLastCertificateFailsHandshakes() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));
        server = HttpsTestServer.start(vertx, tls);

        tls.updateStoreCertificates(List.of());

        assertThat(tls.hasCertificates()).isFalse();
        assertThat(awaitHandshakeFailure("alpha.example.test")).isTrue();
    }

    @Test
    void emptyListenerServesAddedCertificate() throws Exception {
        ServerTls tls = new ServerTls(vertx, NO_FILES);
        server = HttpsTestServer.start(vertx, tls);
        assertThatThrownBy(() -> servedSerial("alpha.example.test")).isInstanceOf(SSLException.class);

        tls.updateStoreCertificates(List.of(spec("alpha", ALPHA)));

        assertThat(awaitServedSerial("alpha.example.test", ALPHA.serial())).isEqualTo(ALPHA.serial());
    }

    @Test
    void nullCertificatesRejected() {
        ServerTls tls = new ServerTls(vertx, NO_FILES);

        assertThatThrownBy(() -> tls.updateStoreCertificates(null)).isInstanceOf(NullPointerException.class);
    }

    private static CertificateSpec spec(String name, TestCertificate certificate) {
        return new CertificateSpec(name, certificate.certificatePem(), certificate.keyPem());
    }

    private BigInteger servedSerial(String serverName) throws IOException {
        return TlsProbe.handshake(server.port(), serverName).certificate().getSerialNumber();
    }

    /**
     * Connects until a new connection gets {@code expected} or the wait ends, and returns the last serial seen:
     * null when the last handshake failed.
     */
    private BigInteger awaitServedSerial(String serverName, BigInteger expected) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        BigInteger serial = servedSerialOrNull(serverName);
        while (!expected.equals(serial) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            serial = servedSerialOrNull(serverName);
        }
        return serial;
    }

    private BigInteger servedSerialOrNull(String serverName) throws IOException {
        try {
            return servedSerial(serverName);
        } catch (SSLException e) {
            return null;
        }
    }

    private boolean awaitHandshakeFailure(String serverName) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        while (Instant.now().isBefore(deadline)) {
            try {
                servedSerial(serverName);
            } catch (SSLException e) {
                return true;
            }
            Thread.sleep(50);
        }
        return false;
    }
}

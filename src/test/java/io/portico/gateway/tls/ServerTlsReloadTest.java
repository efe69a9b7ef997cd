package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.node.NodeConfig;
import io.portico.testing.LogCapture;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ServerTlsReloadTest {

    private static final Duration RELOAD_INTERVAL = Duration.ofMillis(100);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path directory;

    private Path certificateFile;
    private Path keyFile;
    private Vertx vertx;
    private ServerTls tls;
    private HttpsTestServer server;
    private final TestCertificate first = TestCertificate.ec("first", "reload.example.test");

    @BeforeEach
    void startServer() throws Exception {
        vertx = Vertx.vertx();
        certificateFile = directory.resolve("tls.crt");
        keyFile = directory.resolve("tls.key");
        NodeConfig.CertificateFiles files = first.write(certificateFile, keyFile);
        tls = new ServerTls(vertx, new NodeConfig.HttpsListener("127.0.0.1", 0, List.of(files), RELOAD_INTERVAL));
        server = HttpsTestServer.start(vertx, tls);
        tls.start();
    }

    @AfterEach
    void stopServer() throws Exception {
        tls.stop();
        server.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void newConnectionsGetRewrittenCertificate() throws Exception {
        TestCertificate second = TestCertificate.ec("second", "reload.example.test");
        try (SSLSocket open = connect()) {
            assertThat(TlsProbe.get(open)).isEqualTo("HTTP_1_1 TLSv1.3");

            second.write(certificateFile, keyFile);

            assertThat(awaitServedSerial(second.serial())).isEqualTo(second.serial());
            assertThat(TlsProbe.get(open)).isEqualTo("HTTP_1_1 TLSv1.3");
            assertThat(TlsProbe.describe(open).certificate().getSerialNumber()).isEqualTo(first.serial());
        }
    }

    @Test
    void reloadSeesChangeWithSameModificationTime() throws Exception {
        FileTime certificateTime = Files.getLastModifiedTime(certificateFile);
        FileTime keyTime = Files.getLastModifiedTime(keyFile);
        TestCertificate second = TestCertificate.ec("second", "reload.example.test");

        second.write(certificateFile, keyFile);
        Files.setLastModifiedTime(certificateFile, certificateTime);
        Files.setLastModifiedTime(keyFile, keyTime);

        assertThat(awaitServedSerial(second.serial())).isEqualTo(second.serial());
    }

    @Test
    void corruptCertificateKeepsPreviousAndLogsOnce() throws Exception {
        try (LogCapture logs = new LogCapture("io.portico.gateway.tls")) {
            replace(certificateFile, "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n");

            awaitWarnings(logs, 1);
            sleepIntervals(5);

            assertThat(logs.messages(Level.WARN)).hasSize(1);
            assertThat(logs.messages(Level.WARN).get(0))
                    .contains(certificateFile.toString())
                    .contains("invalid PEM certificate");
            assertThat(servedSerial()).isEqualTo(first.serial());
        }
    }

    @Test
    void mismatchedKeyKeepsPreviousAndLogsOnce() throws Exception {
        TestCertificate other = TestCertificate.ec("other", "reload.example.test");
        try (LogCapture logs = new LogCapture("io.portico.gateway.tls")) {
            replace(keyFile, other.keyPem());

            awaitWarnings(logs, 1);
            sleepIntervals(5);

            assertThat(logs.messages(Level.WARN)).hasSize(1);
            assertThat(logs.messages(Level.WARN).get(0))
                    .contains("key file " + keyFile + " does not match certificate file " + certificateFile);
            assertThat(servedSerial()).isEqualTo(first.serial());
        }
    }

    @Test
    void fixedFilesLoadAfterFailure() throws Exception {
        TestCertificate second = TestCertificate.ec("second", "reload.example.test");
        try (LogCapture logs = new LogCapture("io.portico.gateway.tls")) {
            replace(certificateFile, "garbage");
            awaitWarnings(logs, 1);

            second.write(certificateFile, keyFile);

            assertThat(awaitServedSerial(second.serial())).isEqualTo(second.serial());
        }
    }

    @Test
    void deletedFileKeepsPreviousAndLogsOnce() throws Exception {
        try (LogCapture logs = new LogCapture("io.portico.gateway.tls")) {
            Files.delete(keyFile);

            awaitWarnings(logs, 1);
            sleepIntervals(5);

            assertThat(logs.messages(Level.WARN)).hasSize(1);
            assertThat(logs.messages(Level.WARN).get(0)).contains("key file " + keyFile + " does not exist");
            assertThat(servedSerial()).isEqualTo(first.serial());
        }
    }

    @Test
    void stopEndsReloading() throws Exception {
        tls.stop();
        sleepIntervals(2);

        TestCertificate.ec("second", "reload.example.test").write(certificateFile, keyFile);
        sleepIntervals(5);

        assertThat(servedSerial()).isEqualTo(first.serial());
    }

    @Test
    void constructorRejectsInvalidFile() throws Exception {
        Path badCertificate = directory.resolve("bad.crt");
        Files.writeString(badCertificate, "not a certificate");
        NodeConfig.HttpsListener settings = new NodeConfig.HttpsListener("127.0.0.1", 0,
                List.of(new NodeConfig.CertificateFiles(badCertificate.toString(), keyFile.toString())),
                RELOAD_INTERVAL);

        assertThatThrownBy(() -> new ServerTls(vertx, settings))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("certificate file " + badCertificate);
    }

    /** Replaces a file's content in one rename, so a reload never reads it half written. */
    private void replace(Path file, String content) throws IOException {
        Path temporary = Files.writeString(directory.resolve(file.getFileName() + ".new"), content);
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private SSLSocket connect() throws IOException {
        return TlsProbe.connect(server.port(), "reload.example.test", TlsProbe.MODERN_PROTOCOLS, List.of());
    }

    private BigInteger servedSerial() throws IOException {
        return TlsProbe.handshake(server.port(), "reload.example.test").certificate().getSerialNumber();
    }

    /** Connects until a new connection gets {@code expected} or the wait ends; returns the last serial seen. */
    private BigInteger awaitServedSerial(BigInteger expected) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        BigInteger serial = servedSerial();
        while (!serial.equals(expected) && Instant.now().isBefore(deadline)) {
            Thread.sleep(50);
            serial = servedSerial();
        }
        return serial;
    }

    private static void awaitWarnings(LogCapture logs, int count) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (logs.messages(Level.WARN).size() < count && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
        assertThat(logs.messages(Level.WARN)).hasSizeGreaterThanOrEqualTo(count);
    }

    private static void sleepIntervals(int intervals) throws InterruptedException {
        Thread.sleep(RELOAD_INTERVAL.toMillis() * intervals);
    }
}

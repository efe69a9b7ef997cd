package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.gateway.upstream.TargetState;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The log lines of health checks through a real node: each test applies one service while it records the lines of
 * {@link TargetState}, and removes it at the end.
 */
class HealthCheckLogTest {

    private static TestUpstream selfSigned;
    private static TestNode node;

    @BeforeAll
    static void start() {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("localhost", "127.0.0.1");
        selfSigned = TestUpstream.start("self-signed", new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))));
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
        selfSigned.close();
    }

    @AfterEach
    void removeServices() {
        node.apply(Configs.document().build());
    }

    @Test
    void activeCheckNamesTlsReason() {
        Configs config = Configs.document();
        ObjectNode service = config.service("untrusted", selfSigned.port()).put("protocol", "https");
        service.putObject("healthCheck").putObject("active")
                .put("path", "/health")
                .put("interval", "100ms")
                .put("unhealthyThreshold", 2);

        try (LogCapture log = new LogCapture(TargetState.class)) {
            node.apply(config.build());

            String down = log.awaitMessage(Level.WARN, "marked unhealthy");
            assertThat(down).contains("service 'untrusted'");
            assertThat(down).contains("last: TLS connection failed: unknown_ca (");
            assertThat(down).contains("unable to find valid certification path");
            String tls = log.awaitMessage(Level.WARN, "TLS connection to upstream target");
            assertThat(tls).contains("service 'untrusted' failed: unknown_ca (");
        }
    }
}

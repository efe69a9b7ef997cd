package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.gateway.upstream.TargetState;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.List;
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
    private static TestUpstream unavailable;
    private static TestNode node;

    @BeforeAll
    static void start() {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("localhost", "127.0.0.1");
        selfSigned = TestUpstream.start("self-signed", new HttpServerOptions().setSsl(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))));
        unavailable = TestUpstream.start("unavailable");
        unavailable.respondWith(503);
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
        selfSigned.close();
        unavailable.close();
    }

    @AfterEach
    void removeServices() {
        node.apply(Configs.document().build());
    }

    @Test
    void activeCheckNamesTlsReason() {
        Configs config = Configs.document();
        activeCheck(config.service("untrusted", selfSigned.port()).put("protocol", "https"));

        List<String> warnings = applyUntilMarkedDown(config);

        String down = warnings.stream().filter(line -> line.contains("marked unhealthy")).findFirst().orElseThrow();
        assertThat(down).contains("service 'untrusted'");
        assertThat(down).contains("last: TLS connection failed: unknown_ca (");
        assertThat(down).contains("unable to find valid certification path");
        assertThat(warnings).as("WARN lines").anySatisfy(line -> assertThat(line)
                .contains("TLS connection to upstream target", "service 'untrusted' failed: unknown_ca ("));
    }

    @Test
    void ejectionNamesRecoveryAsConfigured() {
        Configs config = Configs.document();
        ObjectNode service = config.service("ejecting", unavailable.port());
        service.putObject("healthCheck").putObject("passive")
                .put("unhealthyThreshold", 2)
                .put("recovery", "1500ms");
        service.putObject("retries").put("attempts", 1);
        config.route("ejecting", "ejecting", "/ejecting").put("stripPrefix", true);

        try (LogCapture log = new LogCapture(TargetState.class)) {
            node.apply(config.build());
            for (int i = 0; i < 2; i++) {
                assertThat(GatewayClient.get(node, "/ejecting/echo").statusCode()).as("status %d", i).isEqualTo(503);
            }

            String ejected = log.awaitMessage(Level.WARN, "ejected for");
            assertThat(ejected).contains("of service 'ejecting' ejected for 1500ms: 2 consecutive requests failed, "
                    + "last: status 503");
        }
    }

    @Test
    void probeFailureIsDescribedInWords() {
        Configs config = Configs.document();
        activeCheck(config.service("closed", ClosedPorts.reserve()));

        List<String> warnings = applyUntilMarkedDown(config);

        String down = warnings.stream().filter(line -> line.contains("marked unhealthy")).findFirst().orElseThrow();
        assertThat(down).contains("service 'closed'");
        assertThat(down).contains("last: connecting failed: ");
        assertThat(down).doesNotContain("CONNECT_FAILURE");
    }

    /** Adds an active health check of {@code /health} every 100 ms to {@code service}, two failures marking it down. */
    private static void activeCheck(ObjectNode service) {
        service.putObject("healthCheck").putObject("active")
                .put("path", "/health")
                .put("interval", "100ms")
                .put("unhealthyThreshold", 2);
    }

    /** Applies {@code config} and returns the WARN lines of {@link TargetState} once a target is marked down. */
    private static List<String> applyUntilMarkedDown(Configs config) {
        try (LogCapture log = new LogCapture(TargetState.class)) {
            node.apply(config.build());
            log.awaitMessage(Level.WARN, "marked unhealthy");
            return log.messages(Level.WARN);
        }
    }
}

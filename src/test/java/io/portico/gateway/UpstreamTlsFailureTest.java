package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.gateway.upstream.TargetState;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.slf4j.LoggerFactory;

/**
 * Failed TLS connections to real upstreams behind a real node: the access-log line names the reason in
 * {@code upstream_tls_error}, and the target's WARN line names it with the TLS error, at most once a minute per
 * target. Neither contains key material.
 */
class UpstreamTlsFailureTest {

    private static TestCertificates.Issued authority;
    private static TestCertificates.Issued strangerCertificate;
    private static TestUpstream verified;
    private static TestUpstream expired;
    private static TestUpstream mutual;
    private static TestUpstream plain;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        authority = TestCertificates.authority("Portico Test Upstream CA");
        TestCertificates.Issued serverCertificate = TestCertificates.server(authority, "localhost", "127.0.0.1");
        TestCertificates.Issued clientAuthority = TestCertificates.authority("Portico Test Client CA");
        TestCertificates.Issued strangerAuthority = TestCertificates.authority("Portico Test Stranger CA");
        strangerCertificate = TestCertificates.client(strangerAuthority, "portico-stranger");

        verified = TestUpstream.start("verified", tlsOptions(serverCertificate));
        expired = TestUpstream.start("expired",
                tlsOptions(TestCertificates.expiredServer(authority, "localhost", "127.0.0.1")));
        mutual = TestUpstream.start("mutual", tlsOptions(serverCertificate)
                .setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(clientAuthority.certificatePem()))));
        plain = TestUpstream.start("plain");

        node = TestNode.start();
        Configs config = Configs.document();
        https(config, "unknown-ca", verified.port());
        https(config, "repeated", verified.port());
        https(config, "expired", expired.port()).putObject("tls").put("caCertificate", authority.certificatePem());
        https(config, "mismatch", verified.port()).putObject("tls").put("caCertificate", authority.certificatePem())
                .put("serverName", "wrong.internal");
        https(config, "no-client-certificate", mutual.port()).putObject("tls")
                .put("caCertificate", authority.certificatePem());
        https(config, "stranger", mutual.port()).putObject("tls")
                .put("caCertificate", authority.certificatePem())
                .put("clientCertificate", strangerCertificate.certificatePem())
                .put("clientKey", strangerCertificate.privateKeyPem());
        https(config, "plaintext", plain.port());
        config.service("refused", ClosedPorts.reserve());
        config.route("refused", "refused", "/refused").put("stripPrefix", true);
        node.apply(config.build());
    }

    private static HttpServerOptions tlsOptions(TestCertificates.Issued certificate) {
        return new HttpServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                .setKeyValue(Buffer.buffer(certificate.privateKeyPem())));
    }

    /** Adds an {@code https} service named {@code name} and a route {@code /name} that strips its prefix. */
    private static ObjectNode https(Configs config, String name, int port) {
        ObjectNode service = config.service(name, port).put("protocol", "https");
        config.route(name, name, "/" + name).put("stripPrefix", true);
        return service;
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        verified.close();
        expired.close();
        mutual.close();
        plain.close();
    }

    @ParameterizedTest
    @CsvSource({
        "unknown-ca, unknown_ca, unable to find valid certification path",
        "expired, certificate_expired, NotAfter",
        "mismatch, hostname_mismatch, wrong.internal",
        "no-client-certificate, certificate_required, bad_certificate",
        "stranger, client_certificate_rejected, bad_certificate",
        "plaintext, not_tls, not a TLS record",
    })
    void failureReasonIsLogged(String service, String reason, String message) {
        try (LogCapture access = new LogCapture("portico.access");
             LogCapture warnings = new LogCapture(TargetState.class)) {
            JsonNode problem = assertProblem(get(node, "/" + service + "/echo"), 502, "upstream-unavailable");

            assertThat(problem.path("detail").asText())
                    .isEqualTo("service '" + service + "' could not be reached: the TLS connection failed");
            String line = awaitLine(access, "/" + service + "/echo");
            assertThat(line).contains(" problem=upstream_unavailable");
            assertThat(line).contains(" upstream_tls_error=" + reason);
            List<String> warned = warnings.messages(Level.WARN);
            assertThat(warned).hasSize(1);
            assertThat(warned.get(0)).contains("service '" + service + "'", ": " + reason + " (", message);
        }
    }

    @Test
    void warningIsRateLimitedPerTarget() {
        try (LogCapture access = new LogCapture("portico.access");
             LogCapture warnings = new LogCapture(TargetState.class)) {
            for (int i = 0; i < 3; i++) {
                assertProblem(get(node, "/repeated/echo"), 502, "upstream-unavailable");
            }

            Conditions.eventually("three access-log lines", () -> lines(access, "/repeated/echo").size() == 3);
            assertThat(lines(access, "/repeated/echo")).allSatisfy(line ->
                    assertThat(line).contains(" upstream_tls_error=unknown_ca"));
            assertThat(warnings.messages(Level.WARN)).hasSize(1);
        }
    }

    @Test
    void logsOmitClientKey() {
        String keyBody = strangerCertificate.privateKeyPem().split("\n")[1];
        try (LogCapture access = new LogCapture("portico.access");
             LogCapture everything = new LogCapture("io.portico")) {
            get(node, "/stranger/echo");

            awaitLine(access, "/stranger/echo");
            List<String> messages = everything.allMessages();
            assertThat(messages).noneSatisfy(line -> assertThat(line).contains("PRIVATE KEY"));
            assertThat(messages).noneSatisfy(line -> assertThat(line).contains(keyBody));
            assertThat(access.allMessages()).noneSatisfy(line -> assertThat(line).contains(keyBody));
        }
    }

    @Test
    void plainConnectFailureHasNoTlsReason() {
        try (LogCapture access = new LogCapture("portico.access")) {
            JsonNode problem = assertProblem(get(node, "/refused/echo"), 502, "upstream-unavailable");

            assertThat(problem.path("detail").asText()).isEqualTo("service 'refused' could not be reached");
            assertThat(awaitLine(access, "/refused/echo")).doesNotContain("upstream_tls_error");
        }
    }

    private static String awaitLine(LogCapture access, String path) {
        Conditions.eventually("the access-log line of " + path, () -> !lines(access, path).isEmpty());
        return lines(access, path).get(0);
    }

    private static List<String> lines(LogCapture access, String path) {
        return access.messages(Level.INFO).stream().filter(line -> line.contains(" path=" + path + " ")).toList();
    }
}

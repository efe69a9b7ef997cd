package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTPS upstreams behind a real node: certificate verification, a custom CA and client certificates. */
class UpstreamTlsProxyTest {

    private static TestCertificates.Issued authority;
    private static TestCertificates.Issued clientCertificate;
    private static TestUpstream verified;
    private static TestUpstream mutual;
    private static TestNode node;

    @BeforeAll
    static void start() {
        authority = TestCertificates.authority("Portico Test Upstream CA");
        TestCertificates.Issued serverCertificate = TestCertificates.server(authority, "localhost", "127.0.0.1");
        TestCertificates.Issued clientAuthority = TestCertificates.authority("Portico Test Client CA");
        clientCertificate = TestCertificates.client(clientAuthority, "portico-gateway");
        verified = TestUpstream.start("verified", tlsOptions(serverCertificate));
        mutual = TestUpstream.start("mutual", tlsOptions(serverCertificate)
                .setClientAuth(ClientAuth.REQUIRED)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(clientAuthority.certificatePem()))));
        node = TestNode.start();
        Configs config = Configs.document();
        https(config, "default-trust", verified);
        https(config, "custom-ca", verified).putObject("tls").put("caCertificate", authority.certificatePem());
        https(config, "unverified", verified).putObject("tls").put("verify", false);
        https(config, "mtls", mutual).putObject("tls")
                .put("caCertificate", authority.certificatePem())
                .put("clientCertificate", clientCertificate.certificatePem())
                .put("clientKey", clientCertificate.privateKeyPem());
        https(config, "mtls-anonymous", mutual).putObject("tls").put("caCertificate", authority.certificatePem());
        node.apply(config.build());
    }

    private static HttpServerOptions tlsOptions(TestCertificates.Issued certificate) {
        return new HttpServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                .setKeyValue(Buffer.buffer(certificate.privateKeyPem())));
    }

    /** Adds an {@code https} service named {@code name} and a route {@code /name} that strips its prefix. */
    private static ObjectNode https(Configs config, String name, TestUpstream target) {
        ObjectNode service = config.service(name, target.port()).put("protocol", "https");
        config.route(name, name, "/" + name).put("stripPrefix", true);
        return service;
    }

    @AfterAll
    static void stop() {
        node.close();
        verified.close();
        mutual.close();
    }

    @Test
    void defaultTrustStoreRejectsPrivateCa() {
        int before = verified.requests();

        assertProblem(get(node, "/default-trust/echo"), 502, "upstream-unavailable");
        assertThat(verified.requests()).isEqualTo(before);
    }

    @Test
    void inlineCaCertificateIsTrusted() {
        HttpResponse<String> response = get(node, "/custom-ca/echo/ca");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream(response)).isEqualTo("verified");
        assertThat(json(response).path("uri").asText()).isEqualTo("/echo/ca");
    }

    @Test
    void verifyFalseAcceptsAnyCertificate() {
        HttpResponse<String> response = get(node, "/unverified/echo");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream(response)).isEqualTo("verified");
    }

    @Test
    void clientCertificateIsPresentedToMutualTlsUpstream() {
        HttpResponse<String> response = get(node, "/mtls/echo/mutual");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream(response)).isEqualTo("mutual");
        assertThat(json(response).path("uri").asText()).isEqualTo("/echo/mutual");
    }

    @Test
    void mutualTlsUpstreamRejectsGatewayWithoutClientCertificate() {
        int before = mutual.requests();

        assertProblem(get(node, "/mtls-anonymous/echo"), 502, "upstream-unavailable");
        assertThat(mutual.requests()).isEqualTo(before);
    }

    @Test
    void adminApiMasksClientKey() {
        HttpResponse<String> response = node.adminRaw("GET", "/admin/v1/services/mtls", null);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode tls = json(response).path("tls");
        assertThat(tls.path("clientKey").asText()).startsWith("secret:sha256:");
        assertThat(tls.path("clientCertificate").asText()).isEqualTo(clientCertificate.certificatePem());
        assertThat(response.body()).doesNotContain("PRIVATE KEY");
        String exported = node.adminRaw("GET", "/admin/v1/config", null).body();
        assertThat(exported).doesNotContain("PRIVATE KEY");
    }

    @Test
    void exportedClientKeyHintKeepsStoredKey() {
        JsonNode exported = node.admin("GET", "/admin/v1/config", null, 200);

        JsonNode report = node.admin("POST", "/admin/v1/config/apply", exported, 200);

        assertThat(report.path("updated")).isEmpty();
        assertThat(report.path("created")).isEmpty();
        assertThat(report.path("deleted")).isEmpty();
        assertThat(get(node, "/mtls/echo").statusCode()).isEqualTo(200);
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The TLS server name (SNI) that a real node sends to https targets. The targets respond with the server name that
 * the handshake indicated, or {@code none}.
 */
class UpstreamSniTest {

    private static Vertx vertx;
    private static HttpServer ipv4;
    private static HttpServer ipv6;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("localhost", "orders",
                "payments.internal", "127.0.0.1", "::1");
        HttpServerOptions options = new HttpServerOptions().setSsl(true).setSni(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem())));
        ipv4 = listen(options, "127.0.0.1");
        ipv6 = listen(options, "::1");
        node = TestNode.start();
        Configs config = Configs.document();
        https(config, "single-label-host", "localhost", ipv4.actualPort(), certificate, null);
        https(config, "ipv4-host", "127.0.0.1", ipv4.actualPort(), certificate, null);
        https(config, "ipv6-host", "::1", ipv6.actualPort(), certificate, null);
        https(config, "single-label-server-name", "127.0.0.1", ipv4.actualPort(), certificate, "orders");
        https(config, "dotted-server-name", "127.0.0.1", ipv4.actualPort(), certificate, "payments.internal");
        node.apply(config.build());
    }

    private static HttpServer listen(HttpServerOptions options, String host) throws Exception {
        return vertx.createHttpServer(options).requestHandler(request -> {
            String serverName = request.connection().indicatedServerName();
            request.response().end(serverName == null ? "none" : serverName);
        }).listen(0, host).await(10, TimeUnit.SECONDS);
    }

    /** Adds an {@code https} service with one target and a route {@code /name} that strips its prefix. */
    private static void https(Configs config, String name, String host, int port,
                              TestCertificates.Issued certificate, String serverName) {
        ObjectNode service = config.service(name).put("protocol", "https");
        service.withArray("targets").addObject().put("host", host).put("port", port);
        ObjectNode tls = service.putObject("tls").put("caCertificate", certificate.certificatePem());
        if (serverName != null) {
            tls.put("serverName", serverName);
        }
        config.route(name, name, "/" + name).put("stripPrefix", true);
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @ParameterizedTest
    @CsvSource({
        "single-label-host, localhost",
        "ipv4-host, none",
        "ipv6-host, none",
        "single-label-server-name, orders",
        "dotted-server-name, payments.internal",
    })
    void serverNameIsSentForHostNamesOnly(String service, String expected) {
        HttpResponse<String> response = get(node, "/" + service + "/");

        assertThat(response.statusCode()).as("status from %s", service).isEqualTo(200);
        assertThat(response.body()).as("server name that %s sent", service).isEqualTo(expected);
    }
}

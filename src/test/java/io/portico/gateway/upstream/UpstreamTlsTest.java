package io.portico.gateway.upstream;

import static io.portico.gateway.upstream.UpstreamTestSupport.await;
import static io.portico.gateway.upstream.UpstreamTestSupport.exchange;
import static io.portico.gateway.upstream.UpstreamTestSupport.service;
import static io.portico.gateway.upstream.UpstreamTestSupport.startServer;
import static io.portico.gateway.upstream.UpstreamTestSupport.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.config.ServiceSpec;
import io.portico.testing.LogCapture;
import io.portico.testing.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamTlsTest {

    private static Vertx vertx;
    private static TestCertificates.Issued localCertificate;
    private static TestCertificates.Issued namedCertificate;
    private static TestCertificates.Issued clientAuthority;
    private static TestCertificates.Issued clientCertificate;

    @TempDir
    Path directory;

    private Upstreams upstreams;
    private final List<HttpServer> servers = new ArrayList<>();
    private final AtomicReference<HttpServerRequest> lastRequest = new AtomicReference<>();

    @BeforeAll
    static void setUp() {
        vertx = Vertx.vertx();
        localCertificate = TestCertificates.selfSignedServer("localhost", "127.0.0.1");
        namedCertificate = TestCertificates.selfSignedServer("upstream.test");
        clientAuthority = TestCertificates.authority("Portico Test Client CA");
        clientCertificate = TestCertificates.client(clientAuthority, "portico-gateway");
    }

    @AfterAll
    static void stopVertx() {
        succeeded(vertx.close());
    }

    @BeforeEach
    void createUpstreams() {
        upstreams = new Upstreams(vertx);
    }

    @AfterEach
    void closeAll() {
        upstreams.close();
        servers.forEach(server -> succeeded(server.close()));
    }

    @Test
    void defaultTrustRejectsSelfSignedCertificate() {
        HttpServer server = startTls(localCertificate, null);
        UpstreamGroup group = configure(service("tls").target(server).https(null));

        assertThatThrownBy(() -> await(UpstreamTestSupport.send(vertx, group, group.targets().get(0), "/")))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(SSLHandshakeException.class);
        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.CONNECT_FAILURE);
    }

    @Test
    void inlineCaCertificateIsTrusted() {
        HttpServer server = startTls(localCertificate, null);
        UpstreamGroup group = configure(service("tls").target(server)
                .https(trusting(localCertificate.certificatePem())));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
    }

    @Test
    void caCertificateFileIsTrusted() throws IOException {
        HttpServer server = startTls(localCertificate, null);
        Path ca = Files.writeString(directory.resolve("ca.pem"), localCertificate.certificatePem());
        UpstreamGroup group = configure(service("tls").target(server).https(trusting(ca.toString())));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
    }

    @Test
    void verifyFalseAcceptsUntrustedCertificate() {
        HttpServer server = startTls(namedCertificate, null);
        UpstreamGroup group = configure(service("tls").target(server)
                .https(new ServiceSpec.UpstreamTls(false, null, null, null, null)));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
    }

    @Test
    void hostNameMismatchIsRejected() {
        HttpServer server = startTls(namedCertificate, null);
        UpstreamGroup group = configure(service("tls").target(server)
                .https(trusting(namedCertificate.certificatePem())));

        assertThat(exchange(vertx, group, group.targets().get(0), "/"))
                .as("the certificate names upstream.test, the target is 127.0.0.1")
                .isEqualTo(Outcome.CONNECT_FAILURE);
    }

    @Test
    void serverNameIsSentAndVerified() {
        HttpServer server = startTls(namedCertificate, null);
        UpstreamGroup group = configure(service("tls").target(server).https(new ServiceSpec.UpstreamTls(
                null, namedCertificate.certificatePem(), null, null, "upstream.test")));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        assertThat(lastRequest.get().connection().indicatedServerName()).isEqualTo("upstream.test");
        assertThat(lastRequest.get().authority().host()).isEqualTo("upstream.test");
    }

    @Test
    void mutualTlsPresentsClientCertificate() throws Exception {
        HttpServer server = startTls(localCertificate, clientAuthority);
        UpstreamGroup group = configure(service("mtls").target(server).https(new ServiceSpec.UpstreamTls(null,
                localCertificate.certificatePem(), clientCertificate.certificatePem(),
                clientCertificate.privateKeyPem(), null)));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        X509Certificate presented = (X509Certificate) lastRequest.get().connection().peerCertificates().get(0);
        assertThat(presented.getSubjectX500Principal().getName()).isEqualTo("CN=portico-gateway");
    }

    @Test
    void mutualTlsReadsClientCertificateFiles() throws IOException {
        HttpServer server = startTls(localCertificate, clientAuthority);
        Path certificate = Files.writeString(directory.resolve("client.pem"), clientCertificate.certificatePem());
        Path key = Files.writeString(directory.resolve("client-key.pem"), clientCertificate.privateKeyPem());
        UpstreamGroup group = configure(service("mtls").target(server).https(new ServiceSpec.UpstreamTls(null,
                localCertificate.certificatePem(), certificate.toString(), key.toString(), null)));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
    }

    @Test
    void mutualTlsWithoutClientCertificateIsRejected() {
        HttpServer server = startTls(localCertificate, clientAuthority);
        UpstreamGroup group = configure(service("mtls").target(server)
                .https(trusting(localCertificate.certificatePem())));

        Outcome outcome = exchange(vertx, group, group.targets().get(0), "/");

        assertThat(outcome.kind()).isIn(Outcome.Kind.CONNECT_FAILURE, Outcome.Kind.CONNECTION_ERROR);
        assertThat(lastRequest.get()).as("no request reached the handler").isNull();
    }

    @Test
    void http2IsNegotiatedWithAlpn() {
        HttpServer server = startTls(localCertificate, null);
        UpstreamGroup group = configure(service("h2").target(server).https(trusting(localCertificate.certificatePem()))
                .pool(new ServiceSpec.Pool(null, null, true)));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        assertThat(lastRequest.get().version()).isEqualTo(HttpVersion.HTTP_2);
    }

    @Test
    void garbageCaFileLogsError() throws IOException {
        HttpServer server = startTls(localCertificate, null);
        Path garbage = Files.writeString(directory.resolve("garbage.pem"), "not a certificate\n");

        try (LogCapture log = new LogCapture(Upstreams.class)) {
            UpstreamGroup group = configure(service("garbage").target(server).https(trusting(garbage.toString())));

            assertThat(group).isNull();
            assertThat(log.messages(Level.ERROR)).hasSize(1);
            assertThat(log.messages(Level.ERROR).get(0)).contains("'garbage'").contains("invalid tls.caCertificate");
        }
    }

    private static ServiceSpec.UpstreamTls trusting(String caCertificate) {
        return new ServiceSpec.UpstreamTls(null, caCertificate, null, null, null);
    }

    private HttpServer startTls(TestCertificates.Issued certificate, TestCertificates.Issued trustedClients) {
        HttpServerOptions options = new HttpServerOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setKeyCertOptions(new PemKeyCertOptions()
                        .setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem())))
                .setSni(true);
        if (trustedClients != null) {
            options.setClientAuth(ClientAuth.REQUIRED)
                    .setTrustOptions(new PemTrustOptions()
                            .addCertValue(Buffer.buffer(trustedClients.certificatePem())));
        }
        HttpServer server = startServer(vertx, options, request -> {
            lastRequest.set(request);
            request.response().end("secure");
        });
        servers.add(server);
        return server;
    }

    private UpstreamGroup configure(UpstreamTestSupport.SpecBuilder builder) {
        ServiceSpec spec = builder.build();
        upstreams.update(Map.of(spec.name(), spec));
        return upstreams.group(spec.name());
    }
}

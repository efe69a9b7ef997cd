package io.portico.gateway.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.CertificateSpec;
import io.portico.node.NodeConfig;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ServerTlsOptionsTest {

    private static final TestCertificate CERTIFICATE = TestCertificate.ec("options", "options.example.test");

    private static Vertx vertx;
    private final ServerTls tls =
            new ServerTls(vertx, new NodeConfig.HttpsListener(null, null, List.of(), Duration.ofSeconds(5)));

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() throws Exception {
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void configureTurnsOnTls() {
        tls.updateStoreCertificates(List.of(spec()));
        HttpServerOptions options = new HttpServerOptions();

        tls.configure(options);

        assertThat(options.isSsl()).isTrue();
        assertThat(options.isSni()).isTrue();
        assertThat(options.isUseAlpn()).isTrue();
        assertThat(options.getAlpnVersions()).containsExactly(HttpVersion.HTTP_2, HttpVersion.HTTP_1_1);
        assertThat(options.getEnabledSecureTransportProtocols()).containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
        assertThat(options.getKeyCertOptions()).isNotNull();
    }

    @Test
    void sslOptionsAllowOnlyModernTls() {
        ServerSSLOptions options = tls.sslOptions();

        assertThat(options.isSni()).isTrue();
        assertThat(options.isUseAlpn()).isTrue();
        assertThat(options.getApplicationLayerProtocols()).containsExactly("h2", "http/1.1");
        assertThat(options.getEnabledSecureTransportProtocols()).containsExactlyInAnyOrder("TLSv1.2", "TLSv1.3");
    }

    @Test
    void sslOptionsReturnsCopy() {
        tls.sslOptions().addEnabledSecureTransportProtocol("TLSv1.1");

        assertThat(tls.sslOptions().getEnabledSecureTransportProtocols()).doesNotContain("TLSv1.1");
    }

    @Test
    void failingListenerSkipsNoOtherListener() {
        List<ServerSSLOptions> changes = new CopyOnWriteArrayList<>();
        tls.onChange(options -> {
            throw new IllegalStateException("listener failure for the test");
        });
        tls.onChange(changes::add);

        tls.updateStoreCertificates(List.of(spec()));

        assertThat(changes).hasSize(1);
        assertThat(tls.hasCertificates()).isTrue();
    }

    private static CertificateSpec spec() {
        return new CertificateSpec("options", CERTIFICATE.certificatePem(), CERTIFICATE.keyPem());
    }
}

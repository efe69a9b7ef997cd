package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Pem;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLPeerUnverifiedException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTPS listener of a real node, with certificates from node files and from the admin API. */
class HttpsGatewayTest {

    /** Maximum wait until a listener presents a new certificate. It only bounds a hang. */
    private static final Duration SERVE_WAIT = Duration.ofSeconds(60);
    /**
     * Maximum time of one HTTPS request. It only bounds a hang, because on a loaded two-core machine an event loop
     * stayed busy for more than 4 seconds during the first handshakes after a certificate change.
     */
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    static Path directory;

    private static Vertx vertx;
    private static TestUpstream upstream;
    private static TestCertificates.Issued fileCertificate;
    private static TestNode fileNode;
    private static TestNode storeNode;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = TestUpstream.start("behind-tls");
        fileCertificate = TestCertificates.selfSignedServer("files.test");
        Path certificate = Files.writeString(directory.resolve("files.crt"), fileCertificate.certificatePem());
        Path key = Files.writeString(directory.resolve("files.key"), fileCertificate.privateKeyPem());
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        settings.putObject("https").putArray("certificates").addObject()
                .put("certificate", certificate.toString())
                .put("key", key.toString());
        // JSON is YAML, and the node settings file is read as YAML.
        Path nodeFile = Files.writeString(directory.resolve("node.yaml"), Json.MAPPER.writeValueAsString(settings));
        fileNode = TestNode.start(nodeFile, Map.of());
        storeNode = TestNode.start();
        fileNode.apply(proxyEverything());
        storeNode.apply(proxyEverything());
    }

    private static ObjectNode proxyEverything() {
        Configs config = Configs.document();
        config.service("backend", upstream.port());
        config.route("all", "backend", "/");
        return config.build();
    }

    @AfterAll
    static void stop() throws Exception {
        storeNode.close();
        fileNode.close();
        upstream.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void fileCertificateServesProxiedRequests() throws Exception {
        Exchange exchange = https(fileNode, "files.test", fileCertificate, HttpVersion.HTTP_1_1, "/echo/files");

        assertThat(exchange.status()).isEqualTo(200);
        assertThat(exchange.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=files.test");
        JsonNode echo = Json.MAPPER.readTree(exchange.body());
        assertThat(echo.path("uri").asText()).isEqualTo("/echo/files");
        assertThat(echo.path("headers").path("x-forwarded-proto").get(0).asText()).isEqualTo("https");
    }

    @Test
    void rewrittenCertificateFilesAreServedWithoutRestart() throws Exception {
        Path certificate = Files.writeString(directory.resolve("reload.crt"), fileCertificate.certificatePem());
        Path key = Files.writeString(directory.resolve("reload.key"), fileCertificate.privateKeyPem());
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        ObjectNode https = settings.putObject("https").put("reloadInterval", "100ms");
        https.putArray("certificates").addObject()
                .put("certificate", certificate.toString())
                .put("key", key.toString());
        Path nodeFile = Files.writeString(directory.resolve("reload.yaml"), Json.MAPPER.writeValueAsString(settings));
        try (TestNode node = TestNode.start(nodeFile, Map.of())) {
            node.apply(proxyEverything());
            TestCertificates.Issued renewed = TestCertificates.selfSignedServer("files.test");

            Files.writeString(key, renewed.privateKeyPem());
            Files.writeString(certificate, renewed.certificatePem());

            Exchange exchange = awaitServed(node, "files.test", renewed, "/echo/renewed");

            assertThat(exchange.status()).isEqualTo(200);
            assertThat(exchange.certificate().getSerialNumber())
                    .isNotEqualTo(Pem.certificates(fileCertificate.certificatePem()).get(0).getSerialNumber());
        }
    }

    @Test
    void storeCertificateStartsListenerAndSniSelectsIt() throws Exception {
        assertThat(storeNode.portico().httpsPort()).as("HTTPS port before any certificate").isEqualTo(-1);
        TestCertificates.Issued alpha = TestCertificates.selfSignedServer("alpha.test");
        TestCertificates.Issued beta = TestCertificates.selfSignedServer("beta.test");

        storeNode.admin("POST", "/admin/v1/certificates", certificate("alpha", alpha), 201);
        assertThat(storeNode.portico().httpsPort()).as("HTTPS port once the admin API responded").isPositive();
        storeNode.admin("POST", "/admin/v1/certificates", certificate("beta", beta), 201);
        // The admin API responds once the listener is bound and presents the new certificates.
        Exchange toBeta = https(storeNode, "beta.test", beta, HttpVersion.HTTP_1_1, "/echo/beta");
        Exchange toAlpha = https(storeNode, "alpha.test", alpha, HttpVersion.HTTP_1_1, "/echo/alpha");

        assertThat(storeNode.portico().httpsPort()).as("HTTPS port").isPositive();
        assertThat(toBeta.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=beta.test");
        assertThat(toBeta.status()).isEqualTo(200);
        assertThat(toBeta.body()).contains("\"uri\":\"/echo/beta\"");
        assertThat(toAlpha.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=alpha.test");
        assertThat(toAlpha.status()).isEqualTo(200);
    }

    @Test
    void addedCertificateIsServedWhenAdminResponds() throws Exception {
        for (int i = 0; i < 10; i++) {
            String serverName = "added-" + i + ".test";
            TestCertificates.Issued added = TestCertificates.selfSignedServer(serverName);

            fileNode.admin("POST", "/admin/v1/certificates", certificate("added-" + i, added), 201);
            Exchange exchange = https(fileNode, serverName, added, HttpVersion.HTTP_1_1, "/echo/added");

            assertThat(exchange.certificate().getSubjectX500Principal().getName()).isEqualTo("CN=" + serverName);
            assertThat(exchange.status()).isEqualTo(200);
        }
    }

    @Test
    void alpnNegotiatesHttp2() throws Exception {
        Exchange exchange = https(fileNode, "files.test", fileCertificate, HttpVersion.HTTP_2, "/echo/h2?q=1");

        assertThat(exchange.version()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(exchange.status()).isEqualTo(200);
        JsonNode echo = Json.MAPPER.readTree(exchange.body());
        assertThat(echo.path("uri").asText()).isEqualTo("/echo/h2?q=1");
        assertThat(echo.path("upstream").asText()).isEqualTo("behind-tls");
    }

    @Test
    void adminApiNeverReturnsPrivateKey() throws Exception {
        TestCertificates.Issued secret = TestCertificates.selfSignedServer("secret.test");
        String hint = "secret:sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(secret.privateKeyPem().getBytes(StandardCharsets.UTF_8))).substring(0, 8);

        JsonNode created = fileNode.admin("POST", "/admin/v1/certificates", certificate("secret", secret), 201);
        JsonNode read = fileNode.admin("GET", "/admin/v1/certificates/secret", null, 200);
        JsonNode listed = fileNode.admin("GET", "/admin/v1/certificates", null, 200);
        HttpResponse<String> exported = fileNode.adminRaw("GET", "/admin/v1/config?format=yaml", null);

        assertThat(created.path("key").asText()).isEqualTo(hint);
        assertThat(read.path("key").asText()).isEqualTo(hint);
        assertThat(read.path("certificate").asText()).isEqualTo(secret.certificatePem());
        assertThat(listed.path("items").get(0).path("key").asText()).isEqualTo(hint);
        assertThat(exported.body()).contains(hint);
        String keyLine = secret.privateKeyPem().lines().skip(1).findFirst().orElseThrow();
        for (String body : new String[] {created.toString(), read.toString(), listed.toString(), exported.body()}) {
            assertThat(body).doesNotContain("PRIVATE KEY").doesNotContain(keyLine);
        }
    }

    private static ObjectNode certificate(String name, TestCertificates.Issued issued) {
        return JsonNodeFactory.instance.objectNode()
                .put("name", name)
                .put("certificate", issued.certificatePem())
                .put("key", issued.privateKeyPem());
    }

    /**
     * Sends {@code GET path} as {@link #https} does, over HTTP/1.1, until the listener of {@code node} is bound and
     * presents {@code expected} for {@code serverName}, and returns the first exchange that succeeds. Fails the test
     * with the last failure after {@link #SERVE_WAIT}.
     */
    private static Exchange awaitServed(TestNode node, String serverName, TestCertificates.Issued expected,
                                        String path) throws InterruptedException {
        long deadline = System.nanoTime() + SERVE_WAIT.toNanos();
        Exception last = null;
        while (System.nanoTime() - deadline < 0) {
            if (node.portico().httpsPort() > 0) {
                try {
                    return https(node, serverName, expected, HttpVersion.HTTP_1_1, path);
                } catch (Exception notServedYet) {
                    last = notServedYet;
                }
            }
            Thread.sleep(50);
        }
        throw new AssertionError("timed out after " + SERVE_WAIT + " waiting until the HTTPS listener on port "
                + node.portico().httpsPort() + " presents the certificate for " + serverName, last);
    }

    /** What one HTTPS request through the gateway returned, and the certificate the listener presented. */
    private record Exchange(int status, HttpVersion version, String body, X509Certificate certificate) {
    }

    /**
     * Sends {@code GET path} to the HTTPS listener of {@code node} with {@code serverName} as SNI and verified host
     * name, trusting only {@code trusted}, and offering {@code version} through ALPN.
     */
    private static Exchange https(TestNode node, String serverName, TestCertificates.Issued trusted,
                                  HttpVersion version, String path) throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setSsl(true)
                .setUseAlpn(true)
                .setProtocolVersion(version)
                .setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(trusted.certificatePem()))));
        int port = node.portico().httpsPort();
        RequestOptions options = new RequestOptions()
                .setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                .setHost(serverName)
                .setPort(port)
                .setURI(path);
        try {
            return ContextRequests.send(vertx, REQUEST_TIMEOUT, () -> client.request(options)
                    .compose(request -> request.send().compose(response -> response.body().map(body ->
                            new Exchange(response.statusCode(), response.version(), body.toString(),
                                    peerCertificate(request))))));
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static X509Certificate peerCertificate(HttpClientRequest request) {
        try {
            return (X509Certificate) request.connection().peerCertificates().get(0);
        } catch (SSLPeerUnverifiedException e) {
            throw new IllegalStateException("the HTTPS listener presented no certificate", e);
        }
    }
}

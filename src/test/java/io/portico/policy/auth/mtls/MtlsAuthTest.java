package io.portico.policy.auth.mtls;

import static io.portico.policy.auth.AuthTestNode.object;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.CredentialSecrets;
import io.portico.config.Json;
import io.portico.config.Pem;
import io.portico.policy.auth.AuthTestNode;
import io.portico.testing.Conditions;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestCertificates;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SocketAddress;
import java.net.Socket;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The mtls policy on a real node's HTTPS listener: client certificates from a certificate authority stored with
 * {@code usage: client-ca}, mapped to credentials by subject or fingerprint.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MtlsAuthTest {

    private static final TestCertificates.Issued SERVER = TestCertificates.selfSignedServer("api.test");
    private static final TestCertificates.Issued CLIENT_CA = TestCertificates.authority("Client CA");
    private static final TestCertificates.Issued OTHER_CA = TestCertificates.authority("Other CA");

    private static Vertx vertx;
    private static AuthTestNode auth;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        auth = AuthTestNode.start(Map.of());
        ObjectNode server = auth.config().resource("certificates", "server");
        server.put("certificate", SERVER.certificatePem()).put("key", SERVER.privateKeyPem());
        auth.apply();
    }

    @AfterAll
    static void stop() throws Exception {
        auth.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    /** Adds the client CA and the mtls route; the test that needs the listener without them runs first. */
    private static synchronized void protect() {
        if (auth.node().adminRaw("GET", "/admin/v1/routes/certified", null).statusCode() == 200) {
            return;
        }
        auth.node().admin("POST", "/admin/v1/certificates", object().put("name", "clients")
                .put("usage", "client-ca").put("certificate", CLIENT_CA.certificatePem()), 201);
        ObjectNode route = object().put("name", "certified").put("service", "app");
        route.putArray("paths").add("/certified");
        route.putArray("policies").addObject().put("name", "mtls");
        auth.node().admin("POST", "/admin/v1/routes", route, 201);
    }

    private static int status(TestCertificates.Issued client, String path) throws Exception {
        HttpClientOptions options = new HttpClientOptions().setSsl(true).setUseAlpn(true)
                .setProtocolVersion(HttpVersion.HTTP_2).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(SERVER.certificatePem())));
        if (client != null) {
            options.setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(client.certificatePem()))
                    .addKeyValue(Buffer.buffer(client.privateKeyPem())));
        }
        HttpClientAgent http = vertx.createHttpClient(options);
        int port = boundHttpsPort();
        RequestOptions request = new RequestOptions().setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                .setHost("api.test").setPort(port).setURI(path);
        try {
            return ContextRequests.send(vertx, () -> http.request(request).compose(sent -> sent.send())
                    .map(response -> response.statusCode()));
        } finally {
            http.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static JsonNode credential(ObjectNode body) {
        return auth.createCredential("alice", body.put("type", "mtls"));
    }

    private static String fingerprint(TestCertificates.Issued certificate) throws Exception {
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(CredentialSecrets.sha256(
                Pem.certificates(certificate.certificatePem()).get(0).getEncoded()));
    }

    @Test
    @Order(1)
    void listenerAsksForNoCertificateWithoutMtlsRoutes() throws Exception {
        TestCertificates.Issued stranger = TestCertificates.client(OTHER_CA, "stranger");

        assertThat(status(stranger, "/open/echo")).isEqualTo(200);
    }

    @Test
    void certificateMappedBySubjectIsAccepted() throws Exception {
        protect();
        TestCertificates.Issued client = TestCertificates.client(CLIENT_CA, "orders-service");
        credential(object().put("subject", "cn=orders-service"));

        assertThat(status(client, "/certified/echo")).isEqualTo(200);
    }

    @Test
    void certificateMappedByFingerprintSendsIdentity() throws Exception {
        protect();
        TestCertificates.Issued client = TestCertificates.client(CLIENT_CA, "billing-service");
        JsonNode created = credential(object().put("fingerprint", fingerprint(client)));
        HttpClientOptions options = new HttpClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(SERVER.certificatePem())))
                .setKeyCertOptions(new PemKeyCertOptions().addCertValue(Buffer.buffer(client.certificatePem()))
                        .addKeyValue(Buffer.buffer(client.privateKeyPem())));
        HttpClientAgent http = vertx.createHttpClient(options);
        int port = boundHttpsPort();
        RequestOptions request = new RequestOptions().setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                .setHost("api.test").setPort(port).setURI("/certified/echo").putHeader("X-Consumer-Name", "mallory");

        String body = ContextRequests.send(vertx, () -> http.request(request).compose(sent -> sent.send())
                .compose(response -> response.body())).toString();
        http.close().await(10, TimeUnit.SECONDS);

        JsonNode headers = Json.MAPPER.readTree(body).path("headers");
        assertThat(headers.path("x-consumer-name").get(0).asText()).isEqualTo("alice");
        assertThat(headers.path("x-consumer-name")).hasSize(1);
        assertThat(headers.path("x-credential-name").get(0).asText()).isEqualTo(created.path("name").asText());
        assertThat(headers.path("x-authenticated-method").get(0).asText()).isEqualTo("mtls");
    }

    @Test
    void missingCertificateIsRejected() throws Exception {
        protect();

        assertThat(status(null, "/certified/echo")).isEqualTo(401);
        assertThat(status(null, "/open/echo")).isEqualTo(200);
    }

    @Test
    void trustedCertificateWithoutCredentialIsRejected() throws Exception {
        protect();
        TestCertificates.Issued client = TestCertificates.client(CLIENT_CA, "unmapped-service");

        assertThat(status(client, "/certified/echo")).isEqualTo(401);
    }

    @Test
    void untrustedChainFailsTheHandshake() throws Exception {
        protect();
        TestCertificates.Issued stranger = TestCertificates.client(OTHER_CA, "orders-service");
        credential(object().put("fingerprint", fingerprint(stranger)));
        HttpClientOptions options = new HttpClientOptions().setSsl(true).setVerifyHost(true)
                .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(SERVER.certificatePem())))
                .setKeyCertOptions(KeyCertOptions.wrap(new PresentingKeyManager(stranger)));
        HttpClientAgent http = vertx.createHttpClient(options);
        int port = boundHttpsPort();
        RequestOptions request = new RequestOptions().setServer(SocketAddress.inetSocketAddress(port, "127.0.0.1"))
                .setHost("api.test").setPort(port).setURI("/certified/echo");

        try {
            assertThatThrownBy(() -> ContextRequests.send(vertx, () -> http.request(request)
                    .compose(sent -> sent.send()))).isNotNull();
        } finally {
            http.close().await(10, TimeUnit.SECONDS);
        }
    }

    /**
     * A client key manager that presents its certificate whatever authorities the server names, as a client
     * trying an untrusted certificate would; the JDK's own key manager would send no certificate at all.
     */
    private static final class PresentingKeyManager extends X509ExtendedKeyManager {
        private static final String ALIAS = "client";
        private final X509Certificate[] chain;
        private final PrivateKey key;

        PresentingKeyManager(TestCertificates.Issued certificate) {
            this.chain = Pem.certificates(certificate.certificatePem()).toArray(X509Certificate[]::new);
            this.key = certificate.keyPair().getPrivate();
        }

        @Override
        public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
            return ALIAS;
        }

        @Override
        public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
            return ALIAS;
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return new String[] {ALIAS};
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return null;
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return chain.clone();
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return key;
        }
    }

    @Test
    void disabledCredentialIsRejected() throws Exception {
        protect();
        TestCertificates.Issued client = TestCertificates.client(CLIENT_CA, "disabled-service");
        JsonNode created = credential(object().put("subject", "CN=disabled-service"));
        int before = status(client, "/certified/echo");

        auth.patch("credentials", created.path("name").asText(), object().put("disabled", true));

        assertThat(before).isEqualTo(200);
        assertThat(status(client, "/certified/echo")).isEqualTo(401);
    }

    /** Returns the HTTPS port once the listener has bound; it starts after the configuration brings certificates. */
    private static int boundHttpsPort() {
        Conditions.eventually("the HTTPS listener is bound", () -> auth.node().portico().httpsPort() > 0);
        return auth.node().portico().httpsPort();
    }
}

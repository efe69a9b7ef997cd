package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request head checks on the HTTPS listener, where Vert.x builds the HTTP/1.1 pipeline after the handshake. */
class HttpsRequestHeadTest {

    @TempDir
    static Path directory;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        upstream = TestUpstream.start("https-heads");
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("heads.test");
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        settings.putObject("https").putArray("certificates").addObject()
                .put("certificate", Files.writeString(directory.resolve("heads.crt"), certificate.certificatePem())
                        .toString())
                .put("key", Files.writeString(directory.resolve("heads.key"), certificate.privateKeyPem()).toString());
        Path nodeFile = Files.writeString(directory.resolve("node.yaml"), Json.MAPPER.writeValueAsString(settings));
        node = TestNode.start(nodeFile, Map.of());
        Configs config = Configs.document();
        config.service("echo", upstream.port());
        config.route("all", "echo", "/");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void firstRequestWithObsFoldIsRejected() throws Exception {
        String response = exchange("GET /echo HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400").contains("https://portico.dev/problems/bad-request");
    }

    @Test
    void contentLengthWithTransferEncodingIsRejected() throws Exception {
        String response = exchange("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 400").contains("both Content-Length and Transfer-Encoding");
    }

    @Test
    void validRequestIsProxied() throws Exception {
        String response = exchange("GET /echo/tls HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");

        assertThat(response).startsWith("HTTP/1.1 200").contains("\"uri\":\"/echo/tls\"");
    }

    private static String exchange(String request) throws Exception {
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, new TrustManager[] {new TrustAll()}, null);
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1",
                node.portico().httpsPort())) {
            socket.setSoTimeout(2_000);
            socket.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int read; (read = in.read(buffer)) > 0; ) {
                    received.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException | javax.net.ssl.SSLException e) {
                // The response arrived before the server closed or paused.
            } catch (IOException e) {
                // A reset after the response; what arrived is the response.
            }
            return received.toString(StandardCharsets.ISO_8859_1);
        }
    }

    /** Trusts the test's self-signed certificate; only ever used against a node on 127.0.0.1. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}

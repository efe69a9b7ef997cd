package io.portico.gateway;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Request bodies that arrive slowly, through a real node whose service has a read timeout of 400 ms and passive
 * health checks. The read timeout measures the upstream, so a client that uploads slowly or stops gets neither a
 * 504 nor a failure counted against the target.
 */
class SlowRequestBodyTest {

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("app");
        node = TestNode.start(Map.of("limits.bodyTimeout", "1500ms"));
        Configs config = Configs.document();
        ObjectNode service = config.service("app", upstream.port());
        service.putObject("timeouts").put("read", "400ms");
        service.putObject("retries").put("attempts", 1);
        service.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 2).put("recovery", "60s");
        config.route("app", "app", "/app").put("stripPrefix", true);
        // An HTTP/2 service, to which a small body is read whole before the request is sent.
        ObjectNode http2 = config.service("app2", upstream.port());
        http2.putObject("pool").put("http2", true);
        http2.putObject("timeouts").put("read", "400ms");
        http2.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 2).put("recovery", "60s");
        config.route("app2", "app2", "/app2").put("stripPrefix", true);
        // The same upstream without health checks, so a timeout here leaves the target of "app" alone.
        config.service("held", upstream.port()).putObject("timeouts").put("read", "400ms");
        config.route("held", "held", "/held").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "app2"})
    void stalledBodyGets408AndSparesTarget(String service) throws IOException {
        for (int i = 0; i < 3; i++) {
            try (Socket socket = connect()) {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /" + service + "/echo HTTP/1.1\r\nHost: app\r\nContent-Length: 100\r\n\r\nabc")
                        .getBytes(US_ASCII));
                out.flush();

                String response = readAll(socket.getInputStream());

                assertThat(response).startsWith("HTTP/1.1 408");
                assertThat(response).contains("request-timeout");
            }
        }

        JsonNode target = node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200).at("/targets/0");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"app", "app2"})
    void slowUploadOutlastsReadTimeout(String service) throws Exception {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /" + service + "/echo HTTP/1.1\r\nHost: app\r\nContent-Length: 120\r\n"
                    + "Connection: close\r\n\r\n").getBytes(US_ASCII));
            out.flush();
            // 1.2 s of upload, three times the read timeout, with no pause as long as the body timeout.
            for (int i = 0; i < 12; i++) {
                Thread.sleep(100);
                out.write("0123456789".getBytes(US_ASCII));
                out.flush();
            }

            String response = readAll(socket.getInputStream());

            assertThat(response).startsWith("HTTP/1.1 200");
            assertThat(response).contains("\"bodyLength\":120");
        }
    }

    @Test
    void silentUpstreamAfterBodyTimesOut() throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            out.write("POST /held/hold HTTP/1.1\r\nHost: app\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
                    .getBytes(US_ASCII));
            out.flush();

            String response = readAll(socket.getInputStream());

            assertThat(response).startsWith("HTTP/1.1 504");
            assertThat(response).contains("upstream-timeout");
        } finally {
            upstream.releaseHeld();
        }
    }

    @Test
    void unreadBodyAfterEarlyResponseClosesConnection() throws IOException {
        try (Socket socket = connect()) {
            OutputStream out = socket.getOutputStream();
            // No route matches, so the 404 comes before the body, and the client then sends 3 of its 100 bytes.
            out.write("POST /nowhere HTTP/1.1\r\nHost: app\r\nContent-Length: 100\r\n\r\nabc"
                    .getBytes(US_ASCII));
            out.flush();
            long start = System.nanoTime();

            String response = readAll(socket.getInputStream());

            long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(response).startsWith("HTTP/1.1 404");
            assertThat(elapsedMillis).as("closed after the body timeout").isLessThan(8_000L);
        }
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", node.portico().httpPort());
        socket.setSoTimeout(10_000);
        return socket;
    }

    /** Reads until the node closes the connection, which it does after a 408 and after {@code Connection: close}. */
    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[4096];
        int n;
        while ((n = in.read(buffer)) > 0) {
            bytes.write(buffer, 0, n);
        }
        return bytes.toString(US_ASCII);
    }
}

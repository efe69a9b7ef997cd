package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.HttpsNode;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.nio.file.Path;
import java.util.Map;
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
        node = HttpsNode.start(directory, "heads.test", Map.of());
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

    /** Sends {@code request} over TLS and returns the first response, head and body, as text. */
    private static String exchange(String request) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpsPort(), true, 0, 1, 0, request);
        assertThat(exchange.responses()).hasSize(1);
        RawHttp.Response response = exchange.responses().get(0);
        return response.head() + "\r\n\r\n" + response.body();
    }
}

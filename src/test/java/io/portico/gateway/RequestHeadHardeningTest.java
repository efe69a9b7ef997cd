package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Malformed, ambiguous and oversized HTTP/1.x request heads, written byte for byte over raw sockets. */
class RequestHeadHardeningTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";

    private static TestUpstream upstream;
    private static TestNode node;
    private static TestNode limited;

    @BeforeAll
    static void start() {
        // The upstream accepts longer heads than the gateway, so every limit seen in these tests is the gateway's.
        upstream = TestUpstream.start("hardening", new HttpServerOptions().setMaxInitialLineLength(65_536)
                .setMaxHeaderSize(65_536));
        node = TestNode.start();
        limited = TestNode.start(Map.of("limits.maxUriLength", "1024", "limits.maxHeaderSize", "2048",
                "limits.headerTimeout", "500ms", "limits.bodyTimeout", "500ms"));
        Configs config = Configs.document();
        config.service("echo", upstream.port());
        config.route("all", "echo", "/");
        node.apply(config.build());
        limited.apply(config.build());
    }

    @AfterAll
    static void stop() {
        limited.close();
        node.close();
        upstream.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\nGET /smuggled HTTP/1.1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
        "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 3\r\n\r\nabc",
        "GET /echo HTTP/1.1\r\nHost: a\r\nX-Name : value\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a\r\nX-Folded: first\r\n second\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a\r\nX-Folded: first\r\n\tsecond\r\n\r\n",
        "GET /echo HTTP/1.1\r\n Host: a\r\n\r\n",
        "GET /echo HTTP/1.1\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
        "GET /echo HTTP/1.0\r\nHost: a.example\r\nHost: b.example\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a b\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a/b\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: user@a\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a:99999\r\n\r\n",
        "GET http://b.example/echo HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET http://user@a.example/echo HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET ftp://a.example/echo HTTP/1.1\r\nHost: a.example\r\n\r\n",
        "GET /echo?a=\u0001 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /echo#top HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /echo\r\nHost: a\r\n\r\n",
        "GET /echo http/1.1\r\nHost: a\r\n\r\n",
        "GET /echo Http/1.1\r\nHost: a\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a\r\nX-Nul: a\u0000b\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a\r\nX-Cr: a\rb\r\n\r\n",
        "GET /echo HTTP/1.1\nHost: a\n\n",
        "GET /echo HTTP/1.1\r\nHost: a\nX-Lf: b\r\n\r\n",
        "GET /echo HTTP/1.1\r\nHost: a\r\n\n",
    })
    void ambiguousHeadIsRejectedAndClosed(String request) throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000, request);

        assertProblem(received, 400, "bad-request");
        assertThat(received.text()).containsIgnoringCase("\r\nconnection: close\r\n");
        assertThat(received.closed()).isTrue();
        assertThat(received.text()).doesNotContain("smuggled").doesNotContain("HTTP/1.1 200");
    }

    @Test
    void rejectedHeadIsAccessLogged() throws Exception {
        // The access log is switched on when a node starts and its logger writes INFO, which tests turn off.
        Logger accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
        Level level = accessLogger.getLevel();
        accessLogger.setLevel(Level.INFO);
        try (TestNode logging = TestNode.start(); LogCapture access = new LogCapture("portico.access")) {
            RawHttp.send(logging.portico().httpPort(), 0, 5_000,
                    "GET /echo HTTP/1.1\r\nHost: a\r\nX-Folded: a\r\n b\r\n\r\n");

            Conditions.eventually("the rejection is logged", () -> access.messages(Level.INFO).stream()
                    .anyMatch(line -> line.contains("status=400")));
        } finally {
            accessLogger.setLevel(level);
        }
    }

    @Test
    void unsupportedVersionIsRejected() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000,
                "GET /echo HTTP/9.9\r\nHost: a\r\n\r\n");

        assertProblem(received, 505, "version-not-supported");
        assertThat(received.closed()).isTrue();
    }

    @Test
    void rejectionStatusLineIsHttp11() throws Exception {
        int port = node.portico().httpPort();
        String[][] cases = {
            {"GET /echo/" + "a".repeat(9_000) + " HTTP/1.1\r\nHost: a\r\n\r\n", "414"},
            {"GET /echo/" + "a".repeat(9_000) + " HTTP/1.0\r\n\r\n", "414"},
            {"GET /echo HTTP/1.1\nHost: a\n\n", "400"},
            {"GET /echo HTTP/1.0\r\nX-Big: " + "b".repeat(16_400) + "\r\n\r\n", "431"},
            {"GET /echo HTTP/1.0\r\nX-Lf: b\n\r\n", "400"},
            {"GET /echo HTTP/9.9\r\nHost: a\r\n\r\n", "505"},
        };

        for (String[] request : cases) {
            RawHttp.Received received = RawHttp.send(port, 0, 5_000, request[0]);

            assertThat(received.text()).as("status line for %.40s", request[0])
                    .startsWith("HTTP/1.1 " + request[1] + " ");
            assertThat(received.text()).as("Connection header for %.40s", request[0])
                    .containsIgnoringCase("\r\nconnection: close\r\n");
            assertThat(received.text()).as("Content-Type for %.40s", request[0])
                    .containsIgnoringCase("\r\ncontent-type: application/problem+json\r\n");
            assertThat(received.closed()).as("connection closed after %.40s", request[0]).isTrue();
        }
    }

    @Test
    void smuggledRequestIsNeverForwarded() throws Exception {
        int before = upstream.requests("/smuggled");

        RawHttp.send(node.portico().httpPort(), 0, 5_000, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 45\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(upstream.requests("/smuggled")).isEqualTo(before);
    }

    @Test
    void absoluteFormMatchingHostIsRoutedByPath() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET http://a.example/echo/abs?q=1 HTTP/1.1\r\nHost: A.example\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        JsonNode echo = Json.MAPPER.readTree(received.body());
        assertThat(echo.get("uri").asText()).isEqualTo("/echo/abs?q=1");
        assertThat(echo.at("/headers/x-forwarded-host/0").asText()).isEqualTo("A.example");
    }

    @Test
    void chunkedBodyAndPipeliningStillWork() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 3, 0,
                "POST /echo/one HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
                + "POST /echo/two HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nxy"
                + "GET /echo/three HTTP/1.0\r\n\r\n");

        assertThat(exchange.responses()).extracting(RawHttp.Response::status).containsExactly(200, 200, 200);
        assertThat(exchange.responses().get(0).body()).contains("\"uri\":\"/echo/one\"").contains("\"bodyLength\":3");
        assertThat(exchange.responses().get(1).body()).contains("\"uri\":\"/echo/two\"").contains("\"bodyLength\":2");
        assertThat(exchange.responses().get(2).body()).contains("\"uri\":\"/echo/three\"");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "/echo/a%2Fb", "/echo/a%2fb", "/echo/a%5Cb", "/echo/a\\b", "/echo/..;/admin", "/echo/.;/a",
        "/echo/a%00b", "/echo/a%0D%0AX-Injected:%20yes", "/echo/a%7F", "/echo/a%zz", "/echo/a%4", "/echo/%c0%ae",
    })
    void invalidPathIsRejected(String path) throws Exception {
        int before = upstream.requests();

        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");

        assertProblem(received, 400, "bad-request");
        assertThat(received.body()).contains("the request path is invalid");
        assertThat(upstream.requests()).isEqualTo(before);
    }

    @Test
    void upstreamSeesNormalisedPath() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET //echo/%61dmin/./x/../y%2a/%7e?q=%2F HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        JsonNode echo = Json.MAPPER.readTree(received.body());
        assertThat(echo.get("uri").asText()).isEqualTo("/echo/admin/y%2A/~?q=%2F");
    }

    @Test
    void defaultLimitsAnswer414And431() throws Exception {
        int port = node.portico().httpPort();

        RawHttp.Received fits = RawHttp.first(port,
                "GET /echo/" + "a".repeat(8_000) + " HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(15_000) + "\r\n\r\n");
        RawHttp.Received longUri = RawHttp.send(port, 0, 5_000,
                "GET /echo/" + "a".repeat(8_200) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        RawHttp.Received largeHeaders = RawHttp.send(port, 0, 5_000,
                "GET /echo HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(16_400) + "\r\n\r\n");

        assertThat(fits.text()).startsWith("HTTP/1.1 200");
        assertProblem(longUri, 414, "uri-too-long");
        assertThat(longUri.closed()).isTrue();
        assertProblem(largeHeaders, 431, "headers-too-large");
        assertThat(largeHeaders.closed()).isTrue();
    }

    @Test
    void configuredLimitsAnswer414And431() throws Exception {
        int port = limited.portico().httpPort();

        RawHttp.Received longUri = RawHttp.send(port, 0, 5_000,
                "GET /echo/" + "a".repeat(1_100) + " HTTP/1.1\r\nHost: a\r\n\r\n");
        RawHttp.Received largeHeaders = RawHttp.send(port, 0, 5_000,
                "GET /echo HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(2_100) + "\r\n\r\n");

        assertProblem(longUri, 414, "uri-too-long");
        assertProblem(largeHeaders, 431, "headers-too-large");
    }

    @Test
    void incompleteHeadTimesOutWith408() throws Exception {
        long start = System.nanoTime();

        RawHttp.Received received = RawHttp.send(limited.portico().httpPort(), 0, 5_000,
                "GET /echo HTTP/1.1\r\nHost: a\r\n");

        long millis = (System.nanoTime() - start) / 1_000_000;
        assertProblem(received, 408, "request-timeout");
        assertThat(received.closed()).isTrue();
        assertThat(millis).isBetween(400L, 4_000L);
    }

    @Test
    void slowlyDrippedHeadTimesOut() throws Exception {
        // Each pause is shorter than the timeout, so only a deadline for the whole head catches this client.
        String[] drip = "GET /echo HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nX-C: 3\r\n".split("(?<=\n)");

        RawHttp.Received received = RawHttp.send(limited.portico().httpPort(), 200, 5_000, drip);

        assertProblem(received, 408, "request-timeout");
    }

    @Test
    void stalledBodyTimesOutWith408() throws Exception {
        int before = upstream.requests();

        RawHttp.Exchange exchange = RawHttp.exchange(limited.portico().httpPort(), false, 0, 1, 5_000,
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(408);
        assertThat(exchange.responses().get(0).body()).contains(PROBLEMS + "request-timeout");
        assertThat(exchange.closed()).isTrue();
        assertThat(upstream.requests()).isLessThanOrEqualTo(before + 1);
    }

    @Test
    void stalledChunkedBodyTimesOutWith408() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(limited.portico().httpPort(), false, 0, 1, 5_000,
                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(408);
        assertThat(exchange.closed()).isTrue();
    }

    @Test
    void slowButSteadyBodyIsAccepted() throws Exception {
        // Each pause is shorter than the body timeout, which limits silence, not the duration of the whole body.
        RawHttp.Exchange exchange = RawHttp.exchange(limited.portico().httpPort(), false, 300, 1, 0,
                "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\na", "b", "c", "d");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        assertThat(exchange.responses().get(0).body()).contains("\"bodyLength\":4");
    }

    @Test
    void silentConnectionIsClosed() throws Exception {
        RawHttp.Received received = RawHttp.send(limited.portico().httpPort(), 0, 5_000, "");

        assertThat(received.text()).isEmpty();
        assertThat(received.closed()).isTrue();
    }

    @Test
    void http2PriorKnowledgeStillWorks() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 1_000,
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

        // The server's SETTINGS frame: a 9-byte frame header with type 0x4 on stream 0.
        assertThat(received.text().length()).isGreaterThanOrEqualTo(9);
        assertThat(received.text().charAt(3)).isEqualTo((char) 0x4);
    }

    @Test
    void idleKeepAliveConnectionIsNotTimedOut() throws Exception {
        // The pause is twice the head timeout, so a deadline left running between the two requests would fire.
        RawHttp.Exchange exchange = RawHttp.exchange(limited.portico().httpPort(), false, 1_000, 2, 0,
                "GET /echo/first HTTP/1.1\r\nHost: a\r\n\r\n", "GET /echo/second HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(2);
        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        assertThat(exchange.responses().get(0).body()).contains("\"uri\":\"/echo/first\"");
        assertThat(exchange.responses().get(1).status()).isEqualTo(200);
        assertThat(exchange.responses().get(1).body()).contains("\"uri\":\"/echo/second\"");
        assertThat(exchange.closed()).isFalse();
    }

    @Test
    void secondHeadOnConnectionIsTimed() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(limited.portico().httpPort(), false, 100, 2, 5_000,
                "GET /echo/first HTTP/1.1\r\nHost: a\r\n\r\n", "GET /echo/second HTTP/1.1\r\n");

        assertThat(exchange.responses()).hasSize(2);
        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        assertThat(exchange.responses().get(0).body()).contains("\"uri\":\"/echo/first\"");
        assertThat(exchange.responses().get(1).status()).isEqualTo(408);
        assertThat(exchange.responses().get(1).body()).contains(PROBLEMS + "request-timeout");
        assertThat(exchange.closed()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "Host: a\r\nX-Forwarded-For: 1.2.3.4\r\n X-Injected: folded\r\n",
        "Host: a\r\nForwarded: for=1.2.3.4\rX-Injected: cr\r\n",
        "Host: a\r\nX-Request-Id: abc\u0000X-Injected: nul\r\n",
        "Host: a\rX-Injected: host\r\n",
        "Host: a%0d%0aX-Injected:%20encoded\r\n",
    })
    void requestDataCannotInjectHeaders(String headers) throws Exception {
        int before = upstream.requests();

        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 2_000,
                "GET /echo HTTP/1.1\r\n" + headers + "\r\n");

        assertProblem(received, 400, "bad-request");
        assertThat(received.text().toLowerCase(java.util.Locale.ROOT)).doesNotContain("x-injected");
        assertThat(upstream.requests()).isEqualTo(before);
    }

    @Test
    void invalidRequestIdIsReplaced() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET /echo HTTP/1.1\r\nHost: a\r\nX-Request-Id: a%0d%0aX-Injected:%20yes\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        JsonNode echo = Json.MAPPER.readTree(received.body());
        assertThat(echo.at("/headers/x-request-id/0").asText()).matches("[0-9a-f]{32}");
        assertThat(received.text()).doesNotContain("X-Injected");
    }

    private static void assertProblem(RawHttp.Received received, int status, String type) throws IOException {
        assertThat(received.text()).matches("(?s)HTTP/1\\.1 " + status + " .*");
        assertThat(received.text()).containsIgnoringCase("\r\ncontent-type: application/problem+json\r\n");
        JsonNode problem = Json.MAPPER.readTree(received.body());
        assertThat(problem.get("type").asText()).isEqualTo(PROBLEMS + type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("instance").asText()).startsWith("urn:request:");
    }
}

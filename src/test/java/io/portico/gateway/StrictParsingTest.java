package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;

/**
 * Request lines, header lines and chunked bodies that Netty's HTTP/1.x decoder accepts, or fails on only after the
 * head went on, written byte for byte over raw sockets. Each must get a 400 problem and log nothing at WARN or
 * above. Those rejected before the request is dispatched must not reach the upstream. Strings are sent as
 * ISO-8859-1, so {@code \u00c3\u00a9} is the two bytes 0xC3 0xA9.
 */
class StrictParsingTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    private static final String MALFORMED_CHUNKED_BODY = "the chunked request body is malformed: each chunk size and "
            + "chunk must end with CRLF, and a chunk size must be a hexadecimal number below 2^31";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("parsing");
        node = TestNode.start();
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

    @ParameterizedTest
    @ValueSource(strings = {": a", ":a", ":", ":: a", ": "})
    void emptyHeaderNameIsRejected(String line) throws Exception {
        assertRejected("GET /echo HTTP/1.1\r\nHost: a\r\n" + line + "\r\n\r\n",
                "a header line has an empty field name");
    }

    @Test
    void emptyHeaderNameBeforeHostIsRejected() throws Exception {
        assertRejected("GET /echo HTTP/1.1\r\n: a\r\nHost: a\r\n\r\n", "a header line has an empty field name");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/echo/\u00c3\u00a9", "/echo/\u00ff", "/echo?q=\u00e9", "http://a/echo/\u0080"})
    void nonAsciiTargetIsRejected(String target) throws Exception {
        assertRejected("GET " + target + " HTTP/1.1\r\nHost: a\r\n\r\n",
                "the request line contains a byte outside US-ASCII; percent-encode it in the target");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "GET\t/echo HTTP/1.1", "GET /echo\tHTTP/1.1", "GET  /echo HTTP/1.1", "GET /echo  HTTP/1.1",
        " GET /echo HTTP/1.1", "\tGET /echo HTTP/1.1", "GET /echo HTTP/1.1 ", "GET /echo HTTP/1.1\t",
        "GET /echo HTTP/1.1 x", "GET /echo ",
    })
    void irregularRequestLineWhitespaceIsRejected(String line) throws Exception {
        assertRejected(line + "\r\nHost: a\r\n\r\n",
                "the request line must consist of method, target and version separated by single spaces");
    }

    @ParameterizedTest
    @ValueSource(strings = {"GET /echo\u000bHTTP/1.1", "GET /echo\u000cHTTP/1.1", "GET /e\rcho HTTP/1.1",
        "GET /echo\u007f HTTP/1.1", "G\u0000ET /echo HTTP/1.1"})
    void controlCharacterInRequestLineIsRejected(String line) throws Exception {
        assertRejected(line + "\r\nHost: a\r\n\r\n", "the request line contains a control character");
    }

    @Test
    void percentEncodedTargetAndLeadingEmptyLinePass() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "\r\nGET /echo/%C3%A9?q=%FF HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        JsonNode echo = Json.MAPPER.readTree(received.body());
        assertThat(echo.get("uri").asText()).isEqualTo("/echo/%C3%A9?q=%FF");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1\nA\n0\n\n", "1\r\nA\n0\r\n\r\n", "1\nA\r\n0\r\n\r\n",
        "FFFFFFFFFFFFFFFFF1\r\nA\r\n0\r\n\r\n", "80000000\r\nA\r\n0\r\n\r\n",
        "1\r\nAB\r\n0\r\n\r\n", "1\r\nA0\r\n\r\n", "G\r\nA\r\n0\r\n\r\n"})
    void malformedChunkedBodyIsRejected(String body) throws Exception {
        assertRejected("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
                MALFORMED_CHUNKED_BODY);
    }

    @ParameterizedTest
    @ValueSource(strings = {"100000000\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        "100000003\r\nabc\r\n0\r\n\r\n", "1000000003\r\nabc\r\n0\r\n\r\n",
        "10000000000000000000003\r\nabc\r\n0\r\n\r\n", "000000100000003;ext=1\r\nabc\r\n0\r\n\r\n",
        "FFFFFFFF\r\nabc\r\n0\r\n\r\n", "3\r\nabc\r\n100000000\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n"})
    void chunkSizeOf2To31OrMoreIsRejected(String body) throws Exception {
        assertRejected("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n" + body,
                MALFORMED_CHUNKED_BODY);
    }

    @Test
    void chunkSizesWithLeadingZerosPass() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "0000000000000003\r\nabc\r\n000000000000000002;x=y\r\nde\r\n00000000000000000\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        JsonNode echo = Json.MAPPER.readTree(received.body());
        assertThat(echo.get("bodyLength").asInt()).isEqualTo(5);
    }

    @ParameterizedTest
    @ValueSource(strings = {"1\nA\n0\n\n", "100000000\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n",
        "100000003\r\nabc\r\n0\r\n\r\n"})
    void malformedChunkAfterDispatchGets400(String rest) throws Exception {
        int before = upstream.requests();
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME);
             Socket socket = new Socket("127.0.0.1", node.portico().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(ascii("POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n"));
            out.flush();
            // The proxy streams the body, so the head reaches the upstream before the malformed chunk is sent.
            Conditions.eventually("the upstream received the request head", () -> upstream.requests() > before);
            out.write(ascii(rest));
            out.flush();
            String received = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);

            assertBadRequest(received, MALFORMED_CHUNKED_BODY);
            assertThat(received).doesNotContain("HTTP/1.1 200");
            assertThat(upstream.requests()).isEqualTo(before + 1);
            assertThat(log.messages(Level.WARN)).isEmpty();
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    private static void assertRejected(String request, String detail) throws IOException {
        int before = upstream.requests();
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000, request);

            assertBadRequest(received.text(), detail);
            assertThat(received.closed()).isTrue();
            assertThat(upstream.requests()).isEqualTo(before);
            assertThat(log.messages(Level.WARN)).isEmpty();
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    private static void assertBadRequest(String text, String detail) throws IOException {
        assertThat(text).startsWith("HTTP/1.1 400 ");
        assertThat(text).containsIgnoringCase("\r\ncontent-type: application/problem+json\r\n");
        assertThat(text).containsIgnoringCase("\r\nconnection: close\r\n");
        JsonNode problem = Json.MAPPER.readTree(text.substring(text.indexOf("\r\n\r\n") + 4));
        assertThat(problem.get("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem.get("status").asInt()).isEqualTo(400);
        assertThat(problem.get("detail").asText()).isEqualTo(detail);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }
}

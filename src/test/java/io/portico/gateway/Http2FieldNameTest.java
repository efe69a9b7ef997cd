package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.Logger;

/**
 * HTTP/2 header field names that are not tokens, such as {@code x-a:b}, in both directions through a real node:
 * a request with one, or with a field value that contains NUL, CR or LF, gets 400 {@code bad-request} and reaches
 * no upstream, and a response with one from an HTTP/2
 * upstream gets 502 {@code upstream-unavailable}. RFC 9113 section 8.2.1 makes both malformed. Neither writes a log
 * line above DEBUG.
 */
class Http2FieldNameTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";

    private static RecordingUpstream upstream;
    private static Http2RawUpstream invalidUpstream;
    private static Http2RawUpstream validUpstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        invalidUpstream = Http2RawUpstream.start(responseHead("x-a:b", "1"));
        validUpstream = Http2RawUpstream.start(responseHead("x-fine", "1"));
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.service("h2-invalid", invalidUpstream.port()).putObject("pool").put("http2", true);
        config.service("h2-valid", validUpstream.port()).putObject("pool").put("http2", true);
        config.route("all", "up", "/");
        config.route("invalid-response", "h2-invalid", "/invalid-response");
        config.route("valid-response", "h2-valid", "/valid-response");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        validUpstream.close();
        invalidUpstream.close();
        upstream.close();
    }

    @BeforeEach
    void forget() {
        upstream.clear();
    }

    private static Http2Headers responseHead(String name, String value) {
        Http2Headers head = new DefaultHttp2Headers(false);
        head.status("200").add("content-type", "text/plain").add(name, value);
        return head;
    }

    @ParameterizedTest
    @ValueSource(strings = {"x-a:b", "x a", "x@a", "x\"a", "x(a)", "x/a", "x\u00e9a", "x\u0001a"})
    void requestNameThatIsNoTokenIs400(String name) throws Exception {
        Http2Headers headers = Http2Wire.request("GET", "a", "/q");
        headers.add(name, "v");

        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, 1_000);

            Http2Wire.Stream stream = received.stream(1);
            assertThat(stream.status()).isEqualTo(400);
            assertThat(problem(stream.body()).path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
            assertThat(problem(stream.body()).path("detail").asText()).contains("header field name");
            assertThat(received.goAwayCode()).as("the connection stays open").isEqualTo(-1);
            assertThat(logLines(log)).isEmpty();
        }
        assertThat(upstream.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\rb", "a\nb", "a\u0000b", "a\r\nx-injected: 1"})
    void requestValueWithLineBreakOrNulIs400(String value) throws Exception {
        Http2Headers headers = Http2Wire.request("GET", "a", "/q");
        headers.add("x-value", value);

        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, 1_000);

        Http2Wire.Stream stream = received.stream(1);
        assertThat(stream.status()).isEqualTo(400);
        assertThat(problem(stream.body()).path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem(stream.body()).path("detail").asText()).contains("header field value");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void requestWithTokenNamesIsForwarded() throws Exception {
        Http2Headers headers = Http2Wire.request("GET", "a", "/q");
        headers.add("x-ok!#$%&'*+-.^_`|~", "v");

        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, 1_000);

        assertThat(received.stream(1).status()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        assertThat(upstream.requests().get(0).headers("x-ok!#$%&'*+-.^_`|~")).containsExactly("v");
    }

    @Test
    void responseNameThatIsNoTokenIs502() throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                    "GET /invalid-response HTTP/1.1\r\nHost: a\r\n\r\n");

            assertThat(received.text()).startsWith("HTTP/1.1 502 ");
            JsonNode problem = problem(received.body());
            assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
            assertThat(problem.path("detail").asText()).contains("malformed response");
            assertThat(received.text()).doesNotContain("x-a:b");
            assertThat(logLines(log)).isEmpty();
        }
        assertThat(invalidUpstream.requests()).isPositive();
    }

    @Test
    void h2ResponseNameThatIsNoTokenIs502() throws Exception {
        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(),
                Http2Wire.request("GET", "a", "/invalid-response"), 1_000);

        Http2Wire.Stream stream = received.stream(1);
        assertThat(stream.status()).isEqualTo(502);
        assertThat(stream.headers().contains("x-a:b")).isFalse();
        assertThat(problem(stream.body()).path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
    }

    @Test
    void responseWithTokenNamesIsRelayed() throws Exception {
        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET /valid-response HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(received.text()).containsIgnoringCase("\r\nx-fine: 1\r\n");
        assertThat(received.body()).isEqualTo("ok");
    }

    private static JsonNode problem(String body) throws Exception {
        return Json.MAPPER.readTree(body);
    }

    /** Returns the lines logged at INFO and above; the access log is off in tests. */
    private static List<String> logLines(LogCapture log) {
        List<String> lines = new ArrayList<>(log.messages(Level.INFO));
        lines.addAll(log.messages(Level.WARN));
        lines.addAll(log.messages(Level.ERROR));
        return lines;
    }
}

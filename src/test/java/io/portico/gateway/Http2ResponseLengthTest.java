package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;

/**
 * HTTP/2 upstream responses whose body does not match their {@code content-length}, relayed to HTTP/1.1 clients
 * through a real node. RFC 9113 section 8.1.1 makes such a response malformed. Relayed as it is, a head that declares
 * 100 bytes and no body would make the client read the next response on its connection as this one's body.
 */
class Http2ResponseLengthTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    private static final String SECOND = "GET /no-body HTTP/1.1\r\nHost: a\r\n\r\n";

    private static Http2RawUpstream noBody;
    private static Http2RawUpstream shortBody;
    private static Http2RawUpstream silentBody;
    private static Http2RawUpstream emptyBody;
    private static Http2RawUpstream fullBody;
    private static TestNode node;

    @BeforeAll
    static void start() {
        noBody = Http2RawUpstream.start(head("100"), true);
        shortBody = Http2RawUpstream.start(head("100"), true, "hello", "");
        silentBody = Http2RawUpstream.start(head("5"), false);
        emptyBody = Http2RawUpstream.start(head("0"), true);
        fullBody = Http2RawUpstream.start(head("5"), true, "hel", "lo");
        node = TestNode.start();
        Configs config = Configs.document();
        service(config, "no-body", noBody);
        service(config, "short-body", shortBody);
        service(config, "silent-body", silentBody).putObject("timeouts").put("read", "1s");
        service(config, "empty-body", emptyBody);
        service(config, "full-body", fullBody);
        node.apply(config.build());
    }

    private static ObjectNode service(Configs config, String name, Http2RawUpstream upstream) {
        ObjectNode service = config.service(name, upstream.port());
        service.putObject("pool").put("http2", true);
        config.route(name, name, "/" + name);
        return service;
    }

    @AfterAll
    static void stop() {
        node.close();
        for (Http2RawUpstream upstream : List.of(noBody, shortBody, silentBody, emptyBody, fullBody)) {
            upstream.close();
        }
    }

    private static Http2Headers head(String contentLength) {
        Http2Headers head = new DefaultHttp2Headers(false);
        head.status("200").add("content-type", "text/plain").add("content-length", contentLength);
        return head;
    }

    @Test
    void lengthWithoutBodyIs502() throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 2, 0, SECOND, SECOND);

            assertThat(exchange.responses()).hasSize(2);
            for (RawHttp.Response response : exchange.responses()) {
                assertThat(response.status()).isEqualTo(502);
                JsonNode problem = Json.MAPPER.readTree(response.body());
                assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
                assertThat(problem.path("detail").asText()).contains("malformed response")
                        .contains("Content-Length of 100 bytes");
            }
            assertThat(logLines(log)).isEmpty();
        }
    }

    @Test
    void lengthWithoutBodyToHttp2ClientIs502() throws Exception {
        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(),
                Http2Wire.request("GET", "a", "/no-body"), 1_000);

        assertThat(received.stream(1).status()).isEqualTo(502);
    }

    @Test
    void headResponseWithLengthIsRelayed() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 500,
                "HEAD /no-body HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(received.text()).containsIgnoringCase("\r\ncontent-length: 100\r\n");
        assertThat(received.body()).isEmpty();
        assertThat(received.closed()).isFalse();
    }

    @Test
    void zeroLengthWithoutBodyIsRelayed() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET /empty-body HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        assertThat(exchange.responses().get(0).header("content-length")).isEqualTo("0");
    }

    @Test
    void bodyInSeveralFramesIsRelayed() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 2, 0,
                "GET /full-body HTTP/1.1\r\nHost: a\r\n\r\n", "GET /full-body HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(2);
        for (RawHttp.Response response : exchange.responses()) {
            assertThat(response.status()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("hello");
        }
    }

    @Test
    void shortBodyClosesClientConnection() throws Exception {
        String request = "GET /short-body HTTP/1.1\r\nHost: a\r\n\r\n";

        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 3_000, request + request);

        assertThat(received.closed()).as("the connection is closed after the cut body").isTrue();
        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(received.text().indexOf("HTTP/1.1", 1)).as("no second response").isEqualTo(-1);
    }

    @Test
    void silentBodyTimesOut() throws Exception {
        long start = System.nanoTime();

        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET /silent-body HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(504);
        JsonNode problem = Json.MAPPER.readTree(exchange.responses().get(0).body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-timeout");
        assertThat((System.nanoTime() - start) / 1_000_000).isGreaterThanOrEqualTo(900);
    }

    /** Returns the lines logged at INFO and above; the access log is off in tests. */
    private static List<String> logLines(LogCapture log) {
        List<String> lines = new ArrayList<>(log.messages(Level.INFO));
        lines.addAll(log.messages(Level.WARN));
        lines.addAll(log.messages(Level.ERROR));
        return lines;
    }
}

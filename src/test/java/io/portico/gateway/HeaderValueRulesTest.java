package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.portico.config.HeaderValues;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.Logger;

/**
 * Control characters other than HTAB in header values, through the admin API and real nodes. Vert.x throws on such a
 * value when it writes the header, so a route header operation with one is rejected with 400 naming the field, in
 * a single write and in an applied document. A header with one that reaches the proxy anyway, as an HTTP/2
 * upstream can send, is dropped, so the exchange still gets its response.
 */
class HeaderValueRulesTest {

    private static RecordingUpstream upstream;
    private static Http2RawUpstream controlUpstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        Http2Headers head = new DefaultHttp2Headers(false);
        head.status("200").add("content-type", "text/plain").add("x-control", "a\u0001b").add("x-fine", "a\tb");
        controlUpstream = Http2RawUpstream.start(head);
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.service("h2-control", controlUpstream.port()).putObject("pool").put("http2", true);
        config.route("base", "up", "/base");
        config.route("control-response", "h2-control", "/control-response");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        controlUpstream.close();
        upstream.close();
    }

    @BeforeEach
    void forget() {
        upstream.clear();
    }

    static List<Arguments> controlValues() {
        List<Arguments> cases = new ArrayList<>();
        for (String value : List.of("a\u0001b", "a\u001bb", "a\u007fb", "a\u000bb", "\u001f")) {
            cases.add(Arguments.of("requestHeaders", "set", "X-A", value));
            cases.add(Arguments.of("responseHeaders", "add", "X-R", value));
        }
        cases.add(Arguments.of("requestHeaders", "add", "Authorization", "Bearer a\u0001b"));
        cases.add(Arguments.of("responseHeaders", "set", "X-R", "a\u0100b"));
        return cases;
    }

    @ParameterizedTest
    @MethodSource("controlValues")
    void controlCharacterInValueIsRejected(String direction, String operation, String name, String value)
            throws Exception {
        ObjectNode route = route("control", "/control");
        route.putObject(direction).putObject(operation).put(name, value);

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/control", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode errors = json(response).path("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path("field").asText()).isEqualTo(direction + "." + operation + "." + name);
        assertThat(errors.get(0).path("message").asText()).isEqualTo(HeaderValues.INVALID);
        assertThat(response.body()).as("the secret value").doesNotContain("Bearer");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/control", null).statusCode()).isEqualTo(404);
    }

    @Test
    void appliedDocumentWithControlCharacterIsRejected() throws Exception {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("base", "up", "/base").putObject("requestHeaders").putObject("set").put("X-A", "a\u0001b");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode errors = json(response).path("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path("field").asText()).isEqualTo("routes[0].requestHeaders.set.X-A");
    }

    @Test
    void tabInValueIsForwarded() throws Exception {
        ObjectNode route = route("tab", "/tab");
        route.putObject("requestHeaders").putObject("set").put("X-A", "a\tb");
        route.putObject("responseHeaders").putObject("set").put("X-R", "c\td");
        node.admin("PUT", "/admin/v1/routes/tab", route, 201);
        try {
            RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                    "GET /tab HTTP/1.1\r\nHost: a\r\n\r\n");

            assertThat(received.text()).startsWith("HTTP/1.1 200 ");
            assertThat(received.text()).contains("\r\nX-R: c\td\r\n");
            assertThat(upstream.requests().get(0).headers("X-A")).containsExactly("a\tb");
        } finally {
            node.admin("DELETE", "/admin/v1/routes/tab", null, 204);
        }
    }

    @Test
    void upstreamValueWithControlCharacterIsDropped() throws Exception {
        try (LogCapture log = new LogCapture(Logger.ROOT_LOGGER_NAME)) {
            RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                    "GET /control-response HTTP/1.1\r\nHost: a\r\n\r\n");

            assertThat(received.text()).startsWith("HTTP/1.1 200 ");
            assertThat(received.text().toLowerCase()).doesNotContain("x-control");
            assertThat(received.text().toLowerCase()).contains("\r\nx-fine: a\tb\r\n");
            assertThat(log.messages(Level.WARN)).isEmpty();
            assertThat(log.messages(Level.ERROR)).isEmpty();
        }
    }

    private static ObjectNode route(String name, String path) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", name).put("service", "up");
        route.putArray("paths").add(path);
        return route;
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return Json.MAPPER.readTree(response.body());
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Routes bound to a host, next to a catch-all route, through a real node. */
class HostRoutingTest {

    private static TestUpstream api;
    private static TestUpstream fallback;
    private static TestNode node;

    @BeforeAll
    static void start() {
        api = TestUpstream.start("api");
        fallback = TestUpstream.start("fallback");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("api", api.port());
        config.service("fallback", fallback.port());
        config.route("api", "api", "/").put("preserveHost", true).putArray("hosts").add("api.example.com");
        config.route("any", "fallback", "/");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        api.close();
        fallback.close();
    }

    @Test
    void exactHostMatchesItsRoute() throws IOException {
        assertThat(upstreamFor("api.example.com")).isEqualTo("api");
        assertThat(upstreamFor("API.Example.COM:8080")).isEqualTo("api");
        assertThat(upstreamFor("other.example.com")).isEqualTo("fallback");
    }

    @Test
    void trailingDotHostMatchesSameRoute() throws IOException {
        assertThat(upstreamFor("api.example.com.")).isEqualTo("api");
        assertThat(upstreamFor("api.example.com.:8080")).isEqualTo("api");
    }

    @Test
    void emptyPortMatchesHostRoute() throws IOException {
        assertThat(upstreamFor("api.example.com:")).isEqualTo("api");
        assertThat(upstreamFor("api.example.com.:")).isEqualTo("api");
        assertThat(upstreamFor("other.example.com:")).isEqualTo("fallback");
        assertThat(upstreamFor("[::1]:")).isEqualTo("fallback");
    }

    @Test
    void emptyPortIsDroppedWhenForwarded() throws IOException {
        JsonNode headers = echoedHeaders("GET /echo HTTP/1.1\r\nHost: api.example.com:\r\nConnection: close\r\n\r\n");

        assertThat(headers.path("host").get(0).asText()).isEqualTo("api.example.com");
        assertThat(headers.path("x-forwarded-host").get(0).asText()).isEqualTo("api.example.com");
        assertThat(headers.path("forwarded").get(0).asText()).endsWith(";host=\"api.example.com\"");
    }

    @Test
    void absoluteFormWithEmptyPortMatchesHost() throws IOException {
        JsonNode headers = echoedHeaders("GET http://api.example.com:/echo HTTP/1.1\r\nHost: api.example.com\r\n"
                + "Connection: close\r\n\r\n");

        assertThat(headers.path("host").get(0).asText()).isEqualTo("api.example.com");
    }

    @Test
    void malformedPortIsStill400() throws IOException {
        for (String host : new String[] {"api.example.com:abc", "api.example.com:65536", "api.example.com::",
                "api.example.com:8080:", "api.example.com: 80", "[::1]x"}) {
            String response = RawHttp.exchange(node.portico().httpPort(), "GET /echo HTTP/1.1\r\nHost: " + host
                    + "\r\nConnection: close\r\n\r\n");
            assertThat(response).as("response for Host %s", host).startsWith("HTTP/1.1 400");
        }
    }

    /** Sends {@code request}, expects a 200 from the echo endpoint and returns the headers the upstream received. */
    private static JsonNode echoedHeaders(String request) throws IOException {
        String response = RawHttp.exchange(node.portico().httpPort(), request);
        assertThat(response).as(response).startsWith("HTTP/1.1 200");
        return Json.MAPPER.readTree(response.substring(response.indexOf("\r\n\r\n") + 4)).path("headers");
    }

    /** Sends GET /echo with {@code host} as the Host header and returns the upstream that served it. */
    private static String upstreamFor(String host) throws IOException {
        String response = RawHttp.exchange(node.portico().httpPort(), "GET /echo HTTP/1.1\r\nHost: " + host
                + "\r\nConnection: close\r\n\r\n");
        assertThat(response).as("response for Host %s", host).startsWith("HTTP/1.1 200");
        for (String line : response.split("\r\n")) {
            if (line.regionMatches(true, 0, "X-Upstream:", 0, "X-Upstream:".length())) {
                return line.substring("X-Upstream:".length()).trim();
            }
        }
        throw new AssertionError("no X-Upstream header in " + response);
    }
}

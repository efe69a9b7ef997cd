package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

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
        config.route("api", "api", "/").putArray("hosts").add("api.example.com");
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

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The node setting {@code upstreams.allowPrivateAddresses}, proven with upstreams on loopback: by default Portico
 * connects to them, and with the setting false it closes the connection before a request byte is written.
 */
class UpstreamAddressGuardTest {

    private static RecordingUpstream upstream;
    private static TestNode guarded;
    private static TestNode open;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        guarded = TestNode.start(Map.of("upstreams.allowPrivateAddresses", "false"));
        open = TestNode.start();
        Configs config = Configs.document();
        config.service("loopback", upstream.port());
        config.route("all", "loopback", "/");
        // A target given by name, which resolves to loopback only when the connection is made.
        ObjectNode named = config.service("named");
        named.withArray("targets").addObject().put("host", "localhost").put("port", upstream.port());
        config.route("named", "named", "/named");
        guarded.apply(config.build());
        open.apply(config.build());
    }

    @AfterAll
    static void stop() {
        open.close();
        guarded.close();
        upstream.close();
    }

    @Test
    void loopbackUpstreamIsAllowedByDefault() throws Exception {
        upstream.clear();

        RawHttp.Received received = RawHttp.first(open.portico().httpPort(), "GET /a HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200");
        assertThat(upstream.requests()).hasSize(1);
    }

    @Test
    void loopbackUpstreamIsRejectedWhenGuarded() throws Exception {
        upstream.clear();

        RawHttp.Received received = RawHttp.first(guarded.portico().httpPort(),
                "GET /a HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 502");
        assertThat(received.body()).contains("https://portico.dev/problems/upstream-unavailable");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void hostNameResolvingToLoopbackIsRejectedWhenGuarded() throws Exception {
        upstream.clear();

        RawHttp.Received received = RawHttp.first(guarded.portico().httpPort(),
                "GET /named HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 502");
        assertThat(upstream.requests()).isEmpty();
    }
}

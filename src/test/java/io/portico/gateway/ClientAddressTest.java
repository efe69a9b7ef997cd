package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.LoopbackClient;
import io.portico.testing.LoopbackClient.Response;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.http.HttpMethod;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The client address behind trusted proxies, end to end: clients and proxies are played from different
 * loopback addresses (127.0.0.2, 127.0.0.9, ::1), and real Portico nodes are chained in front of each other.
 */
class ClientAddressTest {

    private static final String PROXY = "127.0.0.2";
    private static final String SECOND_PROXY = "127.0.0.3";
    private static final String STRANGER = "127.0.0.9";

    private static TestUpstream upstream;
    /** Trusts 127.0.0.1 to 127.0.0.3 and reads X-Forwarded-For; listens on 127.0.0.1. */
    private static TestNode inner;
    /** Trusts ::1 and reads Forwarded; listens on ::1. */
    private static TestNode forwarded;
    /** Trusts no proxy; listens on ::1 and forwards /inner-only to {@link #inner}. */
    private static TestNode edge;
    private static LoopbackClient client;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off; these nodes write it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        upstream = TestUpstream.start("addresses");
        client = new LoopbackClient();
        inner = TestNode.start(Map.of("clientAddress.trustedProxies", "127.0.0.1, 127.0.0.2, 127.0.0.3/32"));
        Configs innerConfig = Configs.document();
        innerConfig.service("app", upstream.port());
        innerConfig.route("echo", "app", "/echo");
        restrict(innerConfig.route("restricted", "app", "/restricted"), "203.0.113.0/24");
        restrict(innerConfig.route("inner-only", "app", "/inner-only"), "::1");
        inner.apply(innerConfig.build());

        forwarded = TestNode.start(Map.of("http.host", "::1", "clientAddress.trustedProxies", "::1",
                "clientAddress.header", "Forwarded"));
        Configs forwardedConfig = Configs.document();
        forwardedConfig.service("app", upstream.port());
        forwardedConfig.route("echo", "app", "/echo");
        forwarded.apply(forwardedConfig.build());

        edge = TestNode.start(Map.of("http.host", "::1"));
        Configs edgeConfig = Configs.document();
        edgeConfig.service("app", upstream.port());
        edgeConfig.service("inner", inner.portico().httpPort());
        edgeConfig.route("echo", "app", "/echo");
        edgeConfig.route("inner-only", "inner", "/inner-only");
        edge.apply(edgeConfig.build());
    }

    private static void restrict(ObjectNode route, String allowed) {
        route.putArray("policies").addObject().put("name", "ip-restriction").putObject("config")
                .putArray("allow").add(allowed);
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        client.close();
        edge.close();
        forwarded.close();
        inner.close();
        upstream.close();
    }

    @Test
    void untrustedPeerCannotSpoofItsAddress() throws IOException {
        Map<String, String> spoofed = Map.of("X-Forwarded-For", "203.0.113.7", "Forwarded", "for=203.0.113.7");

        JsonNode echo = echo(send(inner, STRANGER, "/echo", spoofed));
        Response restricted = send(inner, STRANGER, "/restricted", spoofed);

        assertThat(header(echo, "x-forwarded-for")).isEqualTo(STRANGER);
        assertThat(header(echo, "forwarded")).startsWith("for=127.0.0.9;proto=http;host=");
        assertThat(restricted.status()).isEqualTo(403);
        assertThat(restricted.body()).contains("https://portico.dev/problems/ip-not-allowed");
    }

    @Test
    void trustedProxyReportsTheClient() throws IOException {
        Map<String, String> headers = Map.of("X-Forwarded-For", "198.51.100.1, 203.0.113.7");

        JsonNode echo = echo(send(inner, PROXY, "/echo", headers));
        Response restricted = send(inner, PROXY, "/restricted", headers);

        assertThat(header(echo, "x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.2");
        assertThat(header(echo, "forwarded")).startsWith("for=203.0.113.7, for=127.0.0.2;proto=http;host=");
        assertThat(restricted.status()).isEqualTo(200);
    }

    @Test
    void chainOfTrustedProxiesIsSkipped() throws IOException {
        JsonNode echo = echo(send(inner, PROXY, "/echo", Map.of("X-Forwarded-For",
                "192.0.2.66, 203.0.113.7, " + SECOND_PROXY)));

        assertThat(header(echo, "x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.3, 127.0.0.2");
    }

    @Test
    void malformedEntryFallsBackToThePeer() throws IOException {
        Map<String, String> headers = Map.of("X-Forwarded-For", "203.0.113.7, not-an-address");

        JsonNode echo = echo(send(inner, PROXY, "/echo", headers));
        Response restricted = send(inner, PROXY, "/restricted", headers);

        assertThat(header(echo, "x-forwarded-for")).isEqualTo(PROXY);
        assertThat(restricted.status()).isEqualTo(403);
    }

    @Test
    void ipv6ClientBehindIpv4Proxy() throws IOException {
        JsonNode echo = echo(send(inner, PROXY, "/echo", Map.of("X-Forwarded-For", "2001:DB8:0:0::7")));

        assertThat(header(echo, "x-forwarded-for")).isEqualTo("2001:db8::7, 127.0.0.2");
        assertThat(header(echo, "forwarded")).startsWith("for=\"[2001:db8::7]\", for=127.0.0.2;proto=http;");
    }

    @Test
    void accessLogShowsTheResolvedClient() {
        try (LogCapture log = new LogCapture("portico.access")) {
            Response response = send(inner, PROXY, "/echo", Map.of("X-Forwarded-For", "203.0.113.7"));
            String requestId = response.headers().get("X-Request-Id");

            Conditions.eventually("the access log line is written", () -> log.messages(Level.INFO).stream()
                    .anyMatch(line -> line.contains("request_id=" + requestId)));
            String line = log.messages(Level.INFO).stream()
                    .filter(message -> message.contains("request_id=" + requestId)).findFirst().orElseThrow();
            assertThat(line).contains(" client=203.0.113.7 ");
        }
    }

    @Test
    void trustedProxyKeepsProtoHostAndPort() throws IOException {
        Map<String, String> sent = Map.of("X-Forwarded-For", "203.0.113.7", "X-Forwarded-Proto", "HTTPS",
                "X-Forwarded-Host", "api.example.com", "X-Forwarded-Port", "443");

        JsonNode trusted = echo(send(inner, PROXY, "/echo", sent));
        JsonNode stranger = echo(send(inner, STRANGER, "/echo", sent));

        assertThat(header(trusted, "x-forwarded-proto")).isEqualTo("https");
        assertThat(header(trusted, "x-forwarded-host")).isEqualTo("api.example.com");
        assertThat(header(trusted, "x-forwarded-port")).isEqualTo("443");
        assertThat(header(stranger, "x-forwarded-proto")).isEqualTo("http");
        assertThat(header(stranger, "x-forwarded-host")).isEqualTo("127.0.0.1:" + inner.portico().httpPort());
        assertThat(header(stranger, "x-forwarded-port")).isEqualTo(Integer.toString(inner.portico().httpPort()));
    }

    @Test
    void trustedProxyInvalidValuesAreReplaced() throws IOException {
        JsonNode echo = echo(send(inner, PROXY, "/echo", Map.of("X-Forwarded-Proto", "https, http",
                "X-Forwarded-Host", "evil.example/path", "X-Forwarded-Port", "70000")));

        assertThat(header(echo, "x-forwarded-proto")).isEqualTo("http");
        assertThat(header(echo, "x-forwarded-host")).isEqualTo("127.0.0.1:" + inner.portico().httpPort());
        assertThat(header(echo, "x-forwarded-port")).isEqualTo(Integer.toString(inner.portico().httpPort()));
    }

    @Test
    void forwardedHeaderFromIpv6Proxy() throws IOException {
        JsonNode echo = echo(send(forwarded, "::1", "/echo", Map.of(
                "Forwarded", "for=198.51.100.1, for=\"[2001:db8:cafe::17]:4711\";proto=https, for=\"[::1]\"",
                "X-Forwarded-For", "192.0.2.66")));

        assertThat(header(echo, "x-forwarded-for")).isEqualTo("2001:db8:cafe::17, ::1, ::1");
        assertThat(header(echo, "forwarded"))
                .startsWith("for=\"[2001:db8:cafe::17]\", for=\"[::1]\", for=\"[::1]\";proto=http;host=");
    }

    @Test
    void obfuscatedOrUnknownNodeStopsAtTheProxy() throws IOException {
        JsonNode obfuscated = echo(send(forwarded, "::1", "/echo", Map.of("Forwarded",
                "for=192.0.2.66, for=_hidden")));
        JsonNode unknown = echo(send(forwarded, "::1", "/echo", Map.of("Forwarded", "for=unknown;proto=https")));

        assertThat(header(obfuscated, "x-forwarded-for")).isEqualTo("::1");
        assertThat(header(unknown, "x-forwarded-for")).isEqualTo("::1");
    }

    @Test
    void untrustedIpv6PeerCannotSpoof() throws IOException {
        JsonNode echo = echo(send(edge, "::1", "/echo", Map.of("X-Forwarded-For", "192.0.2.66",
                "Forwarded", "for=192.0.2.66")));

        assertThat(header(echo, "x-forwarded-for")).isEqualTo("::1");
        assertThat(header(echo, "forwarded")).startsWith("for=\"[::1]\";proto=http;host=");
    }

    @Test
    void chainedNodesPassTheClientOn() throws IOException {
        Response throughEdge = send(edge, "::1", "/inner-only", Map.of("X-Forwarded-For", "192.0.2.66"));
        Response direct = send(inner, STRANGER, "/inner-only", Map.of("X-Forwarded-For", "::1"));

        assertThat(throughEdge.status()).as(throughEdge.body()).isEqualTo(200);
        assertThat(header(echo(throughEdge), "x-forwarded-for")).isEqualTo("::1, 127.0.0.1");
        assertThat(direct.status()).isEqualTo(403);
    }

    private static Response send(TestNode node, String from, String path, Map<String, String> headers) {
        String host = from.contains(":") ? "::1" : "127.0.0.1";
        return client.send(from, host, node.portico().httpPort(), HttpMethod.GET, path, headers);
    }

    private static JsonNode echo(Response response) throws IOException {
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private static String header(JsonNode echo, String name) {
        JsonNode values = echo.path("headers").path(name);
        assertThat(values.size()).as("values of %s in %s", name, echo).isEqualTo(1);
        return values.get(0).asText();
    }
}

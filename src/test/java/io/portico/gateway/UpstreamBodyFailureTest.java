package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.NetServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Upstream responses whose body fails, relayed by a real node from a raw socket upstream. While no byte of the
 * response has reached the client, the client gets a 502 {@code upstream-unavailable} problem; once bytes were
 * relayed, its HTTP/1.1 connection is closed. Either way the attempt counts as a failure of the target.
 */
class UpstreamBodyFailureTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    /** Responses of the raw upstream by request path; each closes the connection after its bytes. */
    private static final Map<String, String> RESPONSES = Map.of(
            "/badchunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-From-Upstream: yes\r\n\r\nZZ\r\n",
            "/short", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-From-Upstream: yes\r\n\r\n",
            "/laterchunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nZZ\r\n");

    private static Vertx vertx;
    private static NetServer upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        upstream = ScriptedUpstream.listen(vertx, RESPONSES);

        node = TestNode.start();
        Configs config = Configs.document();
        for (String name : List.of("badchunk", "badchunk-h2", "short", "laterchunk")) {
            config.service(name, upstream.actualPort()).putObject("retries").put("attempts", 1);
            config.route(name, name, "/" + name).put("stripPrefix", true);
        }
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        vertx.close();
    }

    @Test
    void malformedFirstChunkGets502() throws Exception {
        try (LogCapture access = new LogCapture("portico.access")) {
            RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 300,
                    "GET /badchunk/badchunk HTTP/1.1\r\nHost: a\r\n\r\n");

            assertThat(exchange.responses()).hasSize(1);
            RawHttp.Response response = exchange.responses().get(0);
            assertThat(response.status()).isEqualTo(502);
            assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
            assertThat(response.header("X-From-Upstream")).as("upstream header").isNull();
            assertThat(response.header("Transfer-Encoding")).isNull();
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
            assertThat(problem.path("detail").asText()).isEqualTo("service 'badchunk' sent an invalid response");
            assertThat(problem.path("instance").asText()).isEqualTo("urn:request:" + response.header("X-Request-Id"));
            assertThat(exchange.closed()).as("client connection closed").isFalse();
            String line = awaitLine(access, "/badchunk/badchunk");
            assertThat(line).contains(" status=502 ", " problem=upstream_unavailable");
            assertThat(line).doesNotContain("aborted=true");
        }
        assertThat(targetFailures("badchunk")).isEqualTo(1);
    }

    @Test
    void malformedFirstChunkGets502OverHttp2() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions request = new RequestOptions().setHost("127.0.0.1").setPort(node.portico().httpPort())
                .setURI("/badchunk-h2/badchunk");
        try {
            Reply reply = ContextRequests.send(vertx, () -> client.request(request)
                    .compose(sent -> sent.send().compose(response -> response.body()
                            .map(body -> new Reply(response.statusCode(), response.getHeader("X-From-Upstream"),
                                    body.toString())))));

            assertThat(reply.status()).isEqualTo(502);
            assertThat(reply.upstreamHeader()).isNull();
            JsonNode problem = Json.MAPPER.readTree(reply.body());
            assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
        } finally {
            client.close();
        }
        assertThat(targetFailures("badchunk-h2")).isEqualTo(1);
    }

    @Test
    void connectionClosedBeforeBodyGets502() throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET /short/short HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(502);
        JsonNode problem = Json.MAPPER.readTree(exchange.responses().get(0).body());
        assertThat(problem.path("detail").asText())
                .isEqualTo("service 'short' broke off its response before the body arrived");
        assertThat(targetFailures("short")).isEqualTo(1);
    }

    @Test
    void malformedLaterChunkClosesConnection() throws Exception {
        RawHttp.Received received = RawHttp.send(node.portico().httpPort(), 0, 5_000,
                "GET /laterchunk/laterchunk HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(received.body()).contains("hello");
        assertThat(received.body()).as("terminating chunk").doesNotContain("\r\n0\r\n\r\n");
        assertThat(received.closed()).as("client connection closed").isTrue();
        assertThat(targetFailures("laterchunk")).isEqualTo(1);
    }

    private static long targetFailures(String service) {
        return node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200)
                .at("/targets/0/failures").asLong();
    }

    private static String awaitLine(LogCapture access, String path) {
        Conditions.eventually("the access-log line of " + path, () -> access.messages(Level.INFO).stream()
                .anyMatch(line -> line.contains(" path=" + path + " ")));
        return access.messages(Level.INFO).stream().filter(line -> line.contains(" path=" + path + " "))
                .findFirst().orElseThrow();
    }

    /** The status, the upstream's marker header and the body of a response. */
    private record Reply(int status, String upstreamHeader, String body) {
    }
}

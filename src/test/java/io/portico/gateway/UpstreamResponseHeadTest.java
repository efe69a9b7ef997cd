package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Response heads of a raw socket upstream that a real node must not relay as sent: a status code outside 100..599,
 * a Content-Length repeated with equal values, a Content-Length continued on an obs-fold line, a transfer coding
 * other than chunked, and more interim responses than the client reads before a final one. The odd status and the
 * transfer coding also come over TLS, which Portico reads with Vert.x's client rather than its own.
 */
class UpstreamResponseHeadTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    /** Responses of the raw upstream by request path. The upstream closes the connection after each. */
    private static final Map<String, String> RESPONSES = Map.of(
            "/odd", "HTTP/1.1 999 Odd\r\nContent-Length: 5\r\n\r\nhello",
            "/repeated", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\ncontent-length: 5, 5\r\n\r\nhello",
            "/folded", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n 0\r\n\r\nhello",
            "/coded", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "/interim", "HTTP/1.1 102 Processing\r\n\r\n".repeat(32)
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
            "/flood", "HTTP/1.1 102 Processing\r\n\r\n".repeat(33)
                    + "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");

    private static Vertx vertx;
    private static NetServer upstream;
    /** The same responses over TLS, which Portico reads with Vert.x's client rather than its own. */
    private static NetServer tlsUpstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = ScriptedUpstream.listen(vertx, RESPONSES);
        TestCertificates.Issued authority = TestCertificates.authority("Portico Test Upstream CA");
        TestCertificates.Issued certificate = TestCertificates.server(authority, "localhost", "127.0.0.1");
        tlsUpstream = ScriptedUpstream.listen(vertx, new NetServerOptions().setSsl(true).setKeyCertOptions(
                new PemKeyCertOptions().setCertValue(Buffer.buffer(certificate.certificatePem()))
                        .setKeyValue(Buffer.buffer(certificate.privateKeyPem()))), RESPONSES);

        node = TestNode.start();
        Configs config = Configs.document();
        for (String name : List.of("odd", "repeated", "folded", "coded", "interim", "flood")) {
            config.service(name, upstream.actualPort()).putObject("retries").put("attempts", 1);
            config.route(name, name, "/" + name).put("stripPrefix", true);
        }
        ObjectNode tls = config.service("odd-tls", tlsUpstream.actualPort()).put("protocol", "https");
        tls.putObject("retries").put("attempts", 1);
        tls.putObject("tls").put("caCertificate", authority.certificatePem());
        config.route("odd-tls", "odd-tls", "/odd-tls").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        vertx.close();
    }

    @Test
    void statusAbove599Gets502() throws Exception {
        RawHttp.Response response = onlyResponse("GET /odd/odd HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
        assertThat(problem.path("detail").asText()).isEqualTo("service 'odd' sent an invalid response");
        Conditions.eventually("no request in flight to the target", () -> targetHealth("odd")
                .at("/targets/0/inFlight").asInt() == 0);
        assertThat(targetHealth("odd").at("/targets/0/failures").asLong()).isEqualTo(1);
    }

    @Test
    void statusAbove599OverTlsGets502() throws Exception {
        RawHttp.Response response = onlyResponse("GET /odd-tls/odd HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("detail").asText()).isEqualTo("service 'odd-tls' sent an invalid response");
        Conditions.eventually("no request in flight to the target", () -> targetHealth("odd-tls")
                .at("/targets/0/inFlight").asInt() == 0);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/coded/coded", "/odd-tls/coded"})
    void transferCodingOtherThanChunkedGets502(String path) throws Exception {
        RawHttp.Response response = onlyResponse("GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.body()).doesNotContain("hello");
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
    }

    @Test
    void repeatedContentLengthRelayedOnce() throws Exception {
        RawHttp.Response response = onlyResponse("GET /repeated/repeated HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello");
        List<String> lengths = Arrays.stream(response.head().split("\r\n"))
                .filter(line -> line.regionMatches(true, 0, "Content-Length:", 0, "Content-Length:".length()))
                .toList();
        assertThat(lengths).hasSize(1);
        assertThat(lengths.get(0)).endsWith(": 5");
    }

    @Test
    void foldedContentLengthGets502() throws Exception {
        RawHttp.Response response = onlyResponse("GET /folded/folded HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        assertThat(response.header("Content-Type")).isEqualTo("application/problem+json");
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("detail").asText()).isEqualTo("service 'folded' sent an invalid response");
    }

    @Test
    void thirtyTwoInterimResponsesAreSkipped() throws Exception {
        RawHttp.Response response = onlyResponse("GET /interim/interim HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("hello");
    }

    @Test
    void thirtyThreeInterimResponsesGet502() throws Exception {
        RawHttp.Response response = onlyResponse("GET /flood/flood HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(response.status()).isEqualTo(502);
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "upstream-unavailable");
        assertThat(problem.path("detail").asText()).isEqualTo("service 'flood' sent an invalid response");
        Conditions.eventually("no request in flight to the target", () -> targetHealth("flood")
                .at("/targets/0/inFlight").asInt() == 0);
        assertThat(targetHealth("flood").at("/targets/0/failures").asLong()).isEqualTo(1);
    }

    private static RawHttp.Response onlyResponse(String request) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0, request);
        assertThat(exchange.responses()).hasSize(1);
        return exchange.responses().get(0);
    }

    private static JsonNode targetHealth(String service) {
        return node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200);
    }
}

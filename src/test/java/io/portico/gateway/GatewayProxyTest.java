package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Proxying through a real Portico node to real upstream servers over HTTP/1.1. */
class GatewayProxyTest {

    private static TestUpstream first;
    private static TestUpstream second;
    private static TestNode node;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        first = TestUpstream.start("first");
        second = TestUpstream.start("second");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("echo", first.port());
        config.service("pair", first.port(), second.port());
        ObjectNode slow = config.service("slow", first.port());
        slow.putObject("timeouts").put("read", "200ms");
        config.service("dead", 1);
        ObjectNode retrying = config.service("retrying", 1, first.port());
        retrying.putObject("loadBalancing").put("algorithm", "round-robin");
        retrying.putObject("retries").put("attempts", 2);
        config.route("echo", "echo", "/echo");
        ObjectNode stripped = config.route("stripped", "echo", "/api/v1");
        stripped.put("stripPrefix", true);
        ObjectNode rewritten = config.route("rewritten", "echo", "/old");
        rewritten.putObject("rewrite").put("regex", "^/old/(.*)$").put("replacement", "/echo/new/$1");
        ObjectNode headers = config.route("headers", "echo", "/headers");
        ObjectNode requestOps = headers.putObject("requestHeaders");
        requestOps.putObject("set").put("X-Set", "set-value");
        requestOps.putObject("add").put("X-Added", "added");
        requestOps.putArray("remove").add("X-Remove-Me");
        ObjectNode responseOps = headers.putObject("responseHeaders");
        responseOps.putObject("set").put("X-Response", "yes");
        responseOps.putArray("remove").add("X-Upstream");
        config.route("status", "pair", "/status");
        config.route("slow", "slow", "/slow");
        config.route("dead", "dead", "/dead");
        config.route("retrying", "retrying", "=/retry");
        ObjectNode limited = config.route("limited", "echo", "/limited");
        limited.put("maxBodySize", 1024);
        config.route("bytes", "echo", "/bytes");
        config.route("upload", "echo", "/upload");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        first.close();
        second.close();
    }

    @Test
    void forwardsRequestWithForwardingHeaders() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/echo/a?x=1"))
                .header("X-Custom", "kept")
                .header("X-Request-Id", "client-id-1")
                .GET());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("uri").asText()).isEqualTo("/echo/a?x=1");
        JsonNode headers = echo.get("headers");
        assertThat(headers.get("x-custom").get(0).asText()).isEqualTo("kept");
        assertThat(headers.get("x-forwarded-for").get(0).asText()).isEqualTo("127.0.0.1");
        assertThat(headers.get("x-forwarded-proto").get(0).asText()).isEqualTo("http");
        assertThat(headers.get("x-forwarded-host").get(0).asText()).isEqualTo("127.0.0.1:" + node.portico().httpPort());
        assertThat(headers.get("forwarded").get(0).asText()).startsWith("for=127.0.0.1;proto=http;host=");
        assertThat(headers.get("host").get(0).asText()).isEqualTo("127.0.0.1:" + first.port());
        assertThat(headers.get("x-request-id").get(0).asText()).isEqualTo("client-id-1");
        assertThat(response.headers().firstValue("X-Request-Id")).hasValue("client-id-1");
        assertThat(response.headers().firstValue("X-Upstream")).hasValue("first");
    }

    @Test
    void generatesRequestIdWhenMissing() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/echo")).GET());

        String id = response.headers().firstValue("X-Request-Id").orElseThrow();
        assertThat(id).hasSize(32);
        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("headers").get("x-request-id").get(0).asText()).isEqualTo(id);
    }

    @Test
    void removesHopByHopHeaders() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/echo"))
                .header("X-Private", "secret-hop")
                .header("Proxy-Authorization", "Basic abc")
                .header("Trailer", "X-Checksum")
                .GET());

        JsonNode headers = Json.MAPPER.readTree(response.body()).get("headers");
        assertThat(headers.has("proxy-authorization")).isFalse();
        assertThat(headers.has("trailer")).isFalse();
        assertThat(headers.has("x-private")).isTrue();
    }

    @Test
    void removesHeadersNamedInConnection() throws Exception {
        // java.net.http refuses to set Connection, so this request goes over a raw socket.
        String raw = RawHttp.exchange(node.portico().httpPort(), "GET /echo HTTP/1.1\r\nHost: localhost\r\n"
                + "Connection: keep-alive, X-Private\r\nX-Private: hop\r\nX-Public: end\r\n\r\n");

        assertThat(raw).startsWith("HTTP/1.1 200");
        assertThat(raw).doesNotContain("x-private");
        assertThat(raw).contains("x-public");
    }

    @Test
    void requestWithoutHostIsRejected() throws Exception {
        String raw = RawHttp.exchange(node.portico().httpPort(), "GET /echo HTTP/1.1\r\n\r\n");

        assertThat(raw).startsWith("HTTP/1.1 400");
        assertThat(raw).contains("https://portico.dev/problems/bad-request");
    }

    @Test
    void requestWithTwoHostsIsRejected() throws Exception {
        String raw = RawHttp.exchange(node.portico().httpPort(),
                "GET /echo HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\n\r\n");

        assertThat(raw).startsWith("HTTP/1.1 400");
        assertThat(raw).contains("exactly one Host header");
    }

    @Test
    void stripsMatchedPrefix() throws Exception {
        JsonNode echo = Json.MAPPER.readTree(send(HttpRequest.newBuilder(uri("/api/v1/pets/7?q=a")).GET()).body());

        assertThat(echo.get("uri").asText()).isEqualTo("/pets/7?q=a");
    }

    @Test
    void rewritesPath() throws Exception {
        JsonNode echo = Json.MAPPER.readTree(send(HttpRequest.newBuilder(uri("/old/thing")).GET()).body());

        assertThat(echo.get("uri").asText()).isEqualTo("/echo/new/thing");
    }

    @Test
    void appliesHeaderOperations() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/headers"))
                .header("X-Remove-Me", "gone").header("X-Set", "client").GET());

        JsonNode headers = Json.MAPPER.readTree(response.body()).get("headers");
        assertThat(headers.has("x-remove-me")).isFalse();
        assertThat(headers.get("x-set").get(0).asText()).isEqualTo("set-value");
        assertThat(headers.get("x-added").get(0).asText()).isEqualTo("added");
        assertThat(response.headers().firstValue("X-Response")).hasValue("yes");
        assertThat(response.headers().firstValue("X-Upstream")).isEmpty();
    }

    @Test
    void balancesAcrossTargets() throws Exception {
        int before = first.requests() + second.requests();
        for (int i = 0; i < 10; i++) {
            assertThat(send(HttpRequest.newBuilder(uri("/status/204")).GET()).statusCode()).isEqualTo(204);
        }
        assertThat(first.requests() + second.requests() - before).isEqualTo(10);
        assertThat(first.requests()).isPositive();
        assertThat(second.requests()).isPositive();
    }

    @Test
    void unknownRouteIsProblem404() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/nothing-here")).GET());

        assertProblem(response, 404, "route-not-found");
    }

    @Test
    void unreachableUpstreamIsProblem502() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/dead")).GET());

        assertProblem(response, 502, "upstream-unavailable");
    }

    @Test
    void readTimeoutIsProblem504() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/slow?ms=2000")).GET());

        assertProblem(response, 504, "upstream-timeout");
    }

    @Test
    void connectionFailureIsRetriedOnNextTarget() throws Exception {
        for (int i = 0; i < 4; i++) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/retry")).GET());
            assertThat(response.statusCode()).isEqualTo(200);
        }
    }

    @Test
    void declaredBodyOverLimitIsProblem413() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/limited"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[4096])));

        assertProblem(response, 413, "body-too-large");
    }

    @Test
    void chunkedBodyOverLimitIsProblem413() throws Exception {
        byte[] body = new byte[64 * 1024];
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/limited"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))));

        assertProblem(response, 413, "body-too-large");
    }

    @Test
    void streamsLargeUploadIntact() throws Exception {
        byte[] body = new byte[32 * 1024 * 1024];
        new Random(7).nextBytes(body);
        HttpResponse<String> response = send(HttpRequest.newBuilder(uri("/upload"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)));

        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("bodyLength").asLong()).isEqualTo(body.length);
        assertThat(echo.get("bodySha256").asText()).isEqualTo(java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(body)));
    }

    @Test
    void streamsLargeDownloadIntact() throws Exception {
        long size = 64L * 1024 * 1024 + 17;
        HttpResponse<InputStream> response = CLIENT.send(HttpRequest.newBuilder(uri("/bytes?n=" + size)).build(),
                HttpResponse.BodyHandlers.ofInputStream());

        assertThat(response.statusCode()).isEqualTo(200);
        long total = 0;
        try (InputStream in = response.body()) {
            byte[] buffer = new byte[65536];
            for (int read; (read = in.read(buffer)) > 0; ) {
                total += read;
            }
        }
        assertThat(total).isEqualTo(size);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws IOException, InterruptedException {
        return CLIENT.send(request.timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static URI uri(String path) {
        return URI.create(node.url() + path);
    }

    static void assertProblem(HttpResponse<String> response, int status, String type) throws IOException {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.get("type").asText()).isEqualTo("https://portico.dev/problems/" + type);
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The request target, the authority and the body framing of h2c requests, sent frame by frame to a real node in
 * front of a recording upstream. A route {@code open} on {@code /api} serves everyone, and a route {@code secret}
 * on {@code /api/secret} requires an API key, so a target that the router and an upstream read differently shows
 * as a request that reaches the upstream without a key.
 */
class Http2RequestHeadTest {

    private static final String PROBLEMS = "https://portico.dev/problems/";
    private static final String KEY = "alice-key-0123456789abcdef";
    private static final long WAIT_MILLIS = 1_000;
    /** The HTTP/2 error code PROTOCOL_ERROR (RFC 9113 section 7). */
    private static final long PROTOCOL_ERROR = 1;

    private static RecordingUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("recorded", upstream.port());
        config.resource("teams", "payments");
        config.resource("consumers", "alice").put("team", "payments");
        config.resource("credentials", "alice-key").put("consumer", "alice").put("type", "key-auth")
                .put("key", KEY);
        config.route("open", "recorded", "/api");
        config.route("secret", "recorded", "/api/secret").put("priority", 10).putArray("policies").addObject()
                .put("name", "key-auth");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "/api/secret#x | fragment",
        "/api/secret# | fragment",
        "/api/x?a=1#b | fragment",
        "/api/a b | control character or a space",
        "/api/a\u0001b | control character or a space",
        "/api/a\u007fb | control character or a space",
        "/api/caf\u00e9 | outside US-ASCII",
        "http://a/api/secret | origin form",
        "api/secret | origin form",
        "* | origin form",
    })
    void invalidTargetIs400(String path, String detail) throws Exception {
        Http2Wire.Received received = exchange(request("GET", path).authority("a"));

        Http2Wire.Stream stream = received.stream(1);
        assertThat(stream.status()).isEqualTo(400);
        JsonNode problem = problem(stream);
        assertThat(problem.path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem.path("detail").asText()).contains(detail);
        assertThat(received.goAwayCode()).as("the connection stays open").isEqualTo(-1);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void protectedPathWithoutFragmentNeedsKey() throws Exception {
        assertThat(exchange(request("GET", "/api/secret").authority("a")).stream(1).status()).isEqualTo(401);
        Http2Headers withKey = request("GET", "/api/secret?q=1").authority("a");
        withKey.add("apikey", KEY);

        assertThat(exchange(withKey).stream(1).status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo("/api/secret?q=1");
    }

    @Test
    void twoHostFieldsAre400() throws Exception {
        Http2Headers headers = request("GET", "/api/x");
        headers.add("host", "a.example");
        headers.add("host", "b.example");

        Http2Wire.Stream stream = exchange(headers).stream(1);

        assertThat(stream.status()).isEqualTo(400);
        assertThat(problem(stream).path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem(stream).path("detail").asText()).contains("more than one host header");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void hostDifferentFromAuthorityIs400() throws Exception {
        Http2Headers headers = request("GET", "/api/x").authority("a.example");
        headers.add("host", "b.example");

        Http2Wire.Stream stream = exchange(headers).stream(1);

        assertThat(stream.status()).isEqualTo(400);
        assertThat(problem(stream).path("type").asText()).isEqualTo(PROBLEMS + "bad-request");
        assertThat(problem(stream).path("detail").asText()).contains("must equal its :authority");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void hostEqualToAuthorityIsForwarded() throws Exception {
        Http2Headers headers = request("GET", "/api/x").authority("a.example:8080");
        headers.add("host", "A.Example:8080");

        assertThat(exchange(headers).stream(1).status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo("/api/x");
    }

    @Test
    void oneHostWithoutAuthorityIsForwarded() throws Exception {
        Http2Headers headers = request("GET", "/api/x");
        headers.add("host", "a.example");

        assertThat(exchange(headers).stream(1).status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo("/api/x");
    }

    @Test
    void requestEndedByHeadersIsForwardedWithoutBody() throws Exception {
        Http2Wire.Received received = exchange(request("GET", "/api/x").authority("a"));

        assertThat(received.stream(1).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.headers("transfer-encoding")).isEmpty();
        assertThat(request.headers("content-length")).isEmpty();
        assertThat(request.body()).isEmpty();
    }

    @Test
    void requestEndedByHeadersKeepsZeroLength() throws Exception {
        Http2Headers headers = request("POST", "/api/x").authority("a");
        headers.add("content-length", "0");

        assertThat(exchange(headers).stream(1).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.headers("transfer-encoding")).isEmpty();
        assertThat(request.headers("content-length")).containsExactly("0");
        assertThat(request.body()).isEmpty();
    }

    @Test
    void bodyWithLengthIsForwardedWithLength() throws Exception {
        Http2Headers headers = request("POST", "/api/x").authority("a");
        headers.add("content-length", "5");

        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, "hello", WAIT_MILLIS);

        assertThat(received.stream(1).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.headers("transfer-encoding")).isEmpty();
        assertThat(request.headers("content-length")).containsExactly("5");
        assertThat(request.body()).isEqualTo("hello");
    }

    @Test
    void bodyWithoutLengthIsForwardedChunked() throws Exception {
        Http2Headers headers = request("POST", "/api/x").authority("a");

        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, "hello", WAIT_MILLIS);

        assertThat(received.stream(1).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.headers("transfer-encoding")).containsExactly("chunked");
        assertThat(request.headers("content-length")).isEmpty();
        assertThat(request.body()).isEqualTo("hello");
    }

    @Test
    void lengthLargerThanBodyReachesNoUpstream() throws Exception {
        Http2Headers headers = request("POST", "/api/x").authority("a");
        headers.add("content-length", "5");

        Http2Wire.Stream stream = exchange(headers).stream(1);

        assertThat(stream.status()).as("no response head").isEqualTo(-1);
        assertThat(stream.resetCode()).as("RST_STREAM PROTOCOL_ERROR").isEqualTo(PROTOCOL_ERROR);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void transferEncodingReachesNoUpstream() throws Exception {
        Http2Headers headers = request("POST", "/api/x").authority("a");
        headers.add("transfer-encoding", "chunked");

        Http2Wire.Received received = Http2Wire.exchange(node.portico().httpPort(), headers, "0\r\n\r\n",
                WAIT_MILLIS);

        assertThat(received.stream(1).status()).as("no response head").isEqualTo(-1);
        assertThat(received.goAwayCode()).as("GOAWAY PROTOCOL_ERROR").isEqualTo(PROTOCOL_ERROR);
        assertThat(upstream.requests()).isEmpty();
    }

    /** Returns a request head without :authority and without header validation. */
    private static Http2Headers request(String method, String path) {
        Http2Headers headers = new DefaultHttp2Headers(false);
        headers.method(method).scheme("http").path(path);
        return headers;
    }

    private static Http2Wire.Received exchange(Http2Headers headers) throws Exception {
        return Http2Wire.exchange(node.portico().httpPort(), headers, WAIT_MILLIS);
    }

    private static JsonNode problem(Http2Wire.Stream stream) throws Exception {
        return Json.MAPPER.readTree(stream.body());
    }

    private static RecordingUpstream.Request onlyRequest() {
        List<RecordingUpstream.Request> requests = upstream.requests();
        assertThat(requests).hasSize(1);
        RecordingUpstream.Request request = requests.get(0);
        assertThat(request.wellFormed()).as(request.problem()).isTrue();
        return request;
    }
}

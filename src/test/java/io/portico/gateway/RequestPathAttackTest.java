package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.testing.Configs;
import io.portico.testing.HttpsNode;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Attacks on the request path over raw sockets, plain and TLS, HTTP/1.1 and h2c. A recording upstream checks what
 * reached it: exactly one well-formed request for an acceptable one, and none for an ambiguous or forbidden one.
 */
class RequestPathAttackTest {

    static final byte[] H2C_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    static Path directory;
    private static RecordingUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        upstream = RecordingUpstream.start();
        node = HttpsNode.start(directory, "attack.test", Map.of());
        Configs config = Configs.document();
        config.service("recorded", upstream.port());
        config.route("all", "recorded", "/");
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

    static List<Arguments> framingAttacks() {
        List<String> heads = List.of(
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\tchunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked \r\n , x\r\n\r\n0\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 0x2\r\n\r\nab",
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length : 2\r\n\r\nab",
                "POST /a HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n X-Injected: folded\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET /a HTTP/1.1\r\nX-A: 1\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\nX-Injected: bare-lf\r\n\r\n",
                "GET /a HTTP/1.1\r\nHost: a\r\nX-A: 1\rX-Injected: bare-cr\r\n\r\n",
                "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 36\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n");
        return cross(heads);
    }

    @ParameterizedTest
    @MethodSource("framingAttacks")
    void ambiguousFramingReachesNoUpstream(boolean tls, String request) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 2_000, request);

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(400);
        assertThat(exchange.closed()).isTrue();
        assertThat(upstream.requests()).isEmpty();
    }

    static List<Arguments> forbiddenPaths() {
        return cross(List.of("/a%2Fb", "/a%2fb", "/a%5cb", "/a\\b", "/a/..;/b", "/;/a", "/a/%2e%2e;x/b", "/a%00",
                "/a%0d%0aX-Injected:%20yes", "/%c0%ae%c0%ae/etc", "/a%zz"));
    }

    @ParameterizedTest
    @MethodSource("forbiddenPaths")
    void forbiddenPathReachesNoUpstream(boolean tls, String path) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0,
                "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses()).hasSize(1);
        assertThat(exchange.responses().get(0).status()).isEqualTo(400);
        assertThat(upstream.requests()).isEmpty();
    }

    static List<Arguments> normalisedPaths() {
        return List.of(
                Arguments.of(false, "//a///b/", "/a/b/"), Arguments.of(true, "/a/./b/../c", "/a/c"),
                Arguments.of(false, "/a/%2e%2e/%2E/b", "/b"), Arguments.of(true, "/%61%7E%2d", "/a~-"),
                Arguments.of(false, "/../../a", "/a"), Arguments.of(true, "/a%2a?x=%2F..", "/a%2A?x=%2F.."));
    }

    @ParameterizedTest
    @MethodSource("normalisedPaths")
    void upstreamReceivesNormalisedPath(boolean tls, String path, String forwarded) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0,
                "GET " + path + " HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.target()).isEqualTo(forwarded);
    }

    @ParameterizedTest
    @MethodSource("transports")
    void chunkedRequestIsFramedAfresh(boolean tls) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0, "POST /a HTTP/1.1\r\nHost: a\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: t\r\n\r\n");

        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.body()).isEqualTo("abcde");
        assertThat(request.head()).doesNotContain("ext=1");
    }

    @ParameterizedTest
    @MethodSource("transports")
    void hopByHopHeadersAreDropped(boolean tls) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0, "GET /a HTTP/1.1\r\nHost: a\r\n"
                + "Connection: keep-alive, X-Secret, Upgrade\r\nX-Secret: s\r\nKeep-Alive: timeout=5\r\n"
                + "Proxy-Connection: keep-alive\r\nTE: trailers\r\nUpgrade: example/1\r\n"
                + "Proxy-Authorization: Basic eA==\r\n"
                + "X-Kept: k\r\n\r\n");

        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        for (String name : List.of("x-secret", "keep-alive", "proxy-connection", "te", "upgrade",
                "proxy-authorization", "transfer-encoding")) {
            assertThat(request.headers(name)).as(name).isEmpty();
        }
        assertThat(request.headers("x-kept")).containsExactly("k");
    }

    @ParameterizedTest
    @MethodSource("transports")
    void clientForwardingHeadersAreReplaced(boolean tls) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0, "GET /a HTTP/1.1\r\nHost: a\r\n"
                + "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nForwarded: for=10.0.0.3\r\n"
                + "X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.example\r\nX-Forwarded-Port: 1\r\n\r\n");

        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        // No trusted proxies are configured, so the client's own forwarding headers are not believed.
        assertThat(request.headers("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(request.headers("forwarded")).containsExactly("for=127.0.0.1;proto=" + (tls ? "https" : "http")
                + ";host=\"a\"");
        assertThat(request.headers("x-forwarded-proto")).containsExactly(tls ? "https" : "http");
        assertThat(request.headers("x-forwarded-host")).containsExactly("a");
        assertThat(request.headers("x-forwarded-port")).containsExactly(Integer.toString(port(tls)));
    }

    @ParameterizedTest
    @MethodSource("transports")
    void underscoreFormsOfForwardingHeadersAreDropped(boolean tls) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(port(tls), tls, 0, 1, 0, "GET /a HTTP/1.1\r\nHost: a\r\n"
                + "X_Forwarded_For: 10.0.0.1\r\nx_forwarded_proto: https\r\nX_FORWARDED_HOST: evil.example\r\n"
                + "X_Forwarded-Port: 1\r\nX_Request_Id: forged\r\nX_Other_Name: kept\r\n\r\n");

        assertThat(exchange.responses().get(0).status()).isEqualTo(200);
        RecordingUpstream.Request request = onlyRequest();
        for (String name : List.of("x_forwarded_for", "x_forwarded_proto", "x_forwarded_host", "x_forwarded-port",
                "x_request_id")) {
            assertThat(request.headers(name)).as(name).isEmpty();
        }
        assertThat(request.headers("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(request.headers("x_other_name")).containsExactly("kept");
    }

    @Test
    void h2cHeaderInjectionReachesNoUpstreamHeader() throws Exception {
        Http2Headers headers = h2Request("/a");
        headers.add("x-injected", "a\r\nX-Evil: yes");
        headers.add("x-nul", "a\u0000b");

        String received = h2cExchange(headers);

        assertThat(received).isNotEmpty();
        for (RecordingUpstream.Request request : upstream.requests()) {
            assertThat(request.wellFormed()).as(request.problem()).isTrue();
            assertThat(request.headers("x-evil")).isEmpty();
        }
        assertThat(upstream.requests()).hasSizeLessThanOrEqualTo(1);
    }

    @Test
    void h2cRequestIsForwardedWithoutHopByHopHeaders() throws Exception {
        Http2Headers headers = h2Request("//a/./b");
        headers.add("x-forwarded-for", "10.0.0.9");
        headers.add("x_forwarded_for", "10.0.0.8");
        headers.add("x-kept", "k");

        h2cExchange(headers);

        RecordingUpstream.Request request = onlyRequest();
        assertThat(request.target()).isEqualTo("/a/b");
        assertThat(request.headers("x-forwarded-for")).containsExactly("127.0.0.1");
        assertThat(request.headers("x_forwarded_for")).isEmpty();
        assertThat(request.headers("x-kept")).containsExactly("k");
    }

    @Test
    void h2cForbiddenPathReachesNoUpstream() throws Exception {
        h2cExchange(h2Request("/a/..;/b"));
        h2cExchange(h2Request("/a%2fb"));

        assertThat(upstream.requests()).isEmpty();
    }

    static List<Arguments> transports() {
        return List.of(Arguments.of(false), Arguments.of(true));
    }

    private static List<Arguments> cross(List<String> values) {
        return values.stream().flatMap(value -> java.util.stream.Stream.of(Arguments.of(false, value),
                Arguments.of(true, value))).toList();
    }

    private static int port(boolean tls) {
        return tls ? node.portico().httpsPort() : node.portico().httpPort();
    }

    private static RecordingUpstream.Request onlyRequest() {
        List<RecordingUpstream.Request> requests = upstream.requests();
        assertThat(requests).hasSize(1);
        RecordingUpstream.Request request = requests.get(0);
        assertThat(request.wellFormed()).as(request.problem()).isTrue();
        return request;
    }

    private static Http2Headers h2Request(String path) {
        // Without validation, so that the client can send what a compliant encoder refuses.
        Http2Headers headers = new DefaultHttp2Headers(false);
        headers.method("GET").scheme("http").authority("a").path(path);
        return headers;
    }

    /**
     * Sends {@code headers} as one HTTP/2 request with prior knowledge and returns the bytes the gateway sent back
     * until it closed the connection or was quiet for 500 ms, decoded as ISO-8859-1.
     */
    private static String h2cExchange(Http2Headers headers) throws IOException {
        byte[] frames = h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter frameWriter = new DefaultHttp2FrameWriter();
            frameWriter.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            frameWriter.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
        });
        RawHttp.ReceivedBytes received = RawHttp.sendBytes(node.portico().httpPort(), 500, H2C_PREFACE, frames);
        return new String(received.bytes(), StandardCharsets.ISO_8859_1);
    }

    /** Returns the bytes that {@code writes} writes to an in-memory channel. */
    static byte[] h2Frames(Consumer<EmbeddedChannel> writes) {
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        writes.accept(channel);
        byte[] bytes = Http2Wire.outbound(channel);
        channel.finishAndReleaseAll();
        return bytes;
    }
}

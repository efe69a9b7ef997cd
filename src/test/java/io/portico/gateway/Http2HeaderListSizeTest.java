package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * HTTP/2 header lists above {@code limits.maxHeaderSize}, written frame by frame to the h2c listener: which ones end
 * only their stream with 431, and which ones close the connection.
 */
class Http2HeaderListSizeTest {

    private static final int MAX_HEADER_SIZE = 4096;
    /** The {@code SETTINGS_MAX_HEADER_LIST_SIZE} the listener announces, which Netty enforces itself. */
    private static final int ANNOUNCED = MAX_HEADER_SIZE * Http2HeadGuard.ANNOUNCED_HEADER_LIST_FACTOR;
    /** The largest encoded header block Netty 4.2.9 buffers: 1.25 times the announced size. */
    private static final int BLOCK_BOUND = ANNOUNCED + ANNOUNCED / 4;
    private static final long QUIET_MILLIS = 2_000;
    private static final String PROBLEMS = "https://portico.dev/problems/";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("h2-header-list");
        node = TestNode.start(Map.of("limits.maxHeaderSize", Integer.toString(MAX_HEADER_SIZE)));
        Configs config = Configs.document();
        config.service("echo", upstream.port());
        config.route("all", "echo", "/");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void listenerAnnouncesFactorOfLimit() {
        assertThat(Http2HeadGuard.announcedHeaderListSize(MAX_HEADER_SIZE)).isEqualTo(ANNOUNCED);
        assertThat(Http2HeadGuard.announcedHeaderListSize(Integer.MAX_VALUE)).isEqualTo(0xFFFFFFFFL);
    }

    @ParameterizedTest
    @ValueSource(ints = {4_100, 6_000, 10_000})
    void oversizedListGetsProblemOnItsStream(int valueLength) throws Exception {
        Http2Headers oversized = request("/oversized");
        oversized.add("x-big", randomValue(valueLength));
        assertThat(Http2HeadGuard.headerListSize(oversized)).as("header list size").isGreaterThan(MAX_HEADER_SIZE)
                .isLessThanOrEqualTo(ANNOUNCED);
        int before = upstream.requests("/oversized");

        Exchange exchange = sendWithFollowingRequest(oversized);

        Http2Wire.Stream rejected = exchange.received().stream(1);
        assertThat(rejected.status()).isEqualTo(431);
        assertThat(rejected.headers().get("content-type")).hasToString("application/problem+json");
        JsonNode problem = Json.MAPPER.readTree(rejected.body());
        assertThat(problem.get("type").asText()).isEqualTo(PROBLEMS + "headers-too-large");
        assertThat(problem.get("detail").asText()).contains("limits.maxHeaderSize");
        assertThat(upstream.requests("/oversized")).isEqualTo(before);
        assertConnectionServesOn(exchange);
    }

    @Test
    void listAboveAnnouncedSizeGetsNetty431() throws Exception {
        Http2Headers oversized = request("/oversized");
        oversized.add("x-big", randomValue(20_000));
        assertThat(Http2HeadGuard.headerListSize(oversized)).as("header list size").isGreaterThan(ANNOUNCED);
        assertThat(encodedSize(oversized)).as("encoded block size").isLessThan(BLOCK_BOUND);
        int before = upstream.requests("/oversized");

        Exchange exchange = sendWithFollowingRequest(oversized);

        // Netty rejects the list while it decodes it, so the gateway never receives the request and adds no body.
        Http2Wire.Stream rejected = exchange.received().stream(1);
        assertThat(rejected.status()).isEqualTo(431);
        assertThat(rejected.body()).isEmpty();
        assertThat(upstream.requests("/oversized")).isEqualTo(before);
        assertConnectionServesOn(exchange);
    }

    @Test
    void blockAboveBoundClosesConnection() throws Exception {
        Http2Headers huge = request("/huge");
        huge.add("x-big", randomValue(40_000));
        assertThat(encodedSize(huge)).as("encoded block size").isGreaterThan(BLOCK_BOUND);

        Exchange exchange = sendWithFollowingRequest(huge);
        Http2Wire.Received other = Http2Wire.exchange(node.portico().httpPort(), request("/other"), QUIET_MILLIS);

        // Netty buffers no more than the bound of one block, so it cannot decode this one and keep its HPACK state
        // in step with the client's: the connection ends, and the request after the block is never read.
        assertThat(exchange.received().goAwayCode()).isEqualTo(Http2Error.PROTOCOL_ERROR.code());
        assertThat(exchange.closed()).isTrue();
        assertThat(exchange.received().stream(1).status()).isEqualTo(-1);
        assertThat(exchange.received().stream(3).status()).isEqualTo(-1);
        assertThat(other.stream(1).status()).isEqualTo(200);
        assertThat(other.goAwayCode()).isEqualTo(-1);
    }

    /** The frames the listener sent on one connection, and whether it closed the connection. */
    private record Exchange(Http2Wire.Received received, boolean closed) {
    }

    /**
     * Sends {@code headers} on stream 1 and an ordinary GET of {@code /after} on stream 3 of one connection, after
     * SETTINGS and the acknowledgement of the listener's SETTINGS, and reads until the listener is quiet or closes.
     */
    private static Exchange sendWithFollowingRequest(Http2Headers headers) throws Exception {
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeSettingsAck(ctx, ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
            writer.writeHeaders(ctx, 3, request("/after"), 0, true, ctx.newPromise());
        });
        RawHttp.ReceivedBytes bytes = RawHttp.sendBytes(node.portico().httpPort(), QUIET_MILLIS,
                RequestPathAttackTest.H2C_PREFACE, frames);
        return new Exchange(Http2Wire.decode(bytes.bytes()), bytes.closed());
    }

    /** Asserts that the request on stream 3 was served and that the listener kept the connection open. */
    private static void assertConnectionServesOn(Exchange exchange) {
        assertThat(exchange.received().stream(3).status()).isEqualTo(200);
        assertThat(exchange.received().goAwayCode()).isEqualTo(-1);
        assertThat(exchange.closed()).isFalse();
    }

    private static Http2Headers request(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("a").path(path);
    }

    /** Returns random letters and digits, which HPACK's Huffman code shortens less than text that repeats. */
    private static String randomValue(int length) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        Random random = new Random(length);
        StringBuilder value = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            value.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return value.toString();
    }

    /** Returns the size of {@code headers} as the first HPACK-encoded header block of a connection. */
    private static int encodedSize(Http2Headers headers) throws Exception {
        ByteBuf block = Unpooled.buffer();
        try {
            new DefaultHttp2HeadersEncoder().encodeHeaders(1, headers, block);
            return block.readableBytes();
        } finally {
            block.release();
        }
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 floods against the h2c listener, written frame by frame: rapid reset (CVE-2023-44487) and CONTINUATION
 * floods. Each test is bounded in frames and time, and only ever targets the node it starts on 127.0.0.1.
 */
class Http2FloodTest {

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start(Map.of("limits.maxHeaderSize", "4096"));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void rapidResetClosesConnectionWithGoAway() throws Exception {
        // 300 streams opened and reset at once: more than the 200 resets per 30 seconds the listener allows.
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            for (int stream = 1; stream < 600; stream += 2) {
                writer.writeHeaders(ctx, stream, request("/flood"), 0, false, ctx.newPromise());
                writer.writeRstStream(ctx, stream, Http2Error.CANCEL.code(), ctx.newPromise());
            }
        });

        Received received = send(frames);

        assertThat(received.closed()).isTrue();
        assertThat(received.goAwayError()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM.code());
    }

    @Test
    void continuationFloodClosesConnection() throws Exception {
        // One header block that never ends: 200 CONTINUATION frames of 1 KiB, far above the 4 KiB header list limit.
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            byte[] fragment = new byte[1024];
            java.util.Arrays.fill(fragment, (byte) 0x40);
            writer.writeFrame(ctx, Http2FrameTypes.HEADERS, 1, new Http2Flags().endOfStream(true),
                    Unpooled.wrappedBuffer(fragment), ctx.newPromise());
            for (int i = 0; i < 200; i++) {
                writer.writeFrame(ctx, Http2FrameTypes.CONTINUATION, 1, new Http2Flags(),
                        Unpooled.wrappedBuffer(fragment), ctx.newPromise());
            }
        });

        Received received = send(frames);

        assertThat(received.closed()).isTrue();
        assertThat(received.goAwayError()).isNotNull();
    }

    @Test
    void headerListAboveLimitIsAnswered431() throws Exception {
        Http2Headers headers = request("/big");
        headers.add("x-big", "b".repeat(6_000));
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
        });

        Received received = send(frames);

        assertThat(Http2Wire.decode(received.bytes()).stream(1).status()).isEqualTo(431);
    }

    private static Http2Headers request(String path) {
        return new DefaultHttp2Headers().method("GET").scheme("http").authority("a").path(path);
    }

    /** Writes the preface and {@code frames}, then reads until the gateway closes or stays quiet for 2 seconds. */
    private static Received send(byte[] frames) throws IOException {
        RawHttp.ReceivedBytes received = RawHttp.sendBytes(node.portico().httpPort(), 2_000,
                RequestPathAttackTest.H2C_PREFACE, frames);
        return new Received(received.bytes(), received.closed());
    }

    /** The frames the gateway sent, and whether it closed the connection. */
    private record Received(byte[] bytes, boolean closed) {

        /** Returns the error code of the first GOAWAY frame, or null when there is none. */
        Long goAwayError() {
            for (int at = 0; at + 9 <= bytes.length; at += 9 + length(at)) {
                if (bytes[at + 3] == Http2FrameTypes.GO_AWAY && at + 17 <= bytes.length) {
                    return (long) readInt(at + 13) & 0xffffffffL;
                }
            }
            return null;
        }

        private int length(int at) {
            return (bytes[at] & 0xff) << 16 | (bytes[at + 1] & 0xff) << 8 | bytes[at + 2] & 0xff;
        }

        private int readInt(int at) {
            return (bytes[at] & 0xff) << 24 | (bytes[at + 1] & 0xff) << 16 | (bytes[at + 2] & 0xff) << 8
                    | bytes[at + 3] & 0xff;
        }
    }
}

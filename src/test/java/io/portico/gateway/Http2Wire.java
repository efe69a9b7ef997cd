package io.portico.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;

/**
 * Writes HTTP/2 frames by hand and decodes the frames a server sends back, for requests that HTTP/2 client libraries
 * refuse to send, such as header field names with a colon or a space.
 */
final class Http2Wire {

    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** Upper bound for a TLS handshake with the node; reached only when a test fails. */
    private static final int HANDSHAKE_TIMEOUT_MILLIS = 10_000;

    private Http2Wire() {
    }

    /** What a server sent on one stream: the status and headers, the body, and the RST_STREAM code, or -1. */
    record Stream(Http2Headers headers, String body, long resetCode) {

        /** Returns the {@code :status} of the response, or -1 when no response head arrived. */
        int status() {
            CharSequence status = headers == null ? null : headers.status();
            return status == null ? -1 : Integer.parseInt(status.toString());
        }
    }

    /** The frames a server sent on one connection, by stream, and the GOAWAY error code, or -1. */
    record Received(Map<Integer, Stream> streams, long goAwayCode) {

        /** Returns what arrived on {@code streamId}; a stream with no frames has no headers and no reset. */
        Stream stream(int streamId) {
            return streams.getOrDefault(streamId, new Stream(null, "", -1));
        }
    }

    /** Returns a request head without header validation, so that it can carry what a compliant encoder refuses. */
    static Http2Headers request(String method, String authority, String path) {
        Http2Headers headers = new DefaultHttp2Headers(false);
        headers.method(method).scheme("http").authority(authority).path(path);
        return headers;
    }

    /**
     * Sends the connection preface, SETTINGS and {@code headers} as a complete request on stream 1 to the h2c
     * listener on {@code port}, and decodes what the server sends until it closes the connection or is silent for
     * {@code waitMillis}.
     */
    static Received exchange(int port, Http2Headers headers, long waitMillis) throws IOException {
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
        });
        RawHttp.ReceivedBytes received = RawHttp.sendBytes(port, waitMillis, PREFACE, frames);
        return decode(received.bytes());
    }

    /**
     * Sends the same request as {@link #exchange}, but with a HEADERS frame that leaves the stream open and one DATA
     * frame with {@code body} that ends it.
     */
    static Received exchange(int port, Http2Headers headers, String body, long waitMillis) throws IOException {
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, false, ctx.newPromise());
            ByteBuf data = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
            writer.writeData(ctx, 1, data, 0, true, ctx.newPromise());
        });
        RawHttp.ReceivedBytes received = RawHttp.sendBytes(port, waitMillis, PREFACE, frames);
        return decode(received.bytes());
    }

    /** Returns and removes the bytes that were written to {@code channel}, an in-memory channel. */
    static byte[] outbound(EmbeddedChannel channel) {
        channel.flushOutbound();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (ByteBuf buffer; (buffer = channel.readOutbound()) != null; ) {
            byte[] array = new byte[buffer.readableBytes()];
            buffer.readBytes(array);
            buffer.release();
            bytes.write(array, 0, array.length);
        }
        return bytes.toByteArray();
    }

    /**
     * Sends the same request as {@link #exchange} over TLS with ALPN {@code h2} to the HTTPS listener on
     * {@code port}, trusting any certificate, and decodes what the server sends back.
     */
    static Received exchangeTls(int port, Http2Headers headers, long waitMillis) throws IOException {
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, true, ctx.newPromise());
        });
        SSLContext context;
        try {
            context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {new RawHttp.TrustAll()}, null);
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS is not available", e);
        }
        try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port)) {
            SSLParameters parameters = socket.getSSLParameters();
            parameters.setApplicationProtocols(new String[] {"h2"});
            socket.setSSLParameters(parameters);
            socket.setSoTimeout(HANDSHAKE_TIMEOUT_MILLIS);
            socket.startHandshake();
            socket.setSoTimeout((int) waitMillis);
            socket.getOutputStream().write(PREFACE);
            socket.getOutputStream().write(frames);
            socket.getOutputStream().flush();
            ByteArrayOutputStream received = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            try {
                for (int read; (read = socket.getInputStream().read(buffer)) >= 0; ) {
                    received.write(buffer, 0, read);
                }
            } catch (SocketTimeoutException | SSLException e) {
                // The server kept the connection open, or closed it without a TLS close_notify.
            }
            return decode(received.toByteArray());
        }
    }

    /** Decodes the frames in {@code bytes}, which a server sent after the client's preface. */
    static Received decode(byte[] bytes) {
        Map<Integer, Http2Headers> heads = new HashMap<>();
        Map<Integer, ByteArrayOutputStream> bodies = new HashMap<>();
        Map<Integer, Long> resets = new HashMap<>();
        long[] goAway = {-1};
        Http2FrameAdapter listener = new Http2FrameAdapter() {
            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers, int padding,
                                      boolean endStream) {
                heads.putIfAbsent(streamId, headers);
            }

            @Override
            public void onHeadersRead(ChannelHandlerContext ctx, int streamId, Http2Headers headers,
                                      int streamDependency, short weight, boolean exclusive, int padding,
                                      boolean endStream) {
                heads.putIfAbsent(streamId, headers);
            }

            @Override
            public int onDataRead(ChannelHandlerContext ctx, int streamId, ByteBuf data, int padding,
                                  boolean endOfStream) {
                int length = data.readableBytes();
                byte[] chunk = new byte[length];
                data.readBytes(chunk);
                bodies.computeIfAbsent(streamId, id -> new ByteArrayOutputStream()).writeBytes(chunk);
                return length + padding;
            }

            @Override
            public void onRstStreamRead(ChannelHandlerContext ctx, int streamId, long errorCode) {
                resets.put(streamId, errorCode);
            }

            @Override
            public void onGoAwayRead(ChannelHandlerContext ctx, int lastStreamId, long errorCode, ByteBuf debugData) {
                goAway[0] = errorCode;
            }
        };
        EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter());
        ByteBuf input = Unpooled.wrappedBuffer(bytes);
        try (DefaultHttp2FrameReader reader = new DefaultHttp2FrameReader(new DefaultHttp2HeadersDecoder(false))) {
            reader.readFrame(channel.pipeline().firstContext(), input, listener);
        } catch (Http2Exception e) {
            throw new IllegalStateException("the server sent frames that cannot be decoded", e);
        } finally {
            input.release();
            channel.finishAndReleaseAll();
        }
        Map<Integer, Stream> streams = new HashMap<>();
        Set<Integer> ids = new TreeSet<>(heads.keySet());
        ids.addAll(bodies.keySet());
        ids.addAll(resets.keySet());
        for (Integer id : ids) {
            ByteArrayOutputStream body = bodies.get(id);
            streams.put(id, new Stream(heads.get(id), body == null ? "" : body.toString(StandardCharsets.UTF_8),
                    resets.getOrDefault(id, -1L)));
        }
        return new Received(streams, goAway[0]);
    }
}

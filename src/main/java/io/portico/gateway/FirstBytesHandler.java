package io.portico.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.http.HttpServerOptions;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The first handler of a plain gateway connection. It keeps the client's first bytes until they show whether the
 * client speaks HTTP/2 with prior knowledge. For HTTP/1.x, it makes Vert.x build its HTTP/1.x pipeline with one
 * empty line, which the request decoder skips (RFC 9112 section 2.2), swaps in the {@link StrictRequestDecoder}
 * while that decoder holds no byte, and only then passes the client's bytes on. It also closes a connection that
 * sends nothing within the header timeout. Removes itself after the first bytes.
 */
final class FirstBytesHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] HTTP2_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] EMPTY_LINE = {'\r', '\n'};

    private final HttpServerOptions options;
    private final long headerTimeoutMillis;
    private ByteBuf firstBytes;
    private ScheduledFuture<?> silenceDeadline;

    FirstBytesHandler(HttpServerOptions options, long headerTimeoutMillis) {
        this.options = options;
        this.headerTimeoutMillis = headerTimeoutMillis;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        silenceDeadline = ctx.executor().schedule(() -> ctx.close(), headerTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ctx.fireChannelRead(msg);
            return;
        }
        silenceDeadline.cancel(false);
        firstBytes = firstBytes == null ? bytes : Unpooled.wrappedBuffer(firstBytes, bytes);
        int compared = Math.min(firstBytes.readableBytes(), HTTP2_PREFACE.length);
        boolean prefaceSoFar = true;
        for (int i = 0; i < compared && prefaceSoFar; i++) {
            prefaceSoFar = firstBytes.getByte(firstBytes.readerIndex() + i) == HTTP2_PREFACE[i];
        }
        if (prefaceSoFar && compared < HTTP2_PREFACE.length) {
            return;
        }
        if (!prefaceSoFar) {
            ctx.fireChannelRead(Unpooled.wrappedBuffer(EMPTY_LINE));
            StrictDecoding.replaceDecoder(ctx.pipeline(), options, headerTimeoutMillis);
        }
        ByteBuf first = firstBytes;
        firstBytes = null;
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(first);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        silenceDeadline.cancel(false);
        if (firstBytes != null) {
            firstBytes.release();
            firstBytes = null;
        }
    }
}

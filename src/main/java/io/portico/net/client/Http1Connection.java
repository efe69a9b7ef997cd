package io.portico.net.client;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpContentDecompressor;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.MultiMap;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import java.io.IOException;

/**
 * One HTTP/1.1 connection to a server and the exchange it carries, last in its channel's pipeline. It carries one
 * exchange at a time: the connection goes back to its pool only after the response was read to its end, the request
 * was written whole, and the server did not ask to close.
 */
final class Http1Connection extends ChannelInboundHandlerAdapter {

    static final String CODEC = "codec";
    private static final String INFLATER = "inflater";

    private final ConnectionPool pool;
    private final Channel channel;
    private Http1Exchange exchange;
    private boolean written;
    /** True when an earlier exchange used this connection, so the server may have closed it while it was idle. */
    private boolean reused;
    private boolean keepAlive;
    private boolean informational;
    private boolean inflating;
    private boolean released;
    /** When the connection last went back to its pool, from {@link System#nanoTime()}. */
    private long idleSince;

    Http1Connection(ConnectionPool pool, Channel channel) {
        this.pool = pool;
        this.channel = channel;
    }

    Channel channel() {
        return channel;
    }

    long idleSince() {
        return idleSince;
    }

    boolean isUsable() {
        return channel.isActive() && !released;
    }

    /** Writes the request of {@code next}. {@code reused} is true when an earlier exchange used this connection. */
    void send(Http1Exchange next, boolean reused) {
        exchange = next;
        written = false;
        keepAlive = true;
        this.reused = reused;
        next.sending(this);
        StreamedBody body = next.streamedBody();
        if (body != null) {
            // A failed write of the head or a chunk reaches exceptionCaught through the void promise. The head is
            // flushed at once, so the server receives the head even while the client is slow to send its body.
            channel.writeAndFlush(next.requestHead(), channel.voidPromise());
            body.start(channel, () -> bodyWritten(next), cause -> bodyFailed(next, cause));
            return;
        }
        ChannelFuture write = channel.writeAndFlush(next.requestToWrite());
        write.addListener(done -> {
            if (done.isSuccess()) {
                written = true;
                return;
            }
            writeFailed(next, reused, done.cause());
        });
    }

    private void bodyWritten(Http1Exchange sent) {
        if (exchange == sent) {
            written = true;
        }
    }

    /** Fails the exchange whose body source failed. The connection closes, because the request is incomplete. */
    private void bodyFailed(Http1Exchange failed, Throwable cause) {
        if (exchange == failed) {
            failed.abort(cause);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        Http1Exchange current = exchange;
        if (current != null && current.streamedBody() != null) {
            current.streamedBody().writabilityChanged();
        }
        ctx.fireChannelWritabilityChanged();
    }

    private void writeFailed(Http1Exchange failed, boolean reused, Throwable cause) {
        if (exchange != failed) {
            return;
        }
        exchange = null;
        channel.close();
        // The request failed before the server could read it, so sending it again cannot run it twice.
        // NOTE: no test forces a write failure on a kept-alive connection, so this retry has not been run.
        if (reused && failed.retryOnce()) {
            pool.acquireNew(failed);
            return;
        }
        failed.fail(cause instanceof IOException ? cause : new IOException("sending the request failed", cause));
    }

    void autoRead(boolean on) {
        channel.config().setAutoRead(on);
    }

    void markIdle() {
        exchange = null;
        idleSince = System.nanoTime();
        if (!channel.config().isAutoRead()) {
            channel.config().setAutoRead(true);
        }
    }

    /** Closes the connection for an exchange that was reset, so the rest of its response is never read. */
    void abort() {
        exchange = null;
        released = true;
        channel.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpObject object && object.decoderResult().isFailure()) {
                broken(object.decoderResult());
                return;
            }
            if (msg instanceof HttpResponse response && head(ctx, response)) {
                return;
            }
            if (msg instanceof HttpContent content) {
                body(content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    /**
     * Handles a response head; returns true when it went to a decompressor to be read again. Interim responses
     * (1xx) are skipped, except {@code 101 Switching Protocols}: this client never asks for an upgrade, so a 101
     * fails the exchange. Netty's decoder reads the bytes after a 101 as another protocol, or as a body until the
     * connection closes when the 101 names {@code websocket} without {@code Sec-WebSocket-Accept}, and relaying
     * the 101 would make a proxy in front of the caller treat the connection as a tunnel.
     */
    private boolean head(ChannelHandlerContext ctx, HttpResponse response) {
        int code = response.status().code();
        if (code == 101) {
            invalid(new InvalidResponseException("invalid response from " + origin() + ": 101 Switching Protocols"
                    + " to a request that asked for no upgrade"));
            return false;
        }
        if (code >= 100 && code < 200) {
            informational = true;
            return false;
        }
        if (!inflating && pool.decompress() && response.headers().contains(HttpHeaderNames.CONTENT_ENCODING)) {
            inflate(ctx, response);
            return true;
        }
        keepAlive = HttpUtil.isKeepAlive(response);
        if (exchange == null) {
            channel.close();
            return false;
        }
        exchange.head(code, headers(response));
        return false;
    }

    /** Puts a decompressor in front of this handler for one response, so a compressed body reaches the caller plain. */
    private void inflate(ChannelHandlerContext ctx, HttpResponse response) {
        inflating = true;
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addBefore(ctx.name(), INFLATER, new HttpContentDecompressor());
        ReferenceCountUtil.retain(response);
        pipeline.context(CODEC).fireChannelRead(response);
    }

    private static MultiMap headers(HttpResponse response) {
        if (response.headers() instanceof MultiMap map) {
            return map;
        }
        HeadersMultiMap copy = HeadersMultiMap.httpHeaders();
        copy.add(response.headers());
        return copy;
    }

    private void body(HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (informational) {
            informational = !last;
            return;
        }
        Http1Exchange current = exchange;
        if (current != null) {
            current.content(content.content().retain(), last);
        }
        if (last) {
            finish(current);
        }
    }

    private void finish(Http1Exchange current) {
        if (inflating) {
            inflating = false;
            channel.pipeline().remove(INFLATER);
        }
        exchange = null;
        if (keepAlive && written && current != null && channel.isActive()) {
            pool.release(this);
        } else {
            released = true;
            channel.close();
        }
        if (current != null) {
            current.end();
        }
    }

    private void broken(DecoderResult result) {
        invalid(new InvalidResponseException("invalid response from " + origin() + ": "
                + result.cause().getMessage(), result.cause()));
    }

    /** Closes the connection and fails its exchange, because the response cannot be relayed or framed. */
    private void invalid(InvalidResponseException cause) {
        Http1Exchange current = exchange;
        exchange = null;
        released = true;
        channel.close();
        if (current != null) {
            current.fail(cause);
        }
    }

    private String origin() {
        return pool.origin().host() + ":" + pool.origin().port();
    }

    /**
     * Sends an idempotent request once more on a new connection when this kept-alive connection broke before any
     * response byte arrived. A server may close an idle connection just as the client reuses it, and repeating an
     * idempotent request is safe (RFC 9110 section 9.2.2).
     */
    private boolean retryElsewhere(Http1Exchange current) {
        if (!reused || informational || !current.idempotent() || !current.retryOnce()) {
            return false;
        }
        pool.acquireNew(current);
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        released = true;
        pool.closed(this);
        Http1Exchange current = exchange;
        exchange = null;
        if (current != null && !retryElsewhere(current)) {
            current.fail(new IOException("connection to " + pool.origin().host() + ":" + pool.origin().port()
                    + " closed before the response ended"));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Http1Exchange current = exchange;
        exchange = null;
        released = true;
        ctx.close();
        if (current != null && !retryElsewhere(current)) {
            current.fail(cause);
        }
    }
}

package io.portico.net.client;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.ReferenceCountUtil;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipException;

/**
 * One HTTP/1.1 connection to a server and the exchange it carries, last in its channel's pipeline. It writes requests
 * with {@link RequestWriter} and reads responses with a {@link ResponseParser}. It carries one exchange at a time: the
 * connection goes back to its pool only after the response was read to its end, the request was written whole, and
 * the server did not ask to close.
 */
final class Http1Connection extends ChannelInboundHandlerAdapter implements ResponseParser.Listener {

    private final ConnectionPool pool;
    private final Channel channel;
    private final ResponseParser parser;
    private Http1Exchange exchange;
    private boolean written;
    /** True when an earlier exchange used this connection, so the server may have closed it while it was idle. */
    private boolean reused;
    private boolean keepAlive;
    /** Decompresses the body of the current response, or null when it is passed on as sent. */
    private BodyInflater inflater;
    /** True when the compressed body ended but its output still waits for the exchange to resume. */
    private boolean inflatedBodyEnded;
    /** True while {@link #inflate} hands output on, so that a handler that resumes the exchange does not re-enter. */
    private boolean inflating;
    private boolean released;
    /** When the connection last went back to its pool, from {@link System#nanoTime()}. */
    private long idleSince;
    /**
     * Maximum idle time in ns after which the connection is not reused. It is the pool's idle timeout, or less when
     * the last response announced a shorter one in its {@code Keep-Alive} header (see {@link KeepAliveTimeout}).
     */
    private long reuseLimitNanos;

    Http1Connection(ConnectionPool pool, Channel channel) {
        this.pool = pool;
        this.channel = channel;
        this.parser = new ResponseParser(this, channel.alloc());
        this.reuseLimitNanos = TimeUnit.MILLISECONDS.toNanos(pool.idleTimeoutMillis());
    }

    Channel channel() {
        return channel;
    }

    boolean isUsable() {
        return channel.isActive() && !released;
    }

    /** Returns true when the connection stayed idle too long to be reused at {@code now}, from nanoTime. */
    boolean idleExpired(long now) {
        return now - idleSince >= reuseLimitNanos;
    }

    /** Writes the request of {@code next}. {@code reused} is true when an earlier exchange used this connection. */
    void send(Http1Exchange next, boolean reused) {
        exchange = next;
        written = false;
        keepAlive = true;
        this.reused = reused;
        parser.expect(next.headRequest());
        next.sending(this);
        StreamedBody body = next.streamedBody();
        if (body != null) {
            // A failed write of the head or a chunk reaches exceptionCaught through the void promise. The head is
            // flushed at once, so the server receives the head even while the client is slow to send its body.
            channel.writeAndFlush(next.requestHead(channel.alloc()), channel.voidPromise());
            body.start(channel, next.chunkedBody(), () -> bodyWritten(next), cause -> bodyFailed(next, cause));
            return;
        }
        ChannelFuture write = channel.writeAndFlush(next.requestToWrite(channel.alloc()));
        write.addListener(done -> {
            if (done.isSuccess()) {
                written = true;
                return;
            }
            writeFailed(next, done.cause());
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

    /**
     * Fails the exchange whose request could not be written whole. The server may have read and acted on the part
     * that was written, so only an idempotent request is sent again, as after a close.
     */
    private void writeFailed(Http1Exchange failed, Throwable cause) {
        if (exchange != failed) {
            return;
        }
        exchange = null;
        channel.close();
        // NOTE: no test resends an idempotent request after a write failure, so that path has not been run.
        if (retryElsewhere(failed)) {
            return;
        }
        failed.fail(cause instanceof IOException ? cause : new IOException("sending the request failed", cause));
    }

    void autoRead(boolean on) {
        channel.config().setAutoRead(on);
    }

    /** Hands on the decompressed output held while the exchange was paused, then reads from the connection again. */
    void resumeReading() {
        Http1Exchange current = exchange;
        if (inflater != null && current != null) {
            inflate(current);
            if (exchange != current || current.paused()) {
                return;
            }
        }
        channel.config().setAutoRead(true);
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
        close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof ByteBuf bytes)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (exchange == null && !parser.inResponse()) {
            // Bytes on an idle connection belong to no request.
            bytes.release();
            close();
            return;
        }
        parser.read(bytes);
    }

    /**
     * Handles a response head. {@code 101 Switching Protocols} fails the exchange: this client never asks for an
     * upgrade, and relaying the 101 would make a proxy in front of the caller treat the connection as a tunnel.
     */
    @Override
    public void head(int status, boolean keepAlive, HeadersMultiMap headers) {
        if (status == 101) {
            invalid("101 Switching Protocols to a request that asked for no upgrade");
            return;
        }
        this.keepAlive = keepAlive;
        if (exchange == null) {
            close();
            return;
        }
        if (keepAlive) {
            limitReuse(headers);
        }
        if (pool.decompress()) {
            startInflater(headers);
        }
        exchange.head(status, headers);
    }

    /**
     * Sets how long the connection may stay idle after this response from its {@code Keep-Alive} header, and keeps
     * it out of the pool when the announced timeout leaves no idle time.
     */
    private void limitReuse(HeadersMultiMap headers) {
        long limitMillis = pool.idleTimeoutMillis();
        if (headers.contains(HttpHeaderNames.KEEP_ALIVE)) {
            limitMillis = KeepAliveTimeout.reuseLimitMillis(headers.getAll(HttpHeaderNames.KEEP_ALIVE), limitMillis);
        }
        if (limitMillis == 0) {
            keepAlive = false;
        }
        reuseLimitNanos = TimeUnit.MILLISECONDS.toNanos(limitMillis);
    }

    /**
     * Starts decompressing the body when it is gzip or deflate coded, and removes Content-Encoding and
     * Content-Length, which describe the coded body. Other codings pass on as sent.
     */
    private void startInflater(HeadersMultiMap headers) {
        String coding = headers.get(HttpHeaderNames.CONTENT_ENCODING);
        if (coding == null) {
            return;
        }
        inflater = BodyInflater.forCoding(coding, channel.alloc());
        if (inflater == null) {
            return;
        }
        headers.remove(HttpHeaderNames.CONTENT_ENCODING);
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
    }

    @Override
    public void content(ByteBuf piece) {
        Http1Exchange current = exchange;
        if (current == null) {
            piece.release();
            return;
        }
        if (inflater != null) {
            inflater.add(piece);
            inflate(current);
        } else {
            current.content(piece, false);
        }
    }

    @Override
    public void last(ByteBuf piece, boolean trailing) {
        Http1Exchange current = exchange;
        if (trailing) {
            keepAlive = false;
        }
        if (current == null) {
            piece.release();
        } else if (inflater != null) {
            inflater.add(piece);
            inflatedBodyEnded = true;
            inflate(current);
            if (inflatedBodyEnded) {
                // The exchange paused before all output was handed on, so resumeReading finishes the response. The
                // parser stops, so that no later byte is read as another response, and so the connection closes at
                // the finish.
                keepAlive = false;
                parser.stop();
            }
            return;
        } else {
            current.content(piece, true);
        }
        finish(current);
    }

    /**
     * Hands the decompressed body on to {@code current} one piece at a time, until the input received so far is used
     * up, the exchange pauses, or it ends. A body limit thus stops decompression within one piece of crossing it.
     * Finishes the response when the body ended and all of its output was handed on, or fails it when the body is
     * invalid in its coding.
     */
    private void inflate(Http1Exchange current) {
        if (inflating) {
            return;
        }
        BodyInflater decoder = inflater;
        boolean inputUsedUp = false;
        inflating = true;
        try {
            while (exchange == current && inflater == decoder && !current.paused()) {
                ByteBuf out = decoder.next();
                if (out == null) {
                    inputUsedUp = true;
                    break;
                }
                current.content(out, false);
            }
            if (inputUsedUp && inflatedBodyEnded) {
                decoder.finish();
            }
        } catch (ZipException e) {
            invalid(e.getMessage());
            return;
        } finally {
            inflating = false;
        }
        if (inputUsedUp && inflatedBodyEnded) {
            finish(current);
        }
    }

    private void endInflater() {
        BodyInflater decoder = inflater;
        inflater = null;
        inflatedBodyEnded = false;
        if (decoder != null) {
            decoder.close();
        }
    }

    private void finish(Http1Exchange current) {
        endInflater();
        exchange = null;
        if (keepAlive && written && current != null && channel.isActive()) {
            pool.release(this);
        } else {
            close();
        }
        if (current != null) {
            current.end();
        }
    }

    /** Closes the connection and fails its exchange, because the response cannot be relayed or framed. */
    @Override
    public void invalid(String reason) {
        Http1Exchange current = exchange;
        exchange = null;
        close();
        if (current != null) {
            current.fail(InvalidResponseException.from(origin(), reason));
        }
    }

    private void close() {
        released = true;
        parser.stop();
        endInflater();
        channel.close();
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
        if (!reused || parser.responseStarted() || !current.idempotent() || !current.retryOnce()) {
            return false;
        }
        pool.acquireNew(current);
        return true;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!pool.clientClosed()) {
            // A body that lasts until the server closes ends here. A close by the client itself cuts such a body.
            parser.closed();
        }
        if (inflatedBodyEnded && exchange != null) {
            // The whole body arrived, and its output waits for the paused exchange, which resumeReading finishes.
            released = true;
            pool.closed(this);
            ctx.fireChannelInactive();
            return;
        }
        close();
        pool.closed(this);
        Http1Exchange current = exchange;
        exchange = null;
        if (current != null && !retryElsewhere(current)) {
            current.fail(pool.closeFailure(
                    new IOException("connection to " + origin() + " closed before the response ended")));
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Http1Exchange current = exchange;
        exchange = null;
        close();
        if (current != null && !retryElsewhere(current)) {
            current.fail(cause);
        }
    }
}

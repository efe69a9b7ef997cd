package io.portico.net.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.util.ArrayDeque;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request sent by a {@link Http1Client} and its response. Every method must be called on the event loop
 * that sent the request, and every handler runs there.
 *
 * <p>After {@link Http1ResponseHandler#response} the response's content arrives in order at the content
 * handler, or whole at the body handler, then the end handler runs once. A failure after the response head (the
 * connection broke off) goes to the exception handler instead of the end handler. Nothing is called after
 * {@link #reset()}.
 */
public final class Http1Exchange implements ReadStream<Buffer> {

    private static final Logger LOG = LoggerFactory.getLogger(Http1Exchange.class);

    private enum State { WAITING, SENT, RECEIVING, DONE }

    private final ContextInternal context;
    private final Origin origin;
    private final HttpMethod method;
    private final String uri;
    private final HeadersMultiMap requestHeaders;
    private final ByteBuf body;
    private StreamedBody streamedBody;
    private final long connectTimeoutMillis;
    private final long waitTimeoutMillis;
    private final Http1ResponseHandler responseHandler;
    private State state = State.WAITING;
    private boolean retried;
    /** True while a connection carries the request, which the server may then have read. */
    private boolean sent;
    private Http1Connection connection;
    private ConnectionPool pool;
    private Future<?> waitTimer;
    private int status;
    private MultiMap headers;
    private Handler<Buffer> contentHandler;
    private Handler<Buffer> bodyHandler;
    private Buffer aggregated;
    /** The largest content the body handler collects, in bytes. */
    private long maxBodyBytes = Long.MAX_VALUE;
    /** Whether content over {@link #maxBodyBytes} is cut to its start, rather than failing the exchange. */
    private boolean keepBodyStart;
    private Handler<Void> endHandler;
    private Handler<Buffer> lastContentHandler;
    /** The last piece of content, held from {@link #content} to {@link #end} for the last content handler. */
    private Buffer lastPiece;
    private Handler<Throwable> exceptionHandler;
    private boolean paused;
    /** Content, and the end as {@link #END}, that arrived while paused. */
    private ArrayDeque<Object> pending;
    private static final Object END = new Object();

    Http1Exchange(ContextInternal context, Origin origin, HttpMethod method, String uri,
                  HeadersMultiMap requestHeaders,
                  ByteBuf body, long connectTimeoutMillis, long waitTimeoutMillis,
                  Http1ResponseHandler responseHandler) {
        this.context = context;
        this.origin = origin;
        this.method = method;
        this.uri = uri;
        this.requestHeaders = requestHeaders;
        this.body = body;
        this.connectTimeoutMillis = connectTimeoutMillis;
        this.waitTimeoutMillis = waitTimeoutMillis;
        this.responseHandler = responseHandler;
    }

    /** Returns the response status code, or 0 before the response arrived. */
    public int status() {
        return status;
    }

    /** Returns the response headers, or null before the response arrived. */
    public MultiMap headers() {
        return headers;
    }

    /**
     * Returns true once a connection took the request, so the server may have read it. Stays false for a request
     * that failed while it waited for a pool or a new connection.
     */
    public boolean wasSent() {
        return sent;
    }

    /** Receives each piece of the response content, in order. */
    @Override
    public Http1Exchange handler(Handler<Buffer> handler) {
        this.contentHandler = handler;
        return this;
    }

    /** Collects the whole response content and hands it to {@code handler} at the end, in place of the end handler. */
    public Http1Exchange bodyHandler(Handler<Buffer> handler) {
        return bodyHandler(Long.MAX_VALUE, handler);
    }

    /**
     * Collects the response content like {@link #bodyHandler(Handler)}, up to {@code maxBytes}. Content beyond it
     * aborts the exchange with a {@link ResponseTooLargeException} for the exception handler, so a server cannot make
     * the client buffer without bound.
     */
    public Http1Exchange bodyHandler(long maxBytes, Handler<Buffer> handler) {
        this.bodyHandler = handler;
        this.maxBodyBytes = maxBytes;
        this.keepBodyStart = false;
        return this;
    }

    /**
     * Collects the response content like {@link #bodyHandler(Handler)}, but hands only its first {@code maxBytes} to
     * {@code handler} when it is longer, and then closes the connection without reading the rest. For error bodies,
     * whose start is enough for a message.
     */
    public Http1Exchange bodyStartHandler(long maxBytes, Handler<Buffer> handler) {
        this.bodyHandler = handler;
        this.maxBodyBytes = maxBytes;
        this.keepBodyStart = true;
        return this;
    }

    /** Runs when the response was read to its end. */
    @Override
    public Http1Exchange endHandler(Handler<Void> handler) {
        this.endHandler = handler;
        return this;
    }

    /**
     * Receives the last piece of content and the end of the response together, in place of the content handler and
     * the end handler, when both arrive in one read while the exchange is not paused. A caller that relays the body
     * can then write it and end its own response in one write.
     */
    public Http1Exchange lastContentHandler(Handler<Buffer> handler) {
        this.lastContentHandler = handler;
        return this;
    }

    /** Receives a failure that happens after the response head: the connection broke off or timed out. */
    @Override
    public Http1Exchange exceptionHandler(Handler<Throwable> handler) {
        this.exceptionHandler = handler;
        return this;
    }

    /** Stops reading from the connection until {@link #resume()}; content already read is held back. */
    @Override
    public Http1Exchange pause() {
        if (!paused) {
            paused = true;
            if (connection != null) {
                connection.autoRead(false);
            }
        }
        return this;
    }

    /** Delivers what was held back and reads from the connection again. */
    @Override
    public Http1Exchange resume() {
        if (!paused) {
            return this;
        }
        paused = false;
        while (!paused && pending != null && !pending.isEmpty()) {
            Object next = pending.poll();
            if (next == END) {
                deliverEnd();
            } else {
                deliverContent((Buffer) next);
            }
        }
        if (!paused && connection != null) {
            connection.resumeReading();
        }
        return this;
    }

    /** Same as {@link #resume()}: the exchange delivers content as it arrives, so demand is not counted. */
    @Override
    public Http1Exchange fetch(long amount) {
        return resume();
    }

    /**
     * Aborts the exchange: a waiting request leaves the queue, and a connection that carries the request closes.
     * Does nothing once the response was read to its end. No handler runs afterwards.
     */
    public void reset() {
        if (state != State.DONE) {
            close(state);
        }
    }

    /**
     * Aborts the exchange like {@link #reset()} and reports {@code cause} as its failure: to
     * {@link Http1ResponseHandler#failed} before the response head, to the exception handler after it. Does nothing
     * once the exchange is done.
     */
    public void abort(Throwable cause) {
        if (state != State.DONE) {
            State was = state;
            close(was);
            report(was, cause);
        }
    }

    private void close(State was) {
        state = State.DONE;
        lastPiece = null;
        detachBody();
        if (was == State.WAITING && pool != null) {
            pool.cancelWaiting(this);
        }
        Http1Connection current = connection;
        connection = null;
        if (current != null) {
            current.abort();
        }
    }

    // ---- Called by the pool and the connection, on the event loop ----

    Origin origin() {
        return origin;
    }

    long connectTimeoutMillis() {
        return connectTimeoutMillis;
    }

    long waitTimeoutMillis() {
        return waitTimeoutMillis;
    }

    /** Returns true for the idempotent methods of RFC 9110 section 9.2.2, which may be sent twice. */
    boolean idempotent() {
        return method == HttpMethod.GET || method == HttpMethod.HEAD || method == HttpMethod.OPTIONS
                || method == HttpMethod.TRACE || method == HttpMethod.PUT || method == HttpMethod.DELETE;
    }

    /** Returns true between {@link #pause()} and {@link #resume()}. */
    boolean paused() {
        return paused;
    }

    /** Returns true once the response was read to its end, the exchange failed, or it was reset. */
    boolean isDone() {
        return state == State.DONE;
    }

    /** Notes that the exchange waits in {@code pool} for a connection until {@code timer} fires. */
    void waitIn(ConnectionPool pool, Future<?> timer) {
        this.pool = pool;
        this.waitTimer = timer;
    }

    /** Notes that the exchange left its pool's queue. */
    void dequeued() {
        if (waitTimer != null) {
            waitTimer.cancel(false);
            waitTimer = null;
        }
        pool = null;
    }

    /** Makes the request body stream from {@code body}, so the request is never sent twice. */
    void streamBody(StreamedBody body) {
        this.streamedBody = body;
    }

    /** Returns the body that streams after the request head, or null when the request is written whole. */
    StreamedBody streamedBody() {
        return streamedBody;
    }

    private void detachBody() {
        if (streamedBody != null) {
            streamedBody.detach();
        }
    }

    /** Returns true for a HEAD request, whose response has no body whatever its head declares. */
    boolean headRequest() {
        return method == HttpMethod.HEAD;
    }

    /** Returns the request line and header section of a request whose body streams. */
    ByteBuf requestHead(ByteBufAllocator allocator) {
        return RequestWriter.request(allocator, method, uri, requestHeaders, null);
    }

    /** Returns true when the streamed body goes out with chunked transfer coding rather than a Content-Length. */
    boolean chunkedBody() {
        return !requestHeaders.contains(HttpHeaderNames.CONTENT_LENGTH);
    }

    /** Returns the request to write, with a fresh view of the body so that a retry can write it again. */
    ByteBuf requestToWrite(ByteBufAllocator allocator) {
        return RequestWriter.request(allocator, method, uri, requestHeaders, body);
    }

    void sending(Http1Connection connection) {
        this.connection = connection;
        this.state = State.SENT;
        this.sent = true;
        context.dispatch(this, responseHandler::sent);
    }

    /** Returns true when a failed send may be tried once more on a new connection. */
    boolean retryOnce() {
        if (retried || state != State.SENT || streamedBody != null) {
            return false;
        }
        retried = true;
        sent = false;
        connection = null;
        state = State.WAITING;
        return true;
    }

    void head(int status, MultiMap headers) {
        if (state != State.SENT) {
            return;
        }
        this.status = status;
        this.headers = headers;
        state = State.RECEIVING;
        context.dispatch(this, responseHandler::response);
        if (state == State.RECEIVING && connection != null && paused) {
            connection.autoRead(false);
        }
    }

    /**
     * Delivers a piece of the response content.
     *
     * @param last whether the piece ends the response, which {@link #end} then follows at once
     */
    void content(ByteBuf content, boolean last) {
        if (state != State.RECEIVING || !content.isReadable()) {
            content.release();
            return;
        }
        Buffer piece = BufferInternal.safeBuffer(content);
        if (last && lastContentHandler != null && bodyHandler == null && !paused) {
            lastPiece = piece;
            return;
        }
        if (bodyHandler != null) {
            collect(piece);
            return;
        }
        if (paused) {
            queue(piece);
        } else {
            deliverContent(piece);
        }
    }

    /** Adds {@code piece} to the collected body, and ends the exchange once the body exceeds its limit. */
    private void collect(Buffer piece) {
        long size = (aggregated == null ? 0 : aggregated.length()) + (long) piece.length();
        if (size > maxBodyBytes) {
            if (keepBodyStart) {
                int room = (int) (maxBodyBytes - (aggregated == null ? 0 : aggregated.length()));
                Buffer start = aggregated == null ? Buffer.buffer() : aggregated;
                start.appendBuffer(piece, 0, room);
                Handler<Buffer> handler = bodyHandler;
                aggregated = null;
                close(state);
                context.dispatch(start, handler);
            } else {
                aggregated = null;
                abort(new ResponseTooLargeException(maxBodyBytes));
            }
            return;
        }
        if (aggregated == null) {
            aggregated = piece;
        } else {
            aggregated.appendBuffer(piece);
        }
    }

    /** Marks the response as read to its end; the connection is already back in its pool or closed. */
    void end() {
        if (state != State.RECEIVING) {
            return;
        }
        detachBody();
        connection = null;
        if (lastPiece != null) {
            Buffer piece = lastPiece;
            lastPiece = null;
            state = State.DONE;
            context.dispatch(piece, lastContentHandler);
        } else if (paused) {
            queue(END);
        } else {
            deliverEnd();
        }
    }

    /** Fails the exchange: through the response handler before the response head, the exception handler after. */
    void fail(Throwable cause) {
        State was = state;
        if (was == State.DONE) {
            return;
        }
        state = State.DONE;
        connection = null;
        lastPiece = null;
        detachBody();
        report(was, cause);
    }

    private void report(State was, Throwable cause) {
        if (was == State.RECEIVING) {
            if (exceptionHandler != null) {
                context.dispatch(cause, exceptionHandler);
            } else {
                LOG.debug("Response from {}:{} failed without an exception handler: {}", origin.host(),
                        origin.port(), cause.toString());
            }
        } else {
            context.dispatch(cause, responseHandler::failed);
        }
    }

    private void queue(Object item) {
        if (pending == null) {
            pending = new ArrayDeque<>(4);
        }
        pending.add(item);
    }

    private void deliverContent(Buffer piece) {
        if (state == State.RECEIVING && contentHandler != null) {
            context.dispatch(piece, contentHandler);
        }
    }

    private void deliverEnd() {
        if (state != State.RECEIVING) {
            return;
        }
        state = State.DONE;
        if (bodyHandler != null) {
            Buffer whole = aggregated != null ? aggregated : Buffer.buffer(0);
            aggregated = null;
            context.dispatch(whole, bodyHandler);
        } else if (endHandler != null) {
            context.dispatch(null, endHandler);
        }
    }
}

package io.portico.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.portico.problem.ProblemType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The checks that the strict HTTP/1.x request decoder adds to Netty's decoding of one connection: the rules of
 * {@link RequestHeadRules}, the byte checks of {@link HeadScanner}, the chunk size check of {@link ChunkScanner} and
 * a deadline for receiving each request head.
 *
 * <p>A rejected head becomes an invalid request message, as for Netty's own decoding errors, so Vert.x hands it to
 * the server's invalid request handler in order after any response in progress. Every byte after it is discarded
 * and the connection is closed once the rejection is sent, because the framing of what follows cannot be trusted.
 *
 * <p>The head deadline starts with the first byte of a request head and stops when the head is decoded, so an idle
 * keep-alive connection between two requests never gets 408. Vert.x stops reading from the channel when many
 * pipelined requests wait behind a response. Bytes the client sent in time may then still wait in the socket, so a
 * deadline that expires while the channel does not read starts over instead of rejecting the head.
 */
final class HeadGuard {

    /**
     * The channel attribute that contains the action that ends the dispatched request when its chunked body turns
     * out malformed. Without one, the failed body part goes on to Vert.x, which closes the connection without a
     * response.
     */
    static final AttributeKey<Runnable> MALFORMED_BODY = AttributeKey.valueOf(HeadGuard.class, "malformedBody");

    /** The detail of the 400 problem for a chunked body that Netty failed to decode. */
    static final String MALFORMED_CHUNKED_BODY =
            "the chunked request body is malformed: each chunk size and chunk must end with CRLF, and a chunk size "
            + "must be a hexadecimal number below 2^31";

    private final long headerTimeoutMillis;
    private final Supplier<HttpMessage> invalidMessages;
    private final HeadScanner scanner = new HeadScanner();
    private final ChunkScanner chunks = new ChunkScanner();
    private boolean readingHead = true;
    private boolean rejected;
    private ScheduledFuture<?> headDeadline;

    /**
     * Creates the guard of one connection.
     *
     * @param headerTimeoutMillis how long a client may take to send a request head, from its first byte
     * @param invalidMessages creates the placeholder request that carries a decoding failure
     */
    HeadGuard(long headerTimeoutMillis, Supplier<HttpMessage> invalidMessages) {
        this.headerTimeoutMillis = headerTimeoutMillis;
        this.invalidMessages = invalidMessages;
    }

    /** Returns true once a head was rejected; the decoder then discards every further byte. */
    boolean rejected() {
        return rejected;
    }

    /**
     * Checks a decoded request head before its body is read.
     *
     * @throws InvalidRequestHeadException with the first rule the request breaks
     */
    void checkHead(HttpMessage message) {
        if (message instanceof HttpRequest request) {
            RequestHeadRules.check(request);
        }
    }

    /**
     * Inspects what one call of the decoder consumed from {@code in} (from index {@code start}) and produced in
     * {@code out} (from index {@code produced}): applies the checks of {@link HeadScanner} and {@link ChunkScanner},
     * follows request boundaries and starts the head deadline when a new head has begun.
     */
    void afterDecode(ChannelHandlerContext ctx, ByteBuf in, int start, List<Object> out, int produced) {
        boolean consumed = in.readerIndex() > start;
        int bodyStart = chunks.active() ? start : -1;
        if (readingHead && consumed) {
            int stop = in.forEachByte(start, in.readerIndex() - start, scanner);
            if (stop >= 0 && scanner.violation() != null) {
                reject(out, produced, InvalidRequestHeadException.badRequest(scanner.violation()));
                in.skipBytes(in.readableBytes());
                return;
            }
            if (stop >= 0 && hasChunkedHead(out, produced)) {
                // The scanner stopped at the LF that ends the head, so the chunked body starts after it.
                chunks.start();
                bodyStart = stop + 1;
            }
        }
        if (bodyStart >= 0 && consumed) {
            chunks.scan(in, bodyStart, in.readerIndex());
            if (chunks.violation()) {
                failBody(out, produced);
                in.skipBytes(in.readableBytes());
            }
        }
        int malformedRequest = malformedChunkedRequest(out, produced);
        if (malformedRequest >= 0) {
            reject(out, malformedRequest, InvalidRequestHeadException.badRequest(MALFORMED_CHUNKED_BODY));
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!readingHead && rejectedDispatchedBody(ctx, out, produced)) {
            in.skipBytes(in.readableBytes());
            return;
        }
        track(ctx, out, produced);
        if (readingHead && !rejected && headDeadline == null && (scanner.started() || in.isReadable())) {
            scheduleDeadline(ctx);
        }
    }

    /**
     * Returns true when {@code out}, from index {@code produced}, contains the head of a chunked request and no failed
     * or last part of its body yet.
     */
    boolean inChunkedBody(List<Object> out, int produced) {
        boolean chunked = false;
        for (int i = produced; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpObject object && object.decoderResult().isFailure()
                    || message instanceof LastHttpContent) {
                return false;
            }
            if (message instanceof HttpRequest request) {
                chunked = HttpUtil.isTransferEncodingChunked(request);
            }
        }
        return chunked;
    }

    /** Returns true when {@code out}, from index {@code produced}, contains a valid head of a chunked request. */
    private static boolean hasChunkedHead(List<Object> out, int produced) {
        for (int i = produced; i < out.size(); i++) {
            if (out.get(i) instanceof HttpRequest request && request.decoderResult().isSuccess()
                    && HttpUtil.isTransferEncodingChunked(request)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Replaces the body parts in {@code out}, from index {@code produced}, with one failed body part, as Netty
     * produces for a chunk size it cannot parse. The checks that follow then reject the request as they do for
     * Netty's own failures.
     */
    private void failBody(List<Object> out, int produced) {
        int first = produced;
        while (first < out.size() && !isBodyPart(out.get(first))) {
            first++;
        }
        while (out.size() > first) {
            ReferenceCountUtil.release(out.remove(out.size() - 1));
        }
        HttpContent failed = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
        failed.setDecoderResult(DecoderResult.failure(new NumberFormatException("a chunk size is 2^31 or more")));
        out.add(failed);
        chunks.stop();
    }

    private static boolean isBodyPart(Object message) {
        return message instanceof HttpContent && !(message instanceof HttpMessage);
    }

    /**
     * Returns the index in {@code out} of a request head that a failed body part follows, or -1. Netty produces
     * such a part when the chunked framing is malformed, for example a chunk size line ended by LF alone or a chunk
     * size too large for an int.
     */
    private static int malformedChunkedRequest(List<Object> out, int produced) {
        int head = -1;
        for (int i = produced; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpRequest) {
                head = message instanceof HttpObject object && object.decoderResult().isFailure() ? -1 : i;
            } else if (head >= 0 && message instanceof HttpContent content && content.decoderResult().isFailure()) {
                return head;
            }
        }
        return -1;
    }

    /**
     * Handles a failed body part of a request dispatched by an earlier call: drops it, so Vert.x does not close the
     * connection before the gateway responds, and runs the {@link #MALFORMED_BODY} action once the parts before it
     * are delivered. Returns false, and changes nothing, when there is no such part or no action.
     */
    private boolean rejectedDispatchedBody(ChannelHandlerContext ctx, List<Object> out, int produced) {
        for (int i = produced; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpRequest) {
                return false;
            }
            if (message instanceof HttpContent content && content.decoderResult().isFailure()) {
                Runnable action = ctx.channel().attr(MALFORMED_BODY).getAndSet(null);
                if (action == null) {
                    return false;
                }
                while (out.size() > i) {
                    ReferenceCountUtil.release(out.remove(out.size() - 1));
                }
                rejected = true;
                cancelDeadline();
                ctx.executor().execute(action);
                return true;
            }
        }
        return false;
    }

    /** Cancels the head deadline, when the decoder leaves the pipeline or the connection closes. */
    void stop() {
        cancelDeadline();
    }

    /** Follows the messages Netty produced, to know whether the next bytes belong to a request head. */
    private void track(ChannelHandlerContext ctx, List<Object> out, int from) {
        for (int i = from; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpObject object && object.decoderResult().isFailure()) {
                rejected = true;
                cancelDeadline();
                if (message instanceof HttpMessage invalid) {
                    setResponseVersion(invalid);
                }
            }
            if (message instanceof HttpRequest) {
                readingHead = false;
                cancelDeadline();
                // The action of the previous request must not end this one; Vert.x dispatches it with its own.
                ctx.channel().attr(MALFORMED_BODY).set(null);
            }
            if (message instanceof LastHttpContent) {
                readingHead = true;
                scanner.reset();
                chunks.stop();
            }
        }
    }

    /** Replaces what this call produced with one invalid request that carries {@code cause}. */
    private void reject(List<Object> out, int from, InvalidRequestHeadException cause) {
        while (out.size() > from) {
            ReferenceCountUtil.release(out.remove(out.size() - 1));
        }
        out.add(invalidRequest(cause));
        rejected = true;
        cancelDeadline();
    }

    private HttpMessage invalidRequest(InvalidRequestHeadException cause) {
        HttpMessage message = invalidMessages.get();
        setResponseVersion(message);
        message.setDecoderResult(DecoderResult.failure(cause));
        return message;
    }

    /**
     * Sets the version of an invalid request to HTTP/1.1, because Vert.x writes the rejection in the version of the
     * request message. Netty's placeholder for a request line it cannot decode (too long, or ended by a bare LF) has
     * version HTTP/1.0, and a head that failed later keeps the version the client sent, such as HTTP/9.9 or HTTP/1.0.
     * RFC 9110 section 6.2 lets a server send its own version, so every rejection starts with {@code HTTP/1.1}.
     */
    private static void setResponseVersion(HttpMessage invalid) {
        invalid.setProtocolVersion(HttpVersion.HTTP_1_1);
    }

    private void scheduleDeadline(ChannelHandlerContext ctx) {
        headDeadline = ctx.executor().schedule(() -> headTimedOut(ctx), headerTimeoutMillis, TimeUnit.MILLISECONDS);
    }

    private void headTimedOut(ChannelHandlerContext ctx) {
        headDeadline = null;
        if (rejected || !readingHead || ctx.isRemoved()) {
            return;
        }
        if (!ctx.channel().config().isAutoRead()) {
            scheduleDeadline(ctx);
            return;
        }
        rejected = true;
        ctx.fireChannelRead(invalidRequest(new InvalidRequestHeadException(ProblemType.REQUEST_TIMEOUT,
                "the request head was not received within " + headerTimeoutMillis + " ms")));
        ctx.fireChannelReadComplete();
    }

    private void cancelDeadline() {
        if (headDeadline != null) {
            headDeadline.cancel(false);
            headDeadline = null;
        }
    }
}

package io.portico.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.portico.problem.ProblemType;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP/1.x request decoder of the gateway listeners: Vert.x's decoder, plus the checks of
 * {@link RequestHeadRules}, a rejection of obs-fold (header lines continued on the next line) and a deadline for
 * receiving each request head.
 *
 * <p>A rejected head becomes an invalid request message, as for Netty's own decoding errors, so Vert.x hands it to
 * the server's invalid request handler in order after any response in progress. Every byte after it is discarded
 * and the connection is closed once the rejection is sent, because the framing of what follows cannot be trusted.
 */
final class StrictRequestDecoder extends VertxHttpRequestDecoder {

    private final long headerTimeoutMillis;
    private final HeadScanner scanner = new HeadScanner();
    private boolean readingHead = true;
    private boolean rejected;
    private ScheduledFuture<?> headDeadline;

    /**
     * Creates a decoder with the line and header size limits of {@code options}.
     *
     * @param headerTimeoutMillis how long a client may take to send a request head, from its first byte
     */
    StrictRequestDecoder(HttpServerOptions options, long headerTimeoutMillis) {
        super(options);
        this.headerTimeoutMillis = headerTimeoutMillis;
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage message) {
        // Netty calls this once the headers are parsed and Content-Length is checked, before it decides how to
        // read the body. An exception thrown here makes the message invalid.
        if (message instanceof HttpRequest request) {
            try {
                RequestHeadRules.check(request);
            } catch (InvalidRequestHeadException e) {
                // Vert.x writes its response in the request's version, which an HTTP/9.9 client cannot read either.
                request.setProtocolVersion(HttpVersion.HTTP_1_1);
                throw e;
            }
        }
        return super.isContentAlwaysEmpty(message);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (rejected) {
            in.skipBytes(in.readableBytes());
            return;
        }
        int start = in.readerIndex();
        int produced = out.size();
        super.decode(ctx, in, out);
        if (readingHead && in.readerIndex() > start
                && in.forEachByte(start, in.readerIndex() - start, scanner) >= 0 && scanner.foundObsFold()) {
            reject(out, produced, InvalidRequestHeadException.badRequest(
                    "header lines must not be continued on the next line (obs-fold)"));
            in.skipBytes(in.readableBytes());
            return;
        }
        track(out, produced);
        if (readingHead && !rejected && headDeadline == null && (scanner.started() || in.isReadable())) {
            headDeadline = ctx.executor().schedule(() -> headTimedOut(ctx), headerTimeoutMillis,
                    TimeUnit.MILLISECONDS);
        }
    }

    /** Follows the messages Netty produced, to know whether the next bytes belong to a request head. */
    private void track(List<Object> out, int from) {
        for (int i = from; i < out.size(); i++) {
            Object message = out.get(i);
            if (message instanceof HttpObject object && object.decoderResult().isFailure()) {
                rejected = true;
                cancelDeadline();
            }
            if (message instanceof HttpRequest) {
                readingHead = false;
                cancelDeadline();
            }
            if (message instanceof LastHttpContent) {
                readingHead = true;
                scanner.reset();
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
        HttpMessage message = createInvalidMessage();
        // Netty's placeholder for an invalid request has version HTTP/1.0, and Vert.x responds in that version.
        message.setProtocolVersion(HttpVersion.HTTP_1_1);
        message.setDecoderResult(DecoderResult.failure(cause));
        return message;
    }

    private void headTimedOut(ChannelHandlerContext ctx) {
        headDeadline = null;
        if (rejected || !readingHead || ctx.isRemoved()) {
            return;
        }
        rejected = true;
        // NOTE: the deadline also runs while Vert.x has paused reading behind a slow response to an earlier
        // pipelined request, so a client whose next head was only partly read can get 408 once that response ends.
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

    @Override
    protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        if (rejected) {
            // Netty would report the unfinished head of a rejected request as one more invalid request.
            in.skipBytes(in.readableBytes());
            return;
        }
        super.decodeLast(ctx, in, out);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
        // Vert.x removes the decoder when the connection switches to a WebSocket tunnel or to HTTP/2.
        cancelDeadline();
        super.handlerRemoved0(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancelDeadline();
        super.channelInactive(ctx);
    }
}

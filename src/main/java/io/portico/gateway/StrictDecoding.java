package io.portico.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;
import io.vertx.core.http.impl.Http2ServerConnection;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.impl.NetServerImpl;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the gateway's HTTP servers so that every HTTP/1.x connection decodes its requests with a strict decoder,
 * from the first byte on, and every HTTP/2 connection checks its request heads with an {@link Http2HeadGuard}
 * before Vert.x reads them. This is the only class of the data plane that uses Vert.x internals; it was written and
 * checked against Vert.x 5.0.7 with Netty 4.2.9.
 *
 * <p>Why internals: Netty's HTTP/1.x decoder joins obs-fold lines into the previous value, drops
 * {@code Content-Length} when {@code Transfer-Encoding: chunked} is present and reads a body framed by any
 * transfer coding list that ends in {@code chunked}. After decoding, the request that Vert.x hands to its request
 * handler no longer shows any of this, and no public option of {@link HttpServerOptions} turns it off. The checks
 * must therefore run inside the decoder. Vert.x 5 offers no public hook that runs before the first request of a
 * plain connection is decoded. It builds the HTTP/1.x pipeline only once the first bytes show that the client does
 * not speak HTTP/2 with prior knowledge. It calls the server's connection handler only after the first request
 * head is decoded. So the server is built on a {@link NetServerImpl} whose channel initialiser adds a
 * {@link FirstBytes} handler to plain connections, and the decoder named {@value #DECODER} in the pipeline is
 * replaced by a {@link Decoder}. TLS connections get their decoder from the connection handler, which Vert.x calls
 * once the handshake has chosen HTTP/1.1 and before any request byte is decoded. HTTP/2 connections get their guard
 * from the connection handler too, in front of the frame listener of Vert.x's HTTP/2 handler.
 *
 * <p>Failing safe: when a Vert.x upgrade changes these internals, the listener does not serve with the lenient
 * decoder. A missing class or constructor fails the listener's start; an HTTP/1.x connection whose pipeline has
 * no decoder to replace is closed before any request is read, and so is an HTTP/2 connection without the expected
 * handler. The first such connection of each kind is logged at ERROR. {@code RequestHeadHardeningTest},
 * {@code RequestPathAttackTest} and {@code MalformedAuthorityTest} fail in these cases.
 */
final class StrictDecoding {

    private static final Logger LOG = LoggerFactory.getLogger(StrictDecoding.class);
    /** The name Vert.x gives its HTTP/1.x request decoder in the channel pipeline. */
    static final String DECODER = "httpDecoder";
    private static final AtomicBoolean MISSING_DECODER_LOGGED = new AtomicBoolean();
    private static final AtomicBoolean MISSING_HTTP2_HANDLER_LOGGED = new AtomicBoolean();

    private StrictDecoding() {
    }

    /**
     * Creates an HTTP server whose HTTP/1.x connections use the strict decoder.
     *
     * @param onConnection runs for each new connection, after the decoder is installed
     * @throws IllegalStateException when this Vert.x version lacks the internals the decoder needs
     */
    static HttpServer createServer(Vertx vertx, HttpServerOptions options, long headerTimeoutMillis,
                                   Handler<HttpConnection> onConnection) {
        HttpServer server;
        try {
            VertxInternal hooked = new HookedVertx((VertxInternal) vertx, options, headerTimeoutMillis);
            server = new HttpServerImpl(hooked, options);
        } catch (LinkageError | ClassCastException e) {
            throw new IllegalStateException("the strict HTTP/1.x request decoder cannot be installed on this Vert.x "
                    + "version (it was checked against Vert.x 5.0.7); the gateway listener does not start without it",
                    e);
        }
        return server.exceptionHandler(cause -> LOG.debug("Client connection failed before HTTP: {}",
                cause.toString())).connectionHandler(connection -> {
                    install(connection, options, headerTimeoutMillis);
                    onConnection.handle(connection);
                });
    }

    /**
     * Installs the strict decoder on {@code connection} when it is an HTTP/1.x connection, or the
     * {@link Http2HeadGuard} when it is an HTTP/2 connection, and closes it when that fails. Every connection gets an
     * exception handler that logs at DEBUG, because Vert.x 5.0.7 logs the errors of a connection without one at
     * ERROR, and clients can cause them on every connection.
     */
    private static void install(HttpConnection connection, HttpServerOptions options, long headerTimeoutMillis) {
        connection.exceptionHandler(cause -> LOG.debug("Connection from {} failed: {}", connection.remoteAddress(),
                cause.toString()));
        if (connection instanceof Http1xServerConnection http1) {
            ChannelPipeline pipeline = http1.channelHandlerContext().pipeline();
            if (!replaceDecoder(pipeline, options, headerTimeoutMillis)) {
                rejectConnection(pipeline);
                return;
            }
            ResponseEndSignal.install(http1);
        } else if (connection instanceof Http2ServerConnection http2) {
            installHttp2Guard(http2.channelHandlerContext(), options.getMaxHeaderSize());
        }
    }

    /**
     * Installs the {@link Http2HeadGuard} of an HTTP/2 connection. Vert.x calls the connection handler once the
     * client's first SETTINGS frame is read, which RFC 9113 section 3.4 requires before any HEADERS frame, so the
     * guard checks every request. A connection whose handler is not where Vert.x 5.0.7 puts it is closed.
     */
    private static void installHttp2Guard(ChannelHandlerContext ctx, int maxHeaderSize) {
        if (ctx.handler() instanceof Http2ConnectionHandler handler) {
            Http2HeadGuard.install(ctx, handler, maxHeaderSize);
            return;
        }
        if (MISSING_HTTP2_HANDLER_LOGGED.compareAndSet(false, true)) {
            LOG.error("Closing HTTP/2 connections to the gateway listener: the connection has no Netty HTTP/2 handler "
                    + "to check request heads with. This Vert.x version differs from 5.0.7, which Portico was checked "
                    + "against; use the Vert.x version of Portico's build");
        }
        ctx.channel().close();
    }

    /**
     * Returns the {@link Http2HeadGuard} that checked the head of {@code request}, or null when {@code request} is not
     * an HTTP/2 request or its connection has no guard.
     */
    static Http2HeadGuard http2Guard(HttpServerRequest request) {
        if (request.connection() instanceof Http2ServerConnection http2) {
            return http2.channelHandlerContext().channel().attr(Http2HeadGuard.KEY).get();
        }
        return null;
    }

    /**
     * Replaces Vert.x's request decoder in {@code pipeline} by a strict one, unless it is strict already. Callers
     * make sure that the decoder contains no bytes yet, because the bytes of a removed decoder would bypass its
     * replacement. Returns false when the pipeline has no Vert.x request decoder under the expected name.
     */
    private static boolean replaceDecoder(ChannelPipeline pipeline, HttpServerOptions options,
                                          long headerTimeoutMillis) {
        Object current = pipeline.get(DECODER);
        if (current instanceof Decoder) {
            return true;
        }
        if (!(current instanceof VertxHttpRequestDecoder)) {
            return false;
        }
        pipeline.replace(DECODER, DECODER, new Decoder(options, headerTimeoutMillis));
        return true;
    }

    private static void rejectConnection(ChannelPipeline pipeline) {
        if (MISSING_DECODER_LOGGED.compareAndSet(false, true)) {
            LOG.error("Closing HTTP/1.x connections from the gateway listener: the pipeline has no Vert.x request "
                    + "decoder named '{}' to replace with the strict one. This Vert.x version differs from 5.0.7, "
                    + "which Portico was checked against; use the Vert.x version of Portico's build", DECODER);
        }
        pipeline.channel().close();
    }

    /**
     * Makes {@code action} run, on the request's context, when the chunked body of {@code request} turns out
     * malformed after the request was dispatched. Does nothing for HTTP/2, whose frames carry no chunk framing.
     */
    static void onMalformedBody(HttpServerRequest request, Runnable action) {
        if (request.connection() instanceof Http1xServerConnection http1) {
            Context context = Vertx.currentContext();
            Runnable onContext = context == null ? action : () -> context.runOnContext(ignored -> action.run());
            http1.channelHandlerContext().channel().attr(HeadGuard.MALFORMED_BODY).set(onContext);
        }
    }

    /** A Vert.x instance whose TCP servers add a {@link FirstBytes} handler to each plain connection. */
    private static final class HookedVertx extends VertxWrapper {
        private final HttpServerOptions options;
        private final long headerTimeoutMillis;

        HookedVertx(VertxInternal delegate, HttpServerOptions options, long headerTimeoutMillis) {
            super(delegate);
            this.options = options;
            this.headerTimeoutMillis = headerTimeoutMillis;
        }

        @Override
        public NetServerImpl createNetServer(NetServerOptions netOptions) {
            return new NetServerImpl(delegate, netOptions.copy()) {
                @Override
                protected void initChannel(ChannelPipeline pipeline, boolean ssl) {
                    super.initChannel(pipeline, ssl);
                    if (!ssl) {
                        pipeline.addFirst(new FirstBytes(options, headerTimeoutMillis));
                    }
                }
            };
        }
    }

    /**
     * The first handler of a plain gateway connection. It keeps the client's first bytes until they show whether the
     * client speaks HTTP/2 with prior knowledge. For HTTP/1.x, it makes Vert.x build its HTTP/1.x pipeline with one
     * empty line, which the request decoder skips (RFC 9112 section 2.2), swaps in the strict {@link Decoder} while
     * Vert.x's decoder holds no byte, and only then passes the client's bytes on. It also closes a connection that
     * sends nothing within the header timeout. Removes itself after the first bytes.
     */
    private static final class FirstBytes extends ChannelInboundHandlerAdapter {

        private static final byte[] HTTP2_PREFACE =
                "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        private static final byte[] EMPTY_LINE = {'\r', '\n'};

        private final HttpServerOptions options;
        private final long headerTimeoutMillis;
        private ByteBuf firstBytes;
        private ScheduledFuture<?> silenceDeadline;

        FirstBytes(HttpServerOptions options, long headerTimeoutMillis) {
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
                if (!replaceDecoder(ctx.pipeline(), options, headerTimeoutMillis)) {
                    // handlerRemoved releases the first bytes, which nothing reads.
                    ctx.pipeline().remove(this);
                    rejectConnection(ctx.pipeline());
                    return;
                }
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

    /**
     * Vert.x's HTTP/1.x request decoder, with the checks of {@link HeadGuard} added. Everything but the calls into the
     * guard is Vert.x's and Netty's behaviour.
     */
    private static final class Decoder extends VertxHttpRequestDecoder {

        private final HeadGuard guard;

        Decoder(HttpServerOptions options, long headerTimeoutMillis) {
            super(options);
            this.guard = new HeadGuard(headerTimeoutMillis, this::createInvalidMessage);
        }

        @Override
        protected boolean isContentAlwaysEmpty(HttpMessage message) {
            // Netty calls this once the headers are parsed and Content-Length is checked, before it decides how to
            // read the body. An exception thrown here makes the message invalid.
            guard.checkHead(message);
            return super.isContentAlwaysEmpty(message);
        }

        @Override
        protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (guard.rejected()) {
                in.skipBytes(in.readableBytes());
                return;
            }
            int start = in.readerIndex();
            int produced = out.size();
            super.decode(ctx, in, out);
            // Netty returns after the head of a chunked request, which Vert.x would dispatch before the chunks
            // behind it in the same read are decoded. Decoding them now lets the guard reject a malformed chunk
            // before anything of the request reaches a handler.
            boolean progress = true;
            while (progress && in.isReadable() && guard.inChunkedBody(out, produced)) {
                int before = in.readerIndex();
                int size = out.size();
                super.decode(ctx, in, out);
                progress = in.readerIndex() > before || out.size() > size;
            }
            guard.afterDecode(ctx, in, start, out, produced);
        }

        @Override
        protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
            if (guard.rejected()) {
                // Netty would report the unfinished head of a rejected request as one more invalid request.
                in.skipBytes(in.readableBytes());
                return;
            }
            super.decodeLast(ctx, in, out);
        }

        @Override
        protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
            // Vert.x removes the decoder when the connection switches to a WebSocket tunnel or to HTTP/2.
            guard.stop();
            super.handlerRemoved0(ctx);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            guard.stop();
            super.channelInactive(ctx);
        }
    }
}

package io.portico.gateway;

import io.netty.channel.ChannelPipeline;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.impl.HttpServerImpl;
import io.vertx.core.http.impl.VertxHttpRequestDecoder;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.VertxWrapper;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.impl.ConnectionBase;
import io.vertx.core.net.impl.NetServerImpl;

/**
 * Creates the gateway's HTTP servers so that every HTTP/1.x connection decodes its requests with a
 * {@link StrictRequestDecoder}, from the first byte on.
 *
 * <p>Vert.x 5 offers no public hook that runs before the first request of a plain connection is decoded: it builds
 * the HTTP/1.x pipeline only once the first bytes show that the client does not speak HTTP/2 with prior knowledge,
 * and calls the server's connection handler only after the first request head is decoded. So the server is built
 * on a {@link NetServerImpl} whose channel initialiser adds a {@link FirstBytesHandler} to plain connections. TLS
 * connections get their decoder from the connection handler, which Vert.x calls once the handshake has chosen
 * HTTP/1.1 and before any request byte is decoded.
 * NOTE: this reaches into Vert.x internals ({@code HttpServerImpl}, {@code NetServerImpl}, {@code VertxWrapper},
 * {@code ConnectionBase} and the pipeline name {@code httpDecoder}); {@code RequestHeadHardeningTest} fails if a
 * Vert.x upgrade changes them.
 */
final class StrictDecoding {

    static final String DECODER = "httpDecoder";

    private StrictDecoding() {
    }

    /** Creates an HTTP server whose HTTP/1.x connections use the strict decoder. */
    static HttpServer createServer(Vertx vertx, HttpServerOptions options, long headerTimeoutMillis) {
        VertxInternal hooked = new HookedVertx((VertxInternal) vertx, options, headerTimeoutMillis);
        HttpServer server = new HttpServerImpl(hooked, options);
        return server.connectionHandler(connection -> install(connection, options, headerTimeoutMillis));
    }

    /** Installs the strict decoder on {@code connection} when it is an HTTP/1.x connection without one. */
    private static void install(HttpConnection connection, HttpServerOptions options, long headerTimeoutMillis) {
        if (connection instanceof ConnectionBase base) {
            replaceDecoder(base.channelHandlerContext().pipeline(), options, headerTimeoutMillis);
        }
    }

    /**
     * Replaces Vert.x's request decoder in {@code pipeline} by a strict one. Callers make sure that the decoder
     * contains no bytes yet, because the bytes of a removed decoder would bypass its replacement.
     */
    static void replaceDecoder(ChannelPipeline pipeline, HttpServerOptions options, long headerTimeoutMillis) {
        if (pipeline.get(DECODER) instanceof VertxHttpRequestDecoder current
                && !(current instanceof StrictRequestDecoder)) {
            pipeline.replace(DECODER, DECODER, new StrictRequestDecoder(options, headerTimeoutMillis));
        }
    }

    /** A Vert.x instance whose TCP servers add a {@link FirstBytesHandler} to each plain connection. */
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
                        pipeline.addFirst(new FirstBytesHandler(options, headerTimeoutMillis));
                    }
                }
            };
        }
    }
}

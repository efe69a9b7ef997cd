package io.portico.gateway.proxy;

import io.portico.config.RouteSpec;
import io.portico.gateway.upstream.TargetState;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies a WebSocket upgrade: writes the handshake request, and once the upstream returns 101 Switching Protocols,
 * relays raw bytes both ways, so subprotocols, extensions and frames pass through unchanged. A handshake the
 * upstream rejects is returned to the client as an ordinary response. {@link ProxyExchange} sends the handshake,
 * applies the service's connect and read timeouts until its response arrives, and relays the body of a rejection
 * with the read timeout.
 */
final class WebSocketTunnel {

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketTunnel.class);

    private WebSocketTunnel() {
    }

    /** Writes the handshake request head to {@code upstream}, which is then sent with {@code connect()}. */
    static void writeHandshake(RequestContext ctx, HttpClientRequest upstream, TargetState target,
                               ProxySettings settings) {
        RouteSpec route = ctx.route().spec();
        MultiMap headers = upstream.headers();
        ProxyHeaders.copyRequestHeaders(ctx.request(), headers, settings.underscoreAliases());
        // Before Portico's own headers, as in ProxyExchange, so that those always have the last word.
        ProxyHeaders.apply(route.requestHeaders(), headers);
        settings.identityHeaders().apply(ctx, headers);
        ProxyHeaders.addForwardingHeaders(ctx, headers, settings.trustedProxies());
        headers.set("Connection", "Upgrade");
        headers.set("Upgrade", "websocket");
        headers.set(settings.requestIdHeader(), ctx.requestId());
        HostAndPort authority = ctx.request().authority();
        upstream.authority(route.preserveHost() && authority != null
                ? authority : HostAndPort.create(target.uriHost(), target.port()));
        upstream.exceptionHandler(cause -> LOG.debug("WebSocket tunnel of request {} to {} closed: {}",
                ctx.requestId(), target.address(), cause.toString()));
    }

    /**
     * Joins the client's and the upstream's connections once {@code response}, a 101 Switching Protocols, has
     * arrived. The tunnel has no read timeout, because a WebSocket connection may stay silent for as long as its
     * peers choose. The exchange ends, with its access-log line and metrics, once both connections closed.
     */
    static void join(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
        NetSocket upstreamSocket = response.netSocket();
        HttpServerResponse out = ctx.response();
        copyHandshakeHeaders(response.headers(), out.headers());
        out.headers().set(settings.requestIdHeader(), ctx.requestId());
        ctx.applyResponseHeaderHooks(out.headers());
        Context requestContext = Vertx.currentContext();
        ctx.request().toNetSocket().onComplete(accepted -> {
            if (accepted.failed()) {
                LOG.debug("Client side of WebSocket request {} failed", ctx.requestId(), accepted.cause());
                upstreamSocket.close();
                ctx.tunnelClosed(0, 0);
                return;
            }
            new Session(ctx, requestContext, accepted.result(), upstreamSocket).start();
        });
    }

    private static void copyHandshakeHeaders(MultiMap in, MultiMap out) {
        ProxyHeaders.copyResponseHeaders(in, out);
        out.set("Connection", "Upgrade");
        out.set("Upgrade", in.get("Upgrade") == null ? "websocket" : in.get("Upgrade"));
    }

    /**
     * Writes the head of the upstream's rejection of the handshake, {@code response} with a status of 200 and above,
     * to the client's response. The caller relays the body.
     */
    static void writeRejectionHead(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
        HttpServerResponse out = ctx.response();
        int status = response.statusCode();
        out.setStatusCode(status);
        ProxyHeaders.copyResponseHeaders(response.headers(), out.headers());
        out.headers().set(settings.requestIdHeader(), ctx.requestId());
        // The handshake is HTTP/1.1, which needs chunked framing for a body of undeclared length.
        boolean bodyAllowed = status != 204 && status != 304;
        if (bodyAllowed && !out.headers().contains(HttpHeaders.CONTENT_LENGTH)) {
            out.setChunked(true);
        }
    }

    /**
     * The two relays of one tunnel. When either connection closes, the session closes the other and, once that has
     * closed too, ends the exchange on the request's event loop. The two connections may run on different event
     * loops.
     */
    private static final class Session {

        private final RequestContext ctx;
        private final Context requestContext;
        private final NetSocket client;
        private final NetSocket upstream;
        private final Relay toUpstream;
        private final Relay toClient;
        private final AtomicBoolean ended = new AtomicBoolean();

        Session(RequestContext ctx, Context requestContext, NetSocket client, NetSocket upstream) {
            this.ctx = ctx;
            this.requestContext = requestContext;
            this.client = client;
            this.upstream = upstream;
            this.toUpstream = new Relay(client, upstream);
            this.toClient = new Relay(upstream, client);
        }

        void start() {
            client.exceptionHandler(cause -> LOG.debug("Client connection of WebSocket request {} failed: {}",
                    ctx.requestId(), cause.toString()));
            upstream.exceptionHandler(cause -> LOG.debug("Upstream connection of WebSocket request {} failed: {}",
                    ctx.requestId(), cause.toString()));
            client.closeHandler(closed -> closed(upstream));
            upstream.closeHandler(closed -> closed(client));
            toUpstream.start();
            toClient.start();
        }

        /**
         * Closes {@code other} once its peer has closed, and ends the exchange when that close completes. Closing a
         * connection that is already closed completes at once. A connection that closed before the session set its
         * handlers still delivers its end to its relay, which closes the peer, so the exchange ends then too.
         */
        private void closed(NetSocket other) {
            other.close().onComplete(both -> {
                if (ended.compareAndSet(false, true)) {
                    // Both connections have closed, so neither relay counts any more bytes.
                    long fromClient = toUpstream.bytes;
                    long fromUpstream = toClient.bytes;
                    requestContext.runOnContext(end -> ctx.tunnelClosed(fromClient, fromUpstream));
                }
            });
        }
    }

    /**
     * Relays the bytes of one connection to the other with back-pressure and counts them, with one addition per
     * chunk and nothing per WebSocket frame. The end of the source closes the destination, as {@code pipeTo} does.
     */
    private static final class Relay implements Handler<Buffer> {

        private final NetSocket source;
        private final NetSocket destination;
        /** Bytes relayed so far, written only on the source connection's event loop. */
        private long bytes;

        Relay(NetSocket source, NetSocket destination) {
            this.source = source;
            this.destination = destination;
        }

        void start() {
            source.endHandler(end -> destination.close());
            source.handler(this);
        }

        @Override
        public void handle(Buffer data) {
            bytes += data.length();
            destination.write(data);
            if (destination.writeQueueFull()) {
                source.pause();
                destination.drainHandler(drained -> source.resume());
            }
        }
    }
}

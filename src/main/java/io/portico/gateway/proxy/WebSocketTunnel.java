package io.portico.gateway.proxy;

import io.portico.config.RouteSpec;
import io.portico.gateway.upstream.TargetState;
import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
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
     * peers choose.
     */
    static void join(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
        NetSocket upstreamSocket = response.netSocket();
        HttpServerResponse out = ctx.response();
        copyHandshakeHeaders(response.headers(), out.headers());
        out.headers().set(settings.requestIdHeader(), ctx.requestId());
        ctx.applyResponseHeaderHooks(out.headers());
        ctx.request().toNetSocket().onComplete(accepted -> {
            if (accepted.failed()) {
                LOG.debug("Client side of WebSocket request {} failed", ctx.requestId(), accepted.cause());
                upstreamSocket.close();
                return;
            }
            NetSocket clientSocket = accepted.result();
            clientSocket.pipeTo(upstreamSocket);
            upstreamSocket.pipeTo(clientSocket);
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
}

package io.portico.gateway.proxy;

import io.portico.config.RouteSpec;
import io.portico.gateway.upstream.TargetState;
import io.portico.pipeline.RequestContext;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.NetSocket;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies a WebSocket upgrade: writes the handshake request, and once the upstream returns 101 Switching Protocols,
 * relays raw bytes both ways, so subprotocols, extensions and frames pass through unchanged. A handshake the
 * upstream rejects is returned to the client as an ordinary response. {@link ProxyExchange} sends the handshake and
 * applies the service's connect and read timeouts until its response arrives.
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
        ProxyHeaders.addForwardingHeaders(ctx, headers);
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
     * Joins the client's and the upstream's connections when {@code response} is a 101, or relays the upstream's
     * rejection of the handshake otherwise. {@code response} must have a status of 101 or of 200 and above.
     */
    static void relay(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
        if (response.statusCode() == 101) {
            join(ctx, response, settings);
        } else {
            relayRejection(ctx, response, settings);
        }
    }

    private static void join(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
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

    private static void relayRejection(RequestContext ctx, HttpClientResponse response, ProxySettings settings) {
        HttpServerResponse out = ctx.response();
        out.setStatusCode(response.statusCode());
        ProxyHeaders.copyResponseHeaders(response.headers(), out.headers());
        out.headers().set(settings.requestIdHeader(), ctx.requestId());
        response.body().onComplete(body -> {
            if (body.succeeded()) {
                out.end(body.result());
            } else {
                ctx.fail(new Problem(ProblemType.UPSTREAM_UNAVAILABLE, "the WebSocket handshake failed"));
            }
        });
    }
}

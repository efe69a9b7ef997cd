package io.portico.gateway.proxy;

import io.portico.config.RouteSpec;
import io.portico.gateway.upstream.Outcome;
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
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proxies a WebSocket upgrade: forwards the handshake, and once the upstream returns 101 Switching Protocols,
 * relays raw bytes both ways, so subprotocols, extensions and frames pass through unchanged. A handshake the
 * upstream rejects is returned to the client as an ordinary response.
 */
final class WebSocketTunnel {

    private static final Logger LOG = LoggerFactory.getLogger(WebSocketTunnel.class);

    private WebSocketTunnel() {
    }

    /** Sends the handshake on {@code upstream} and, when it is accepted, joins the two connections. */
    static void open(RequestContext ctx, HttpClientRequest upstream, TargetState target, ProxySettings settings,
                     Consumer<Throwable> onFailure) {
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
        long start = System.nanoTime();
        upstream.exceptionHandler(cause -> LOG.debug("WebSocket tunnel of request {} to {} closed: {}",
                ctx.requestId(), target.address(), cause.toString()));
        upstream.connect().onComplete(result -> {
            if (result.failed()) {
                target.onRequestEnd(System.nanoTime() - start, Outcome.CONNECT_FAILURE);
                LOG.debug("WebSocket handshake of request {} to {} failed", ctx.requestId(), target.address(),
                        result.cause());
                onFailure.accept(result.cause());
                return;
            }
            HttpClientResponse response = result.result();
            int status = response.statusCode();
            if (status < 200 && status != 101) {
                // Vert.x's client delivers a 1xx other than 100 and 103 as the final response. Relaying it would
                // leave the client, and any proxy in front of Portico, waiting for a response that never comes.
                target.onRequestEnd(System.nanoTime() - start, Outcome.CONNECTION_ERROR);
                LOG.debug("WebSocket handshake of request {} to {} got interim status {} as its response",
                        ctx.requestId(), target.address(), status);
                response.request().reset();
                ctx.fail(new Problem(ProblemType.UPSTREAM_UNAVAILABLE, "the upstream sent an invalid response to"
                        + " the WebSocket handshake"));
                return;
            }
            target.onRequestEnd(System.nanoTime() - start, Outcome.response(status));
            if (status == 101) {
                join(ctx, response, settings);
            } else {
                relayRejection(ctx, response, settings);
            }
        });
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

package io.portico.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.portico.net.ContentLength;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.Http1xServerConnection;

/**
 * Runs hooks of the current HTTP/1.x request just before the write that completes its response as the client reads
 * it, so that what they release is free before the client can see the response end. Vert.x runs a response's end
 * handler only after its last write, when the client may already have sent its next request on another connection,
 * which another event loop handles.
 *
 * <p>A response is complete for the client with its head when it is the response to a HEAD request or has status 204
 * or 304, with the byte that reaches its {@code Content-Length}, and otherwise with its last chunk. Vert.x writes the
 * declared body before an empty last part, so waiting for that part would be too late.
 *
 * <p>One instance sits in each HTTP/1.x connection's pipeline, in front of the Vert.x connection handler. Vert.x
 * handles the requests of a connection one at a time. It calls the request handler of a pipelined request only
 * after every write of the previous response. The first final response head written after a hook is registered
 * therefore belongs to the hook's request. A write while no hook is pending costs one field read. Interim
 * responses (1xx) do not complete an exchange.
 */
final class ResponseEndSignal extends ChannelOutboundHandlerAdapter {

    private static final String NAME = "portico-response-end";

    /** Hooks of the request in progress. Only the connection's event loop reads and writes these fields. */
    private Runnable pending;
    /** The request whose hooks are pending. */
    private HttpServerRequest pendingRequest;
    /** Whether the request whose hooks are pending is a HEAD request. */
    private boolean headRequest;
    /** Body bytes of the current response still to be written, or -1 when its length is not declared or unknown. */
    private long remaining = -1;

    /** Adds a signal to the pipeline of {@code connection}, in front of the Vert.x connection handler. */
    static void install(Http1xServerConnection connection) {
        ChannelHandlerContext handler = connection.channelHandlerContext();
        ChannelPipeline pipeline = handler.pipeline();
        if (pipeline.get(NAME) == null) {
            pipeline.addBefore(handler.name(), NAME, new ResponseEndSignal());
        }
    }

    /**
     * Registers {@code hook} to run before the write that completes the response to {@code request}. Returns false
     * when the request's connection has no signal, as for HTTP/2, and the caller must rely on the end of the
     * exchange instead. Called on the request's event loop, before the response's head is written.
     */
    static boolean register(HttpServerRequest request, Runnable hook) {
        if (!(request.connection() instanceof Http1xServerConnection http1)) {
            return false;
        }
        ResponseEndSignal signal = (ResponseEndSignal) http1.channelHandlerContext().pipeline().get(NAME);
        if (signal == null) {
            return false;
        }
        Runnable previous = signal.pending;
        if (previous == null || signal.pendingRequest != request) {
            // Hooks left by an earlier request whose end this signal missed also run at the end of its exchange.
            signal.pending = hook;
            signal.pendingRequest = request;
            signal.headRequest = HttpMethod.HEAD.equals(request.method());
            signal.remaining = -1;
        } else {
            signal.pending = () -> {
                previous.run();
                hook.run();
            };
        }
        return true;
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
        if (pending != null && completesResponse(msg)) {
            Runnable hooks = pending;
            pending = null;
            pendingRequest = null;
            try {
                hooks.run();
            } finally {
                ctx.write(msg, promise);
            }
            return;
        }
        ctx.write(msg, promise);
    }

    /** Returns whether writing {@code msg} completes the pending request's response, and tracks its body length. */
    private boolean completesResponse(Object msg) {
        if (msg instanceof HttpResponse response) {
            int status = response.status().code();
            if (status < 200) {
                return false;
            }
            boolean bodiless = headRequest || status == 204 || status == 304;
            remaining = bodiless ? 0 : ContentLength.parse(response.headers().get(HttpHeaderNames.CONTENT_LENGTH));
            if (remaining == 0) {
                return true;
            }
        }
        if (msg instanceof HttpContent content && remaining > 0) {
            remaining -= content.content().readableBytes();
            if (remaining <= 0) {
                return true;
            }
        }
        return msg instanceof LastHttpContent;
    }
}

package io.portico.gateway.upstream;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.portico.net.client.KeepAliveTimeout;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.impl.Http1xClientConnection;
import java.util.List;

/**
 * Rewrites the {@code Keep-Alive} header of each HTTP/1.x response from a target before the Vert.x client reads it,
 * so that the client stops reusing the connection {@link KeepAliveTimeout#MARGIN_MILLIS} before the timeout that the
 * target announced ends.
 *
 * <p>Vert.x 5.0.7 keeps an idle HTTP/1.x connection for exactly the {@code timeout} of that header, in place of
 * {@code pool.keepAlive} and even when it is longer. A request reused at the end of that time races the target's
 * close. This handler replaces the header with {@code timeout=N}, where N is the whole seconds of
 * {@link KeepAliveTimeout#reuseLimitMillis}, capped at {@code pool.keepAlive}. When that leaves no whole second, it
 * puts {@code close} first in {@code Connection}, so the client closes the connection after the response. The proxy
 * never relays either header, because both are hop-by-hop.
 */
@ChannelHandler.Sharable
final class KeepAliveLimit extends ChannelInboundHandlerAdapter {

    private static final String NAME = "portico-keep-alive-limit";

    /** {@code pool.keepAlive} as the Vert.x client applies it: whole seconds, rounded up, in ms. */
    private final long keepAliveMillis;

    KeepAliveLimit(long keepAliveMillis) {
        this.keepAliveMillis = keepAliveMillis;
    }

    /** Adds this handler in front of {@code connection}'s handler when it is an HTTP/1.x connection. */
    void install(HttpConnection connection) {
        if (connection instanceof Http1xClientConnection http1) {
            ChannelHandlerContext context = http1.channelHandlerContext();
            context.pipeline().addBefore(context.name(), NAME, this);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpResponse response && response.headers().contains(HttpHeaderNames.KEEP_ALIVE)) {
            limit(response.headers());
        }
        ctx.fireChannelRead(msg);
    }

    private void limit(HttpHeaders headers) {
        List<String> announced = headers.getAll(HttpHeaderNames.KEEP_ALIVE);
        if (KeepAliveTimeout.announcedSeconds(announced) < 0) {
            // Vert.x ignores a header without a valid timeout as well, and keeps pool.keepAlive.
            return;
        }
        long seconds = KeepAliveTimeout.reuseLimitMillis(announced, keepAliveMillis) / 1_000;
        if (seconds > 0) {
            headers.set(HttpHeaderNames.KEEP_ALIVE, "timeout=" + seconds);
            return;
        }
        headers.remove(HttpHeaderNames.KEEP_ALIVE);
        // Vert.x reads only the first Connection value. The others stay, so the proxy still drops the headers that
        // they name.
        List<String> connection = headers.getAll(HttpHeaderNames.CONNECTION);
        headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        connection.forEach(value -> headers.add(HttpHeaderNames.CONNECTION, value));
    }
}

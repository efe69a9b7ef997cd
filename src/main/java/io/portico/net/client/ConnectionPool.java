package io.portico.net.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

/**
 * The connections of one event loop to one origin. Only that event loop uses it, so it needs no locking. Idle
 * connections are reused last in, first out, so that the least used ones reach the idle timeout and close.
 */
final class ConnectionPool {

    private final Http1Client client;
    private final Origin origin;
    private final EventLoop loop;
    private Bootstrap bootstrap;
    private final ArrayDeque<Http1Connection> idle = new ArrayDeque<>();
    private final ArrayDeque<Http1Exchange> waiting = new ArrayDeque<>();
    /** Connections open or being opened. */
    private int open;

    ConnectionPool(Http1Client client, Origin origin, EventLoop loop) {
        this.client = client;
        this.origin = origin;
        this.loop = loop;
    }

    /** Sets the bootstrap of new connections, which needs this pool for their pipeline. */
    void bootstrap(Bootstrap bootstrap) {
        this.bootstrap = bootstrap;
    }

    Origin origin() {
        return origin;
    }

    long idleTimeoutMillis() {
        return client.options().idleTimeout().toMillis();
    }

    boolean decompress() {
        return client.options().decompress();
    }

    /** Returns true once the client was closed, by {@link Http1Client#close()} or at the end of its drain time. */
    boolean clientClosed() {
        return client.isClosed();
    }

    /** Returns the failure of a request that the closing of the client ended; see {@link Http1Client#closeFailure}. */
    Throwable closeFailure(Throwable otherwise) {
        return client.closeFailure(otherwise);
    }

    /**
     * Sends {@code exchange} on an idle connection, a new one, or once one is free. An idle connection past its reuse
     * limit is closed rather than used, because the server may be closing it at this moment.
     */
    void acquire(Http1Exchange exchange) {
        Http1Connection connection;
        while ((connection = idle.pollLast()) != null) {
            if (connection.isUsable() && !connection.idleExpired(System.nanoTime())) {
                connection.send(exchange, true);
                return;
            }
            connection.channel().close();
        }
        acquireNew(exchange);
    }

    /**
     * Sends {@code exchange} on a new connection, or on the first one freed when the pool is full. Fails it once the
     * client is closed, because {@link Http1Client#close()} closes only the connections open at that moment, and a
     * request sent again after its kept-alive connection closed would otherwise open one that nothing closes.
     */
    void acquireNew(Http1Exchange exchange) {
        if (client.isClosed()) {
            exchange.fail(client.closeFailure(new IllegalStateException("the HTTP/1.1 client is closed")));
            return;
        }
        if (open < client.options().maxConnectionsPerPool()) {
            connect(exchange);
            return;
        }
        waiting.add(exchange);
        ScheduledFuture<?> timer = loop.schedule(() -> waitTimedOut(exchange), exchange.waitTimeoutMillis(),
                TimeUnit.MILLISECONDS);
        exchange.waitIn(this, timer);
    }

    private void waitTimedOut(Http1Exchange exchange) {
        if (waiting.remove(exchange)) {
            exchange.dequeued();
            exchange.fail(new PoolWaitTimeoutException("no connection to " + origin.host() + ":" + origin.port()
                    + " became free within " + exchange.waitTimeoutMillis() + " ms"));
        }
    }

    void cancelWaiting(Http1Exchange exchange) {
        if (waiting.remove(exchange)) {
            exchange.dequeued();
        }
    }

    private void connect(Http1Exchange exchange) {
        open++;
        int timeout = (int) Math.min(Integer.MAX_VALUE, Math.max(1, exchange.connectTimeoutMillis()));
        ChannelFuture connecting = bootstrap.clone()
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeout)
                .connect(InetSocketAddress.createUnresolved(origin.host(), origin.port()));
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                connectFailed(exchange, done.cause());
                return;
            }
            Channel channel = connecting.channel();
            if (!client.accepts(channel)) {
                channel.close();
                exchange.fail(new IOException("the connection to " + origin.host() + ":" + origin.port()
                        + " was closed because its address " + channel.remoteAddress() + " is not allowed"));
                return;
            }
            SslHandler ssl = channel.pipeline().get(SslHandler.class);
            if (ssl == null) {
                connected(channel, exchange);
                return;
            }
            ssl.handshakeFuture().addListener(handshake -> {
                if (handshake.isSuccess()) {
                    connected(channel, exchange);
                } else {
                    channel.close();
                    exchange.fail(handshake.cause());
                }
            });
        });
    }

    private void connectFailed(Http1Exchange exchange, Throwable cause) {
        open--;
        exchange.fail(cause);
        serveWaiting();
    }

    private void connected(Channel channel, Http1Exchange exchange) {
        Http1Connection connection = channel.pipeline().get(Http1Connection.class);
        if (exchange.isDone()) {
            release(connection);
            return;
        }
        connection.send(exchange, false);
    }

    /** Takes back a connection whose response was read to its end. */
    void release(Http1Connection connection) {
        Http1Exchange next;
        if (client.isShuttingDown() && waiting.isEmpty()) {
            connection.channel().close();
            return;
        }
        while ((next = waiting.poll()) != null) {
            next.dequeued();
            if (!next.isDone()) {
                connection.send(next, true);
                return;
            }
        }
        connection.markIdle();
        idle.addLast(connection);
    }

    /** Forgets a connection that closed, and opens one for a waiting request if there is one. */
    void closed(Http1Connection connection) {
        open--;
        idle.remove(connection);
        serveWaiting();
    }

    private void serveWaiting() {
        Http1Exchange next;
        while (open < client.options().maxConnectionsPerPool() && (next = waiting.poll()) != null) {
            next.dequeued();
            if (!next.isDone()) {
                connect(next);
            }
        }
    }

    /** Closes the connections that stayed idle past their reuse limit at {@code now}, from nanoTime. */
    void closeIdle(long now) {
        Iterator<Http1Connection> it = idle.iterator();
        while (it.hasNext()) {
            Http1Connection connection = it.next();
            if (connection.idleExpired(now)) {
                it.remove();
                connection.channel().close();
            }
        }
    }

    /** Closes the idle connections and fails the waiting requests. The client closes the busy connections. */
    void close() {
        Http1Exchange next;
        while ((next = waiting.poll()) != null) {
            next.dequeued();
            next.fail(client.closeFailure(new IllegalStateException("the HTTP/1.1 client is closed")));
        }
        closeIdle();
    }

    /** Closes the idle connections. */
    void closeIdle() {
        for (Http1Connection connection : idle) {
            connection.channel().close();
        }
        idle.clear();
    }
}

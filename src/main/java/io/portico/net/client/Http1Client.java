package io.portico.net.client;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.GlobalEventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import io.portico.net.HttpUrls;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.buffer.BufferInternal;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * An HTTP/1.1 client for calls to model providers and for proxying to plain-http upstream targets, built on Netty
 * with the transport of Vert.x, so its channels match the event loops they run on (epoll, io_uring or NIO, as the
 * node setting {@code transport} chose). Each event loop has its own keep-alive pool per origin, so a request never
 * leaves the event loop that sent it and pools need no locks.
 *
 * <p>https verifies the server's certificate against the JDK trust store (or the configured certificates) and its
 * host name, and sends the host name as SNI; only http/1.1 is offered. Responses are framed by Content-Length,
 * chunked encoding or the end of the connection. The client sends no Accept-Encoding of its own. With
 * {@link Http1ClientOptions#decompress()}, a gzip or deflate body that a server sends is decompressed by
 * {@link BodyInflater}, in pieces of at most 8 KiB as the caller takes them, so a body limit bounds the work. A
 * body that is corrupt or ends inside its compressed stream fails the exchange with
 * {@link InvalidResponseException}.
 */
public final class Http1Client {

    private final VertxInternal vertx;
    private final Http1ClientOptions options;
    private final SslContext sslContext;
    private final ChannelGroup channels = new DefaultChannelGroup("http1-client", GlobalEventExecutor.INSTANCE);
    private final Map<EventLoop, LoopPools> loops = new ConcurrentHashMap<>();
    private volatile boolean closed;
    private volatile boolean shuttingDown;
    /** The drain time of {@link #shutdown(long)} in ms, or -1 until that drain time ended. */
    private volatile long expiredDrainMillis = -1;

    /** Creates a client with {@link Http1ClientOptions#DEFAULT}. */
    public Http1Client(Vertx vertx) {
        this(vertx, Http1ClientOptions.DEFAULT);
    }

    /** Creates a client with {@code options}. */
    public Http1Client(Vertx vertx, Http1ClientOptions options) {
        this.vertx = (VertxInternal) requireNonNull(vertx, "vertx");
        this.options = requireNonNull(options, "options");
        this.sslContext = sslContext(options);
    }

    private static SslContext sslContext(Http1ClientOptions options) {
        SslContextBuilder builder = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS");
        if (options.trustedCertificatesPem() != null) {
            builder.trustManager(new ByteArrayInputStream(
                    options.trustedCertificatesPem().getBytes(StandardCharsets.US_ASCII)));
        }
        try {
            return builder.build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("invalid TLS settings for the HTTP/1.1 client: " + e.getMessage(), e);
        }
    }

    Http1ClientOptions options() {
        return options;
    }

    /**
     * Sends a request from the current Vert.x event loop context; {@code handler} and every handler of the returned
     * exchange run on that context.
     *
     * <p>The client sets Host (when {@code headers} has none) and Content-Length on {@code headers}, which it may
     * keep and send as they are, so the caller must not change them afterwards. A request with an idempotent
     * method whose kept-alive connection closed, or failed to write it, before any response byte arrived is sent
     * once more on a new connection. Other methods are not, because the server may have read and acted on part of
     * the request. After {@link #close()}, no request is sent again, and the request fails.
     *
     * @param url                  absolute http or https URL
     * @param body                 the request body, or null for none
     * @param connectTimeoutMillis the maximum time to open a connection or to wait for a free one
     * @throws IllegalStateException when not called on an event loop context, or after {@link #close()} or
     *     {@link #shutdown(long)}
     */
    public Http1Exchange send(io.vertx.core.http.HttpMethod method, String url, MultiMap headers, Buffer body,
                              long connectTimeoutMillis, Http1ResponseHandler handler) {
        ContextInternal context = eventLoopContext();
        LoopPools pools = loops.computeIfAbsent(context.nettyEventLoop(), LoopPools::new);
        LoopPools.Target target = pools.target(url);
        HeadersMultiMap wire = wireHeaders(headers);
        if (!wire.contains(HttpHeaderNames.HOST)) {
            wire.set(HttpHeaderNames.HOST, target.hostHeader());
        }
        return send(context, pools, method, target.origin(), target.requestUri(), wire, body, connectTimeoutMillis,
                connectTimeoutMillis, handler);
    }

    /**
     * Sends a request to {@code origin} from the current Vert.x event loop context, as {@link #send(
     * io.vertx.core.http.HttpMethod, String, MultiMap, Buffer, long, Http1ResponseHandler)} does.
     *
     * @param requestUri           the request target as written in the request line: path and query
     * @param connectTimeoutMillis the maximum time to open a connection
     * @param waitTimeoutMillis    the maximum time to wait for a connection of a full pool; the request then fails
     *                             with {@link PoolWaitTimeoutException}
     */
    public Http1Exchange send(io.vertx.core.http.HttpMethod method, Origin origin, String requestUri,
                              MultiMap headers, Buffer body, long connectTimeoutMillis, long waitTimeoutMillis,
                              Http1ResponseHandler handler) {
        ContextInternal context = eventLoopContext();
        LoopPools pools = loops.computeIfAbsent(context.nettyEventLoop(), LoopPools::new);
        return send(context, pools, method, origin, requestUri, headers, body, connectTimeoutMillis,
                waitTimeoutMillis, handler);
    }

    /**
     * Sends a request whose body streams from {@code body}, as {@link #send(io.vertx.core.http.HttpMethod, Origin,
     * String, MultiMap, Buffer, long, long, Http1ResponseHandler)} does otherwise. The client reads {@code body} only
     * once a connection took the request, and pauses it while the connection cannot take more bytes. Without a
     * Content-Length in {@code headers}, the body is sent with chunked transfer coding. Such a request is never sent
     * twice, so a kept-alive connection that fails it fails the exchange.
     */
    public Http1Exchange sendStreaming(io.vertx.core.http.HttpMethod method, Origin origin, String requestUri,
                                       MultiMap headers, ReadStream<Buffer> body, long connectTimeoutMillis,
                                       long waitTimeoutMillis, Http1ResponseHandler handler) {
        requireNonNull(body, "body");
        ContextInternal context = eventLoopContext();
        LoopPools pools = loops.computeIfAbsent(context.nettyEventLoop(), LoopPools::new);
        HeadersMultiMap wire = wireHeaders(headers);
        if (!wire.contains(HttpHeaderNames.CONTENT_LENGTH)) {
            wire.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        }
        Http1Exchange exchange = exchange(context, method, origin, requestUri, wire, null, connectTimeoutMillis,
                waitTimeoutMillis, handler);
        exchange.streamBody(new StreamedBody(body));
        pools.pool(origin).acquire(exchange);
        return exchange;
    }

    private Http1Exchange send(ContextInternal context, LoopPools pools, io.vertx.core.http.HttpMethod method,
                               Origin origin, String requestUri, MultiMap headers, Buffer body,
                               long connectTimeoutMillis, long waitTimeoutMillis, Http1ResponseHandler handler) {
        HeadersMultiMap wire = wireHeaders(headers);
        ByteBuf content = null;
        if (body != null) {
            content = Unpooled.unreleasableBuffer(((BufferInternal) body).getByteBuf());
            wire.set(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(content.readableBytes()));
        }
        Http1Exchange exchange = exchange(context, method, origin, requestUri, wire, content, connectTimeoutMillis,
                waitTimeoutMillis, handler);
        pools.pool(origin).acquire(exchange);
        return exchange;
    }

    private static Http1Exchange exchange(ContextInternal context, io.vertx.core.http.HttpMethod method,
                                          Origin origin, String requestUri, HeadersMultiMap wire, ByteBuf content,
                                          long connectTimeoutMillis, long waitTimeoutMillis,
                                          Http1ResponseHandler handler) {
        requireNonNull(method, "method");
        requireNonNull(handler, "handler");
        if (!wire.contains(HttpHeaderNames.HOST)) {
            wire.set(HttpHeaderNames.HOST, origin.hostHeader());
        }
        return new Http1Exchange(context, origin, HttpMethod.valueOf(method.name()), requestUri, wire, content,
                connectTimeoutMillis, waitTimeoutMillis, handler);
    }

    private ContextInternal eventLoopContext() {
        if (closed || shuttingDown) {
            throw new IllegalStateException("the HTTP/1.1 client is closed");
        }
        ContextInternal context = (ContextInternal) Vertx.currentContext();
        if (context == null || !context.isEventLoopContext()) {
            throw new IllegalStateException("Http1Client.send must be called on a Vert.x event loop context");
        }
        return context;
    }

    private static HeadersMultiMap wireHeaders(MultiMap headers) {
        requireNonNull(headers, "headers");
        if (headers instanceof HeadersMultiMap map) {
            return map;
        }
        HeadersMultiMap copy = HeadersMultiMap.httpHeaders();
        copy.addAll(headers);
        return copy;
    }

    /**
     * Stops taking requests and closes every connection once the requests in flight are done, or after
     * {@code drainMillis} at the latest. Idle connections close at once. A request still in flight after
     * {@code drainMillis} fails with {@link DrainExpiredException}.
     */
    public Future<Void> shutdown(long drainMillis) {
        shuttingDown = true;
        loops.values().forEach(LoopPools::closeIdle);
        Promise<Void> promise = Promise.promise();
        long drain = Math.max(1, drainMillis);
        vertx.setTimer(drain, id -> {
            if (!closed) {
                expiredDrainMillis = drain;
            }
            close().onComplete(promise);
        });
        return promise.future();
    }

    boolean isShuttingDown() {
        return shuttingDown;
    }

    boolean isClosed() {
        return closed;
    }

    /**
     * Returns the failure of a request that the closing of this client ended: a {@link DrainExpiredException} when
     * the drain time of {@link #shutdown(long)} ended, and {@code otherwise} when the client was closed directly or
     * is still open.
     */
    Throwable closeFailure(Throwable otherwise) {
        long drain = expiredDrainMillis;
        return drain < 0 ? otherwise : new DrainExpiredException(drain);
    }

    /** Returns true when the remote address of the new connection {@code channel} passes the address filter. */
    boolean accepts(Channel channel) {
        if (options.remoteAddressFilter() == null) {
            return true;
        }
        return channel.remoteAddress() instanceof InetSocketAddress remote
                && options.remoteAddressFilter().test(remote);
    }

    /** Closes every connection; requests waiting for a connection fail. */
    public Future<Void> close() {
        closed = true;
        Promise<Void> promise = Promise.promise();
        List<Future<Void>> pools = loops.values().stream().map(LoopPools::close).toList();
        Future.join(pools).onComplete(done -> channels.close().addListener(all -> promise.complete()));
        return promise.future();
    }

    private Bootstrap bootstrap(EventLoop loop) {
        return new Bootstrap()
                .group(loop)
                .channelFactory(vertx.transport().channelFactory(false))
                .resolver(vertx.nameResolver().nettyAddressResolverGroup())
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true);
    }

    /** Returns the initializer of a new connection's pipeline for {@code pool}. */
    ChannelInitializer<Channel> initializer(ConnectionPool pool) {
        Origin origin = pool.origin();
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel channel) {
                channels.add(channel);
                if (origin.https()) {
                    channel.pipeline().addLast("tls", sslHandler(channel, origin));
                }
                channel.pipeline().addLast("connection", new Http1Connection(pool, channel));
            }
        };
    }

    private SslHandler sslHandler(Channel channel, Origin origin) {
        SslHandler handler = sslContext.newHandler(channel.alloc(), origin.host(), origin.port());
        SSLEngine engine = handler.engine();
        SSLParameters parameters = engine.getSSLParameters();
        parameters.setEndpointIdentificationAlgorithm("HTTPS");
        if (!NetUtil.isValidIpV4Address(origin.host()) && !NetUtil.isValidIpV6Address(origin.host())) {
            parameters.setServerNames(List.of(new SNIHostName(origin.host())));
        }
        engine.setSSLParameters(parameters);
        return handler;
    }

    /** The pools of one event loop, used only on that event loop. */
    final class LoopPools {

        /** Parsed URLs kept per event loop; the gateway sends to few distinct URLs, so the cache stays small. */
        private static final int MAX_TARGETS = 1024;

        /** A parsed URL, with the Host header value of its origin made once rather than per request. */
        record Target(Origin origin, String requestUri, String hostHeader) { }

        private final EventLoop loop;
        private final Map<Origin, ConnectionPool> pools = new HashMap<>();
        private final Map<String, Target> targets = new HashMap<>();
        private final ScheduledFuture<?> sweeper;

        LoopPools(EventLoop loop) {
            this.loop = loop;
            long idleNanos = options.idleTimeout().toNanos();
            long period = Math.max(10_000_000L, Math.min(idleNanos / 4, 1_000_000_000L));
            this.sweeper = loop.scheduleAtFixedRate(this::closeExpired, period, period, TimeUnit.NANOSECONDS);
        }

        Target target(String url) {
            Target target = targets.get(url);
            if (target == null) {
                URI uri;
                try {
                    uri = HttpUrls.parse(url);
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException("invalid URL: " + e.getReason(), e);
                }
                String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
                String requestUri = uri.getRawQuery() == null ? path : path + "?" + uri.getRawQuery();
                Origin origin = Origin.of(uri);
                target = new Target(origin, requestUri, origin.hostHeader());
                if (targets.size() >= MAX_TARGETS) {
                    targets.clear();
                }
                targets.put(url, target);
            }
            return target;
        }

        ConnectionPool pool(Origin origin) {
            ConnectionPool pool = pools.get(origin);
            if (pool == null) {
                pool = new ConnectionPool(Http1Client.this, origin, loop);
                pool.bootstrap(bootstrap(loop).handler(initializer(pool)));
                pools.put(origin, pool);
            }
            return pool;
        }

        private void closeExpired() {
            long now = System.nanoTime();
            for (ConnectionPool pool : pools.values()) {
                pool.closeIdle(now);
            }
        }

        void closeIdle() {
            try {
                loop.execute(() -> pools.values().forEach(ConnectionPool::closeIdle));
            } catch (RejectedExecutionException e) {
                // The event loop already stopped, and its channels closed with it.
            }
        }

        Future<Void> close() {
            Promise<Void> promise = Promise.promise();
            try {
                loop.execute(() -> {
                    sweeper.cancel(false);
                    pools.values().forEach(ConnectionPool::close);
                    pools.clear();
                    promise.complete();
                });
            } catch (RejectedExecutionException e) {
                // The event loop already stopped, and its channels closed with it.
                promise.complete();
            }
            return promise.future();
        }
    }
}

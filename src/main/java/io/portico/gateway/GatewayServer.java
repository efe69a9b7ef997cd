package io.portico.gateway;

import static java.util.Objects.requireNonNull;

import io.portico.ai.AiGateway;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.cache.CacheStores;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.RouteSpec;
import io.portico.config.ValidationException;
import io.portico.gateway.proxy.IdentityHeaders;
import io.portico.gateway.proxy.ProxyBackend;
import io.portico.gateway.proxy.ProxySettings;
import io.portico.gateway.proxy.UnderscoreAliases;
import io.portico.gateway.tls.ServerTls;
import io.portico.gateway.upstream.Upstreams;
import io.portico.metrics.NodeMetrics;
import io.portico.metrics.RequestMetrics;
import io.portico.net.IpRangeSet;
import io.portico.node.NodeConfig;
import io.portico.oauth.AuthorizationServer;
import io.portico.pipeline.PolicyRegistry;
import io.portico.redis.RedisClient;
import io.vertx.core.DeploymentOptions;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.ServerSSLOptions;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The data plane's listeners: HTTP (HTTP/1.1 and h2c) and, when certificates exist, HTTPS (TLS 1.2 and 1.3 with
 * ALPN h2 and http/1.1). One server instance runs per event loop, all bound to the same port.
 */
public final class GatewayServer {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayServer.class);
    /** How long past the drain timeout a shutdown waits for the listeners before it closes them. */
    private static final long SHUTDOWN_GRACE_MILLIS = 2000;
    /** Negative ports that make Vert.x bind the instances of one listener to one shared random port. */
    private static final int HTTP_RANDOM_PORT = -1;
    private static final int HTTPS_RANDOM_PORT = -2;
    /** The policy type that needs client certificates on the HTTPS listener. */
    private static final String MTLS_POLICY = "mtls";

    private final Vertx vertx;
    private final NodeConfig node;
    private final Upstreams upstreams;
    private final ServerTls tls;
    private final PolicyRegistry policies;
    /** The connection to Redis that policies share; null when the node settings configure none. */
    private final RedisClient redis;
    /** The connection to the response cache's own Redis ({@code cache.redis}); null when it shares {@link #redis}. */
    private final RedisClient cacheRedis;
    private final GatewayRuntime.NodeState nodeState;
    private final CacheStores caches;
    private final NodeMetrics metrics;
    private final GatewayHandler handler;
    private final ProxyBackend proxy;
    private final AiGateway ai;
    private final AuthorizationServer oauth;
    private final int instances;
    private final List<HttpServer> httpServers = new CopyOnWriteArrayList<>();
    private final List<HttpServer> httpsServers = new CopyOnWriteArrayList<>();
    /** The update of the HTTPS listeners that the last change of certificates started. */
    private volatile Future<Void> tlsUpdate = Future.succeededFuture();
    private volatile int httpPort = -1;
    private volatile int httpsPort = -1;
    /** Set once the HTTPS listener starts binding, so a second configuration applied meanwhile does not bind again. */
    private final AtomicBoolean httpsStarted = new AtomicBoolean();
    // Read and written on the context that calls apply only.
    /** The sequence number of the last {@link #apply} call. */
    private long lastBuild;
    /** The sequence number of the {@link #apply} call whose snapshot the data plane serves. */
    private long installedBuild;

    /**
     * Creates the listeners; nothing listens until {@link #start()}.
     *
     * @param metrics the node's metrics, which record every request, and read the Redis state at each scrape
     */
    public GatewayServer(Vertx vertx, NodeConfig node, Upstreams upstreams, ServerTls tls, PolicyRegistry policies,
                         ModelCatalog catalog, int instances, NodeMetrics metrics) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.node = requireNonNull(node, "node");
        this.upstreams = requireNonNull(upstreams, "upstreams");
        this.tls = requireNonNull(tls, "tls");
        this.policies = requireNonNull(policies, "policies");
        this.redis = node.redis().enabled() ? RedisClient.create(vertx, node.redis()) : null;
        this.nodeState = new GatewayRuntime.NodeState(vertx, redis, node.upstreams().allowPrivateAddresses(),
                node.drainTimeout(), NodeHeaders.of(node));
        this.cacheRedis = node.cache().redis().enabled() ? RedisClient.create(vertx, node.cache().redis()) : null;
        this.caches = new CacheStores(node.cache().maxBytes(), cacheRedis != null ? cacheRedis : redis);
        nodeState.put(CacheStores.NODE_KEY, caches);
        this.instances = instances;
        this.metrics = requireNonNull(metrics, "metrics");
        this.handler = new GatewayHandler(node.requestIdHeader(), node.accessLog(),
                ClientAddressResolver.of(node.clientAddress()), metrics.requests(),
                node.limits().bodyTimeout().toMillis());
        if (redis != null) {
            Gauge.builder("portico.redis.fallback", redis, client -> client.available() ? 0 : 1)
                    .description("1 while Redis is unavailable, so cluster-wide limits count on each node or reject"
                            + " as configured; 0 while it replies")
                    .register(metrics.registry());
        }
        if (cacheRedis != null) {
            Gauge.builder("portico.cache.redis.fallback", cacheRedis, client -> client.available() ? 0 : 1)
                    .description("1 while the response cache's own Redis is unavailable, so store: redis policies"
                            + " forward every request; 0 while it replies")
                    .register(metrics.registry());
        }
        long maxBody = node.maxBodySize() == null ? -1 : node.maxBodySize();
        NodeConfig.IdentityHeaders names = node.identityHeaders();
        IdentityHeaders identityHeaders = new IdentityHeaders(names.consumer(), names.team(), names.credential(),
                names.method(), names.labels());
        long bodyTimeout = node.limits().bodyTimeout().toMillis();
        this.proxy = new ProxyBackend(upstreams, new ProxySettings(node.requestIdHeader(), maxBody, identityHeaders,
                bodyTimeout, UnderscoreAliases.of(node.requestIdHeader(), identityHeaders),
                IpRangeSet.parse(node.clientAddress().trustedProxies())));
        this.ai = new AiGateway(vertx, catalog, node.ai(), bodyTimeout, metrics.ai());
        this.oauth = new AuthorizationServer(vertx, Clock.systemUTC());
        tls.onChange(options -> tlsUpdate = updateHttpsServers(options));
    }

    /**
     * Hands {@code options} to every HTTPS listener. The returned future completes, and never fails, once each
     * listener uses them for new connections or its update failed, which is logged.
     */
    private Future<Void> updateHttpsServers(ServerSSLOptions options) {
        List<Future<Boolean>> updates = new ArrayList<>();
        httpsServers.forEach(server -> updates.add(server.updateSSLOptions(options)));
        return Future.join(updates).<Void>mapEmpty().recover(e -> {
            LOG.warn("Applying the current HTTPS certificates to a listener failed; it serves the certificates it had"
                    + " until they change again", e);
            return Future.succeededFuture();
        });
    }

    /**
     * Switches the data plane to {@code snapshot}. The routes and their policies are compiled on a worker thread,
     * because that takes seconds with tens of thousands of routes on a busy machine. The same worker thread prepares
     * everything else the snapshot needs: the upstream groups with their HTTP clients and TLS files, the AI
     * providers, the OAuth signing keys and the parsed store certificates. The result is installed on the caller's
     * context, which only swaps references: upstreams first, then certificates, then the routes. Requests in flight
     * finish on the configuration they started with.
     *
     * <p>Call it on one Vert.x event-loop context only. Compilations may overlap. Snapshots are installed in the
     * order of the calls, so a compilation that finishes after that of a later call is dropped, and the clients it
     * created are closed. A compilation prepared while an earlier snapshot was installed is prepared again, on a
     * worker thread, against the installed one.
     *
     * @return true once the data plane serves {@code snapshot}; false when it was dropped for a later snapshot.
     *     Fails with a {@link io.portico.config.ValidationException} when the snapshot cannot be compiled, and
     *     nothing changes then.
     */
    public Future<Boolean> apply(ConfigSnapshot snapshot) {
        long build = ++lastBuild;
        return vertx.executeBlocking(() -> compile(snapshot), false)
                .compose(compiled -> install(build, snapshot, compiled));
    }

    /** Runs on a worker thread. */
    private Compiled compile(ConfigSnapshot snapshot) {
        GatewayRuntime runtime = GatewayRuntime.build(snapshot, proxy, ai.backend(), ai.problems(), oauth.backend(),
                policies, nodeState);
        boolean requestsClientCertificates = usesPolicy(snapshot, MTLS_POLICY);
        try {
            return new Compiled(runtime, requestsClientCertificates, prepare(snapshot, requestsClientCertificates));
        } catch (RuntimeException e) {
            nodeState.dropped(runtime);
            throw e;
        }
    }

    /**
     * Builds the upstreams, AI providers, OAuth keys and store certificates of {@code snapshot} against those that
     * serve now. Runs on a worker thread, because it reads upstream TLS files, parses keys and certificates, and
     * creates HTTP clients.
     */
    private Prepared prepare(ConfigSnapshot snapshot, boolean requestsClientCertificates) {
        Upstreams.Plan upstreamPlan = upstreams.prepare(snapshot.services());
        try {
            return new Prepared(upstreamPlan, ai.prepare(snapshot), oauth.prepare(snapshot),
                    tls.prepareStoreCertificates(snapshot.certificates().values(), requestsClientCertificates));
        } catch (RuntimeException e) {
            upstreamPlan.release();
            throw e;
        }
    }

    /** Runs on the context {@link #apply} was called on. */
    private Future<Boolean> install(long build, ConfigSnapshot snapshot, Compiled compiled) {
        if (build < installedBuild) {
            LOG.debug("Dropping configuration version {} because a later one was installed before its"
                    + " compilation finished", snapshot.version());
            compiled.prepared().release();
            nodeState.dropped(compiled.runtime());
            return Future.succeededFuture(false);
        }
        if (!compiled.prepared().isCurrent()) {
            // An earlier snapshot was installed while this one was prepared, so the prepared upstreams would reuse
            // clients and target states that no longer serve.
            LOG.debug("Preparing configuration version {} again because version {} was installed meanwhile",
                    snapshot.version(), version());
            compiled.prepared().release();
            return vertx.executeBlocking(() -> compiled.with(prepare(snapshot, compiled.requestsClientCertificates())),
                    false).onFailure(e -> nodeState.dropped(compiled.runtime()))
                    .compose(again -> install(build, snapshot, again));
        }
        installedBuild = build;
        return swap(snapshot, compiled).map(true);
    }

    /**
     * Makes the data plane serve {@code compiled} by swapping references. The returned future completes, and never
     * fails, once the HTTPS listeners serve the snapshot's certificates, so that the admin API responds to a change
     * of certificates only when new handshakes use them.
     */
    private Future<Void> swap(ConfigSnapshot snapshot, Compiled compiled) {
        Prepared prepared = compiled.prepared();
        try {
            upstreams.install(prepared.upstreams());
        } catch (RuntimeException e) {
            prepared.release();
            nodeState.dropped(compiled.runtime());
            throw e;
        }
        ai.install(prepared.ai());
        oauth.install(prepared.oauth());
        Future<Void> tlsBefore = tlsUpdate;
        tls.install(prepared.certificates());
        Future<Void> tlsReady = tlsUpdate == tlsBefore ? Future.succeededFuture() : tlsUpdate;
        handler.runtime(compiled.runtime());
        nodeState.serving(compiled.runtime());
        metrics.requests().retainRoutes(snapshot.routes().keySet());
        metrics.requests().retainConsumers(snapshot.consumers().keySet());
        boolean needsHttps = httpPort >= 0 && tls.hasCertificates() && node.https().port() >= 0;
        if (needsHttps && httpsStarted.compareAndSet(false, true)) {
            tlsReady = startHttps().recover(e -> {
                httpsStarted.set(false);
                LOG.error("HTTPS listener on {}:{} failed to start; check the port and the certificates",
                        node.https().host(), node.https().port(), e);
                return Future.succeededFuture();
            });
        }
        return tlsReady;
    }

    /**
     * Compiles {@code snapshot} as {@link #apply} would, without applying it: nothing is bound, started or
     * replaced, and no warning is logged. Policies read the node's per-node values, and what they create for the
     * check alone, such as an HTTP client for a new JWKS URL, is closed before this returns. Safe to call from a
     * worker thread while the node serves traffic.
     *
     * @throws io.portico.config.ValidationException when the snapshot cannot be compiled, naming each field
     */
    public void check(ConfigSnapshot snapshot) {
        Errors services = new Errors();
        Upstreams.check(snapshot.services(), services);
        try (GatewayRuntime.NodeState checkState = nodeState.forCheck()) {
            GatewayRuntime.build(snapshot, proxy, ai.backend(), ai.problems(), oauth.backend(), policies,
                    checkState);
        } catch (ValidationException e) {
            List<FieldError> errors = new ArrayList<>(e.errors());
            errors.addAll(services.list());
            throw new ValidationException(errors);
        }
        if (!services.isEmpty()) {
            throw new ValidationException(services.list());
        }
    }

    /**
     * A compiled snapshot, ready to install.
     *
     * @param requestsClientCertificates whether an {@code mtls} policy runs, so HTTPS requests client certificates
     */
    private record Compiled(GatewayRuntime runtime, boolean requestsClientCertificates, Prepared prepared) {

        Compiled with(Prepared again) {
            return new Compiled(runtime, requestsClientCertificates, again);
        }
    }

    /** The upstreams, AI providers, OAuth keys and store certificates of a snapshot, built against those serving. */
    private record Prepared(Upstreams.Plan upstreams, AiGateway.Update ai, AuthorizationServer.Update oauth,
                            ServerTls.StoreUpdate certificates) {

        /** Returns whether everything was prepared against what serves now, so it may be installed. */
        boolean isCurrent() {
            return upstreams.isCurrent() && ai.isCurrent() && certificates.isCurrent();
        }

        /** Closes the clients and health checkers the upstream plan created. The other parts own no resource. */
        void release() {
            upstreams.release();
        }
    }

    /** Returns true when a route, an API or a policy attachment of {@code snapshot} uses the policy {@code name}. */
    private static boolean usesPolicy(ConfigSnapshot snapshot, String name) {
        return snapshot.routes().values().stream().anyMatch(route -> names(route.policies(), name))
                || snapshot.apis().values().stream().anyMatch(api -> names(api.policies(), name))
                || snapshot.policies().values().stream().anyMatch(policy -> policy.type().equals(name));
    }

    private static boolean names(List<RouteSpec.PolicyRef> policies, String name) {
        return policies.stream().anyMatch(policy -> policy.name().equals(name));
    }

    /** The configuration version the data plane serves. */
    public long version() {
        return handler.runtime().version();
    }

    /** Starts the HTTP listener, and the HTTPS listener when certificates are configured. */
    public Future<Void> start() {
        tls.start();
        if (redis != null) {
            // Never fails and is not awaited: a node serves traffic while Redis is down, with local fallbacks.
            redis.start();
        }
        if (cacheRedis != null) {
            cacheRedis.start();
        }
        List<Future<?>> started = new ArrayList<>();
        if (node.http().enabled()) {
            started.add(startHttp());
        }
        if (tls.hasCertificates() && httpsStarted.compareAndSet(false, true)) {
            started.add(startHttps());
        }
        return Future.all(started).mapEmpty();
    }

    private Future<Void> startHttp() {
        HttpServerOptions options = baseOptions().setHost(node.http().host());
        return listen(options, node.http().port(), HTTP_RANDOM_PORT, httpServers).onSuccess(port -> {
            httpPort = port;
            LOG.info("Gateway listening on http://{}:{} (HTTP/1.1 and h2c)", node.http().host(), port);
        }).<Void>mapEmpty().recover(cause -> bindFailed("HTTP", node.http().host(), node.http().port(), cause));
    }

    private Future<Void> startHttps() {
        HttpServerOptions options = baseOptions().setHost(node.https().host());
        tls.configure(options);
        return listen(options, node.https().port(), HTTPS_RANDOM_PORT, httpsServers).compose(port ->
                // Certificates that changed while the listener was binding reached no server through onChange.
                updateHttpsServers(tls.sslOptions()).map(port)).onSuccess(port -> {
            httpsPort = port;
            LOG.info("Gateway listening on https://{}:{} (TLS 1.2 and 1.3, ALPN h2 and http/1.1)",
                    node.https().host(), port);
        }).<Void>mapEmpty().recover(cause -> bindFailed("HTTPS", node.https().host(), node.https().port(), cause));
    }

    private static Future<Void> bindFailed(String listener, String host, int port, Throwable cause) {
        return Future.failedFuture(new IllegalStateException("the " + listener + " listener cannot bind "
                + host + ":" + port + " (" + cause.getMessage() + "); free the port or choose another one", cause));
    }

    private HttpServerOptions baseOptions() {
        NodeConfig.Limits limits = node.limits();
        HttpServerOptions options = new HttpServerOptions()
                .setHttp2ClearTextEnabled(true)
                .setCompressionSupported(false)
                // Whatever reads the body first sends 100 Continue, once routing, policies and the declared length
                // admitted the request, so a rejected request is not invited to send it (continueIfExpected).
                .setHandle100ContinueAutomatically(false)
                .setIdleTimeout(120)
                .setIdleTimeoutUnit(TimeUnit.SECONDS)
                .setTcpNoDelay(true)
                // WebSocket upgrades are tunnelled as raw sockets (WebSocketTunnel), which never uses the server's
                // WebSocket extensions. Without them, Vert.x adds no extension handler to every HTTP/1.1 pipeline.
                .setPerFrameWebSocketCompressionSupported(false)
                .setPerMessageWebSocketCompressionSupported(false)
                // Every request is handled and responded to on its own event loop, so Vert.x can skip the
                // synchronisation it needs when responses may be written from other threads.
                .setStrictThreadMode(true)
                .setMaxInitialLineLength(limits.maxUriLength())
                .setMaxHeaderSize(limits.maxHeaderSize())
                // Rapid reset defence (CVE-2023-44487): a connection that resets more than 200 streams within
                // 30 seconds is closed. These are the Vert.x 5.0 defaults, set here so they cannot change unseen.
                .setHttp2RstFloodMaxRstFramePerWindow(200)
                .setHttp2RstFloodWindowDuration(30)
                .setHttp2RstFloodWindowDurationTimeUnit(TimeUnit.SECONDS);
        options.getInitialSettings()
                .setMaxConcurrentStreams(limits.http2MaxConcurrentStreams())
                .setMaxHeaderListSize(Http2HeadGuard.announcedHeaderListSize(limits.maxHeaderSize()));
        return options;
    }

    /**
     * Binds one server per instance; port 0 picks one free port that every instance shares. Vert.x gives all servers
     * that listen on the same negative port one shared random port, so each listener passes its own
     * {@code randomPort}; with one value for both, HTTP and HTTPS would share a port.
     */
    private Future<Integer> listen(HttpServerOptions options, int port, int randomPort, List<HttpServer> servers) {
        int bindPort = port == 0 && instances > 1 ? randomPort : port;
        List<HttpServer> bound = new CopyOnWriteArrayList<>();
        DeploymentOptions deployment = new DeploymentOptions().setInstances(instances);
        long headerTimeoutMillis = node.limits().headerTimeout().toMillis();
        RequestMetrics requests = metrics.requests();
        Handler<HttpConnection> onConnection = connection -> {
            requests.connectionOpened();
            connection.closeHandler(closed -> requests.connectionClosed());
        };
        return vertx.deployVerticle(() -> new ListenerVerticle(options, bindPort, handler, headerTimeoutMillis,
                        onConnection, bound), deployment)
                .map(id -> {
                    servers.addAll(bound);
                    return bound.get(0).actualPort();
                });
    }

    /** Binds one server on the event loop the verticle instance runs on. */
    private static final class ListenerVerticle extends VerticleBase {
        private final HttpServerOptions options;
        private final int port;
        private final GatewayHandler handler;
        private final long headerTimeoutMillis;
        private final Handler<HttpConnection> onConnection;
        private final List<HttpServer> bound;

        ListenerVerticle(HttpServerOptions options, int port, GatewayHandler handler, long headerTimeoutMillis,
                         Handler<HttpConnection> onConnection, List<HttpServer> bound) {
            this.options = options;
            this.port = port;
            this.handler = handler;
            this.headerTimeoutMillis = headerTimeoutMillis;
            this.onConnection = onConnection;
            this.bound = bound;
        }

        @Override
        public Future<?> start() {
            HttpServerOptions copy = new HttpServerOptions(options);
            HttpServer server = StrictDecoding.createServer(vertx, copy, headerTimeoutMillis, onConnection)
                    .invalidRequestHandler(handler::rejectInvalid)
                    .requestHandler(handler);
            return server.listen(port, options.getHost()).onSuccess(bound::add);
        }
    }

    /**
     * Makes {@code value} available to policies under {@code key} through
     * {@link io.portico.pipeline.PolicyContext#perNode} for the node's lifetime, even when it is a
     * {@link io.portico.pipeline.NodeResource}; call it before the first {@link #apply}.
     */
    public void shareWithPolicies(String key, Object value) {
        nodeState.put(key, value);
    }

    /** The response cache stores that {@code cache} policies fill. */
    public CacheStores caches() {
        return caches;
    }

    /** The upstream groups of the configured services. */
    public Upstreams upstreams() {
        return upstreams;
    }

    /** The AI gateway that serves AI routes. */
    public AiGateway ai() {
        return ai;
    }

    public int httpPort() {
        return httpPort;
    }

    public int httpsPort() {
        return httpsPort;
    }

    /**
     * Stops accepting connections, lets requests in flight finish for at most {@code drainTimeout}, then closes
     * every listener.
     */
    public Future<Void> shutdown(Duration drainTimeout) {
        handler.draining(true);
        List<Future<Void>> closed = new ArrayList<>();
        List<HttpServer> servers = new ArrayList<>(httpServers);
        servers.addAll(httpsServers);
        for (HttpServer server : servers) {
            closed.add(server.shutdown(drainTimeout.toMillis(), TimeUnit.MILLISECONDS));
        }
        // NOTE: a listener's shutdown has been seen never to complete, with every thread idle, so the wait is
        // bounded and the listeners are then closed. The cause in Vert.x is unknown.
        Promise<Void> drained = Promise.promise();
        long grace = drainTimeout.toMillis() + SHUTDOWN_GRACE_MILLIS;
        long timer = vertx.setTimer(grace, id -> {
            LOG.warn("The gateway listeners did not shut down within {} ms; closing them", grace);
            Future.join(servers.stream().map(HttpServer::close).toList())
                    .onComplete(closedAll -> drained.tryComplete());
        });
        Future.join(closed).onComplete(done -> {
            vertx.cancelTimer(timer);
            drained.tryComplete();
        });
        return drained.future().onComplete(done -> {
            tls.stop();
            nodeState.close();
            ai.close();
            if (redis != null) {
                redis.close();
            }
            if (cacheRedis != null) {
                cacheRedis.close();
            }
        });
    }
}

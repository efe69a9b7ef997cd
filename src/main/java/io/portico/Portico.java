package io.portico;

import static java.util.Objects.requireNonNull;

import io.portico.admin.AdminServer;
import io.portico.admin.AdminToken;
import io.portico.admin.DataPlane;
import io.portico.admin.Readiness;
import io.portico.admin.SnapshotSource;
import io.portico.ai.AiGateway;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.cache.CacheStores;
import io.portico.config.ConfigSnapshot;
import io.portico.config.ValidationException;
import io.portico.gateway.GatewayServer;
import io.portico.gateway.tls.ServerTls;
import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.gateway.upstream.Upstreams;
import io.portico.metrics.MetricsServer;
import io.portico.metrics.NodeMetrics;
import io.portico.node.ConnectionErrorLogFilter;
import io.portico.node.HikariLogFilter;
import io.portico.node.NetworkTransport;
import io.portico.node.NodeConfig;
import io.portico.oauth.keys.SigningKeyManager;
import io.portico.pipeline.PolicyRegistry;
import io.portico.policy.budget.BudgetPolicy;
import io.portico.policy.budget.BudgetsInForce;
import io.portico.policy.cache.CachePolicyFactory;
import io.portico.quota.CounterStore;
import io.portico.quota.UsageCounters;
import io.portico.store.AuditRetention;
import io.portico.store.JdbcConfigStore;
import io.portico.store.StoreWatcher;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKeys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.transport.Transport;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Portico node: the store, the configuration watcher, the gateway listeners and the admin API,
 * started and stopped together.
 */
public final class Portico {

    private static final Logger LOG = LoggerFactory.getLogger(Portico.class);
    /** How long {@link #stop()} waits for one step, such as closing the admin API, before it goes on. */
    static final Duration STOP_STEP_TIMEOUT = Duration.ofSeconds(10);
    /**
     * How long {@link #stop()} waits for Vert.x to close. Vert.x 5.0.7 gives its acceptor and its event-loop
     * group up to 10 s each, one after the other, to shut down, and this bound allows for both.
     */
    static final Duration EVENT_LOOPS_CLOSE_TIMEOUT = Duration.ofSeconds(20);

    private final NodeConfig node;
    private final Vertx vertx;
    /** The transport {@link #vertx} runs on, after any fallback from the configured one. */
    private final Transport transport;
    private final JdbcConfigStore store;
    private final Upstreams upstreams;
    private final ServerTls tls;
    private final GatewayServer gateway;
    private final StoreWatcher watcher;
    private final AdminServer admin;
    private final NodeMetrics metrics;
    /** The listener that serves the metrics without authentication; null unless {@code metrics.port} is set. */
    private final MetricsServer metricsServer;
    private final SigningKeyManager signingKeys;
    /** Deletes old audit entries; null when {@code store.auditRetention} is absent and entries are kept. */
    private final AuditRetention auditRetention;
    private final UsageCounters counters;
    /** True from the end of the start until the stop begins; readiness also needs a configuration. */
    private final AtomicBoolean started = new AtomicBoolean();
    private final Counter applyFailures;
    private volatile int adminPort = -1;
    private volatile int metricsPort = -1;
    /** The snapshot the data plane serves; behind the store's when a stored version could not be applied. */
    private volatile ConfigSnapshot applied = ConfigSnapshot.empty();
    /** The budgets of {@link #applied}. */
    private volatile BudgetsInForce budgetsInForce = BudgetsInForce.NONE;

    private Portico(NodeConfig node, Map<String, String> env, JdbcConfigStore store) {
        this.node = node;
        this.store = store;
        int eventLoops = Math.max(1, Runtime.getRuntime().availableProcessors());
        this.transport = NetworkTransport.select(node.transport());
        this.vertx = Vertx.builder()
                .with(new VertxOptions().setEventLoopPoolSize(eventLoops))
                .withTransport(transport)
                .build();
        this.metrics = new NodeMetrics(node.metrics().consumerLabels());
        this.upstreams = new Upstreams(vertx, node.upstreams().allowPrivateAddresses(), metrics.upstreams(),
                node.upstreams().retiredClientDrain());
        this.tls = new ServerTls(vertx, node.https());
        ModelCatalog catalog = node.ai().catalog() == null ? ModelCatalog.builtIn()
                : ModelCatalog.load(Path.of(node.ai().catalog()));
        this.gateway = new GatewayServer(vertx, node, upstreams, tls, PolicyRegistry.load(), catalog, eventLoops,
                metrics);
        CounterStore counterStore = store.counters();
        this.counters = new UsageCounters(vertx, counterStore, Clock.systemUTC(),
                UsageCounters.DEFAULT_FLUSH_INTERVAL);
        gateway.shareWithPolicies(UsageCounters.NODE_KEY, counters);
        this.watcher = new StoreWatcher(vertx, store, node.store().pollInterval(), this::apply);
        String token = AdminToken.resolve(node.admin(), node.dataPath(), env, System.out);
        SnapshotSource snapshots = new SnapshotSource() {
            @Override
            public ConfigSnapshot current() {
                return applied;
            }

            @Override
            public Future<ConfigSnapshot> refreshNow() {
                return watcher.refreshNow().map(read -> applied);
            }

            @Override
            public long storeVersion() {
                return watcher.storeVersion();
            }

            @Override
            public void check(ConfigSnapshot candidate) {
                gateway.check(candidate);
            }
        };
        DataPlane dataPlane = new DataPlane() {
            @Override
            public Map<String, UpstreamGroup> services() {
                return upstreams.groups();
            }

            @Override
            public List<AiGateway.ModelCircuitBreaker> modelCircuitBreakers() {
                return gateway.ai().circuitBreakers();
            }

            @Override
            public CacheStores caches() {
                return gateway.caches();
            }

            @Override
            public Set<String> cacheStoresOf(String route) {
                return CachePolicyFactory.storeTypes(applied, route);
            }

            @Override
            public List<UsageCounters.CounterState> counters(String kind) {
                return counters.list(kind);
            }

            @Override
            public List<UsageCounters.CounterState> budgets() {
                return budgetsInForce.current(counters.list(BudgetPolicy.KIND));
            }
        };
        metrics.onScrape(new LiveStateMetrics(dataPlane, Clock.systemUTC()));
        this.metricsServer = node.metrics().listenerEnabled() ? new MetricsServer(vertx, node.metrics(), metrics)
                : null;
        this.applyFailures = Counter.builder("portico.config.apply.failures")
                .description("Configuration versions this node read from the store but could not apply")
                .register(metrics.registry());
        String versionHelp = "The configuration version this node serves (source=applied), and the store's version"
                + " as this node last read it (source=store)";
        Gauge.builder("portico.config.version", this, portico -> portico.applied.version())
                .description(versionHelp)
                .tag("source", "applied")
                .register(metrics.registry());
        Gauge.builder("portico.config.version", watcher, StoreWatcher::storeVersion)
                .description(versionHelp)
                .tag("source", "store")
                .register(metrics.registry());
        Readiness readiness = new Readiness() {
            @Override
            public boolean ready() {
                return Portico.this.ready();
            }

            @Override
            public Map<String, Object> details() {
                return readinessDetails();
            }
        };
        this.admin = new AdminServer(vertx, node.admin(), token, store, store.accounts(), snapshots, readiness,
                dataPlane, metrics);
        this.signingKeys = new SigningKeyManager(vertx, store, () -> applied, watcher::refreshNow, Clock.systemUTC());
        Duration retention = node.store().auditRetention();
        this.auditRetention = retention == null ? null
                : new AuditRetention(vertx, store, retention, Clock.systemUTC());
    }

    /**
     * Opens the store and starts every listener of {@code node}.
     *
     * @param env the process environment, from which the admin token may come
     */
    public static Future<Portico> start(NodeConfig node, Map<String, String> env) {
        requireNonNull(node, "node");
        ConnectionErrorLogFilter.install();
        HikariLogFilter.install();
        JdbcConfigStore store;
        try {
            store = openStore(node, MasterKeys.resolve(node.dataPath(), env));
        } catch (RuntimeException e) {
            return Future.failedFuture(e);
        }
        Portico portico;
        try {
            portico = new Portico(node, env, store);
        } catch (RuntimeException e) {
            store.close();
            return Future.failedFuture(e);
        }
        return portico.startListeners().map(portico).recover(cause -> portico.stop().transform(v ->
                Future.failedFuture(cause)));
    }

    private static JdbcConfigStore openStore(NodeConfig node, Keyring keyring) {
        NodeConfig.Store settings = node.store();
        if (settings.url() == null) {
            JdbcConfigStore store = JdbcConfigStore.embedded(node.dataPath(), keyring);
            LOG.info("Configuration store: embedded H2 database in {}", node.dataPath().toAbsolutePath());
            return store;
        }
        JdbcConfigStore store = JdbcConfigStore.open(settings.url(), settings.username(), settings.password(),
                keyring);
        LOG.info("Configuration store: {}", NodeConfig.Store.redact(settings.url()));
        return store;
    }

    private Future<Void> startListeners() {
        return watcher.start()
                .compose(snapshot -> counters.start())
                .compose(v -> gateway.start())
                .compose(v -> admin.start())
                .compose(port -> {
                    adminPort = port;
                    return metricsServer == null ? Future.succeededFuture(-1) : metricsServer.start();
                })
                .map(port -> {
                    metricsPort = port;
                    signingKeys.start();
                    if (auditRetention != null) {
                        auditRetention.start();
                    }
                    started.set(true);
                    if (servesStoredConfiguration()) {
                        LOG.info("Portico ready with configuration version {} ({} transport)",
                                applied.version(), transport.name());
                    } else {
                        LOG.warn("Portico started ({} transport) but is not ready: configuration version {} in the"
                                + " store could not be applied, so every route answers 404 and /health/ready 503"
                                + " until a corrected version is stored", transport.name(), watcher.storeVersion());
                    }
                    return null;
                });
    }

    /**
     * Applies {@code snapshot} to the data plane. Called on the watcher's context. The returned future never
     * fails: it completes once the snapshot serves, was dropped for a later one, or its failure is logged and counted.
     */
    private Future<Void> apply(ConfigSnapshot snapshot) {
        Future<Boolean> installed;
        try {
            installed = gateway.apply(snapshot);
        } catch (RuntimeException e) {
            installed = Future.failedFuture(e);
        }
        return installed.transform(result -> {
            if (result.failed()) {
                applyFailed(snapshot, result.cause());
            } else if (result.result()) {
                applied(snapshot);
            }
            return Future.succeededFuture();
        });
    }

    private void applied(ConfigSnapshot snapshot) {
        boolean wasReady = ready();
        budgetsInForce = BudgetsInForce.of(snapshot);
        applied = snapshot;
        signingKeys.check();
        LOG.debug("Applied configuration version {}", snapshot.version());
        if (started.get() && !wasReady && ready()) {
            LOG.info("Portico ready with configuration version {}", snapshot.version());
        }
    }

    private void applyFailed(ConfigSnapshot snapshot, Throwable cause) {
        applyFailures.increment();
        if (cause instanceof ValidationException) {
            LOG.error("Configuration version {} cannot be applied, so the gateway keeps serving version {}: {}",
                    snapshot.version(), gateway.version(), cause.getMessage());
        } else {
            LOG.error("Configuration version {} cannot be applied, so the gateway keeps serving version {}",
                    snapshot.version(), gateway.version(), cause);
        }
    }

    /**
     * Returns true when the data plane serves a configuration version from the store, or the store contains none.
     * False while every version read so far failed to apply: the gateway then serves no routes.
     */
    private boolean servesStoredConfiguration() {
        return applied.version() > 0 || watcher.storeVersion() == 0;
    }

    /** The configuration versions, and the reason the node is not ready or serves an older version. */
    private Map<String, Object> readinessDetails() {
        long served = applied.version();
        long stored = watcher.storeVersion();
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("configVersion", served);
        details.put("storeVersion", stored);
        if (!started.get()) {
            details.put("reason", "the node is starting or stopping");
        } else if (!servesStoredConfiguration()) {
            details.put("reason", "no configuration version from the store could be applied yet; the node's log"
                    + " names the fields of version " + stored + " to correct");
        } else if (stored > served) {
            details.put("reason", "serves configuration version " + served + " while the store has version " + stored
                    + ", which this node has not applied yet or could not apply; see the node's log");
        }
        return details;
    }

    /**
     * Stops gracefully: readiness turns false, listeners stop accepting, requests in flight get up to the
     * configured drain timeout, then everything closes.
     *
     * <p>Each step's wait is bounded. The gateway listeners get the drain timeout plus
     * {@link #STOP_STEP_TIMEOUT}, closing the event loops gets {@link #EVENT_LOOPS_CLOSE_TIMEOUT}, and every other
     * step gets {@link #STOP_STEP_TIMEOUT}. A step that fails or times out is logged at WARN with its name, and
     * the next one runs all the same.
     *
     * @return a future that completes once the event loops are closed, failed with the first step's failure if
     *     there was one
     */
    public Future<Void> stop() {
        started.set(false);
        Duration drainTimeout = node.drainTimeout();
        LOG.info("Portico stopping; draining requests for up to {} ms", drainTimeout.toMillis());
        return new StopSequence(STOP_STEP_TIMEOUT)
                .then("the gateway listeners", drainTimeout.plus(STOP_STEP_TIMEOUT),
                        () -> gateway.shutdown(drainTimeout))
                .then("the admin API", admin::stop)
                .then("the metrics listener",
                        () -> metricsServer == null ? Future.succeededFuture() : metricsServer.stop())
                .then("the usage counters after a last flush", counters::stop)
                .then("the signing key and audit retention timers", () -> {
                    signingKeys.stop();
                    if (auditRetention != null) {
                        auditRetention.stop();
                    }
                    return Future.succeededFuture();
                })
                .then("the configuration watcher", watcher::stop)
                .then("the upstream clients", () -> {
                    upstreams.close();
                    return Future.succeededFuture();
                })
                // Closing the pool can wait on an unreachable database, so it runs off the event loop. The task is
                // unordered, so that no ordered blocking task of the calling context can hold it back.
                .then("the configuration store", () -> vertx.executeBlocking(() -> {
                    store.close();
                    return null;
                }, false))
                .then("the event loops", EVENT_LOOPS_CLOSE_TIMEOUT, vertx::close)
                .run()
                .onComplete(done -> {
                    metrics.close();
                    LOG.info("Portico stopped");
                });
    }

    public NodeConfig node() {
        return node;
    }

    public Vertx vertx() {
        return vertx;
    }

    /**
     * Returns the transport the node runs on: the configured one, or the {@code auto} choice if that was unavailable.
     */
    public Transport transport() {
        return transport;
    }

    public JdbcConfigStore store() {
        return store;
    }

    /** Returns the upstream groups of the configured services, whose clients {@link #stop()} closes after the drain. */
    public Upstreams upstreams() {
        return upstreams;
    }

    /** Returns the AI gateway of the AI routes, whose provider clients {@link #stop()} closes after the drain. */
    public AiGateway ai() {
        return gateway.ai();
    }

    /**
     * Returns true when the node has started, is not stopping, and serves a configuration version from the store
     * (or the store contains none).
     */
    public boolean ready() {
        return started.get() && servesStoredConfiguration();
    }

    public int httpPort() {
        return gateway.httpPort();
    }

    public int httpsPort() {
        return gateway.httpsPort();
    }

    public int adminPort() {
        return adminPort;
    }

    /** The port of the metrics listener, or -1 when {@code metrics.port} is not set. */
    public int metricsPort() {
        return metricsPort;
    }

    /** The configuration version the data plane serves. */
    public long configVersion() {
        return gateway.version();
    }
}

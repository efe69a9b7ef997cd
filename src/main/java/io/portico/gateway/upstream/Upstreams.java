package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.config.ServiceSpec;
import io.portico.net.client.Http1Client;
import io.portico.metrics.UpstreamMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream groups of all configured services, reconciled with each new configuration snapshot.
 *
 * <p>{@link #update} is called by one thread at a time, while request threads on any event loop call
 * {@link #group}. Each update builds the new groups first and then publishes them in one volatile write of an
 * immutable map, so a reader sees either the old or the new configuration, never a mix.
 *
 * <p>On update, a service whose {@link ServiceSpec} is unchanged keeps its group. A changed service gets a new
 * group that keeps the {@link TargetState} (health, counters, latency) of every target whose address stays, and
 * keeps its HTTP client and open connections when protocol, TLS, pool and connect timeout are unchanged. A client
 * that is no longer used shuts down gracefully: it takes no new requests, and its connections close once their
 * in-flight requests end, or after the drain period: {@code timeouts.total} when set, 5 minutes otherwise, so
 * long streamed responses can finish.
 */
public final class Upstreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);
    private static final Duration DEFAULT_DRAIN = Duration.ofMinutes(5);

    private final Vertx vertx;
    private final boolean allowPrivateAddresses;
    private final UpstreamMetrics metrics;
    private volatile Map<String, Entry> entries = Map.of();
    private volatile boolean closed;

    /** Creates an empty set of upstream groups that may connect to any address. */
    public Upstreams(Vertx vertx) {
        this(vertx, true);
    }

    /**
     * Creates an empty set of upstream groups; call {@link #update} to configure services.
     *
     * @param allowPrivateAddresses false to close every upstream connection, health checks included, whose resolved
     *     address is not public by {@code AddressRules}
     */
    public Upstreams(Vertx vertx, boolean allowPrivateAddresses) {
        this(vertx, allowPrivateAddresses, UpstreamMetrics.NONE);
    }

    /** Creates an empty set of upstream groups whose exchanges {@code metrics} records. */
    public Upstreams(Vertx vertx, boolean allowPrivateAddresses, UpstreamMetrics metrics) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.allowPrivateAddresses = allowPrivateAddresses;
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /**
     * Returns the group of service {@code serviceName}, or null when no such service is configured.
     */
    public UpstreamGroup group(String serviceName) {
        Entry entry = entries.get(serviceName);
        return entry == null ? null : entry.group;
    }

    /** Returns the configured groups by service name. */
    public Map<String, UpstreamGroup> groups() {
        Map<String, UpstreamGroup> groups = new HashMap<>();
        entries.forEach((name, entry) -> groups.put(name, entry.group));
        return Map.copyOf(groups);
    }

    /**
     * Reconciles the groups with a new configuration snapshot, keyed by service name.
     *
     * <p>A service whose TLS files or PEM text are invalid is logged at ERROR and keeps its previous group, or gets
     * none when it is new, so one broken service does not block the others.
     *
     * @throws IllegalStateException when this instance is closed
     */
    public synchronized void update(Map<String, ServiceSpec> services) {
        requireNonNull(services, "services");
        if (closed) {
            throw new IllegalStateException("upstreams are closed");
        }
        Map<String, Entry> previous = entries;
        Map<String, Entry> next = new HashMap<>();
        services.forEach((name, spec) -> {
            Entry current = previous.get(name);
            boolean unchanged = current != null && current.group.spec().equals(spec);
            Entry entry = unchanged ? current : build(name, spec, current);
            if (entry != null) {
                next.put(name, entry);
            }
        });
        entries = Map.copyOf(next);
        previous.forEach((name, old) -> retire(old, next.get(name)));
        removeRetiredMeters(previous, next);
        next.forEach((name, entry) -> {
            if (entry == previous.get(name)) {
                return;
            }
            // After retire(), so no probe of a replaced checker can mark a target down again.
            if (entry.checker != null) {
                entry.checker.start();
            } else {
                entry.group.targets().forEach(TargetState::clearActive);
            }
        });
    }

    /**
     * Stops all health checks and starts closing all clients at once, which fails their in-flight requests.
     * Returns without waiting for the connections to close.
     */
    @Override
    public synchronized void close() {
        closed = true;
        Map<String, Entry> closing = entries;
        entries = Map.of();
        closing.values().forEach(entry -> {
            if (entry.checker != null) {
                entry.checker.close();
            }
            entry.client.close();
            if (entry.http1Client != null) {
                entry.http1Client.close();
            }
        });
    }

    private Entry build(String name, ServiceSpec spec, Entry previous) {
        boolean reuseClient = previous != null && UpstreamClients.sameClient(previous.group.spec(), spec);
        HttpClientAgent client;
        Http1Client http1Client;
        try {
            UpstreamClients.validateTls(spec);
            client = reuseClient ? previous.client : UpstreamClients.create(vertx, name, spec, allowPrivateAddresses);
            http1Client = reuseClient ? previous.http1Client
                    : UpstreamClients.createHttp1(vertx, name, spec, allowPrivateAddresses);
        } catch (RuntimeException e) {
            LOG.error("Upstream service '{}' not updated, keeping its previous configuration if any: {}", name,
                    e.getMessage());
            return previous;
        }
        List<TargetState> targets = targets(name, spec, previous);
        RetryBudget budget = previous != null && previous.group.spec().retries().equals(spec.retries())
                ? previous.group.retryBudget()
                : RetryBudget.of(spec.retries());
        UpstreamGroup group = new UpstreamGroup(name, spec, client, http1Client, targets, budget);
        ActiveHealthChecker checker = null;
        if (spec.healthCheck().active() != null) {
            checker = new ActiveHealthChecker(vertx, group,
                    UpstreamClients.create(vertx, name, spec, 1, allowPrivateAddresses));
        }
        LOG.debug("Upstream service '{}' configured: {} targets, {}{}", name, targets.size(),
                spec.loadBalancing().algorithm(), reuseClient ? ", connections kept" : "");
        return new Entry(group, client, http1Client, checker);
    }

    /** Returns the states of {@code spec}'s targets, reusing those of {@code previous} with the same address. */
    private List<TargetState> targets(String name, ServiceSpec spec, Entry previous) {
        Map<String, TargetState> known = new HashMap<>();
        if (previous != null) {
            previous.group.targets().forEach(target -> known.put(target.address(), target));
        }
        Map<String, Integer> weights = new LinkedHashMap<>();
        Map<String, ServiceSpec.Target> byAddress = new HashMap<>();
        for (ServiceSpec.Target target : spec.targets()) {
            weights.merge(target.address(), target.weight(), Integer::sum);
            byAddress.putIfAbsent(target.address(), target);
        }
        ServiceSpec.Passive passive = spec.healthCheck().passive();
        return weights.entrySet().stream().map(weight -> {
            TargetState state = known.get(weight.getKey());
            if (state == null) {
                state = new TargetState(name, byAddress.get(weight.getKey()), System::nanoTime, metrics);
            }
            state.configure(weight.getValue(), passive, spec.circuitBreaker());
            return state;
        }).toList();
    }

    /** Removes the meters of the targets that {@code previous} served and {@code next} no longer lists. */
    private static void removeRetiredMeters(Map<String, Entry> previous, Map<String, Entry> next) {
        Set<TargetState> live = Collections.newSetFromMap(new IdentityHashMap<>());
        next.values().forEach(entry -> live.addAll(entry.group.targets()));
        previous.values().forEach(entry -> entry.group.targets().stream().filter(target -> !live.contains(target))
                .forEach(TargetState::removeMeters));
    }

    private void retire(Entry old, Entry replacement) {
        if (old == replacement) {
            return;
        }
        if (old.checker != null) {
            old.checker.close();
        }
        if (replacement != null && replacement.client == old.client) {
            return;
        }
        Duration total = old.group.spec().timeouts().total();
        Duration drain = total != null ? total : DEFAULT_DRAIN;
        old.client.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS).onFailure(cause ->
                LOG.warn("Closing the connections to the old targets of upstream service '{}' failed: {}",
                        old.group.name(), cause.getMessage()));
        if (old.http1Client != null) {
            old.http1Client.shutdown(drain.toMillis());
        }
    }

    /** A published group with the resources it owns. */
    private record Entry(UpstreamGroup group, HttpClientAgent client, Http1Client http1Client,
                         ActiveHealthChecker checker) {
    }
}

package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.config.Errors;
import io.portico.config.ServiceSpec;
import io.portico.net.client.Http1Client;
import io.portico.metrics.UpstreamMetrics;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upstream groups of all configured services, reconciled with each new configuration snapshot.
 *
 * <p>A new set of services is applied in two steps. {@link #prepare} builds the new groups, their HTTP clients and
 * health checkers on the calling thread, reading upstream TLS files, so it belongs on a worker thread.
 * {@link #install} then publishes them in one volatile write of an immutable map and hands the clients they
 * replace to a worker thread to shut down, so it may run on an event loop. Request threads on any event loop call
 * {@link #group} and see either the old or the new configuration, never a mix. {@link #update} does both steps,
 * and the shutdown, on the calling thread.
 *
 * <p>On update, a service whose {@link ServiceSpec} is unchanged keeps its group. A changed service gets a new
 * group that keeps the {@link TargetState} (health, counters, latency) of every target whose address stays, and
 * keeps its HTTP client and open connections when protocol, TLS, pool and connect timeout are unchanged. A client
 * that is no longer used shuts down gracefully: it takes no new requests, and its connections close once their
 * in-flight requests end, or after the drain period: {@code timeouts.total} when set, otherwise the default drain
 * (5 minutes unless the node setting {@code upstreams.retiredClientDrain} sets it), so long streamed responses can
 * finish.
 */
public final class Upstreams implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Upstreams.class);
    /** The drain period of a retired client whose service sets no total timeout, unless the constructor sets one. */
    private static final Duration DEFAULT_DRAIN = Duration.ofMinutes(5);

    private final Vertx vertx;
    private final boolean allowPrivateAddresses;
    private final UpstreamMetrics metrics;
    private final Duration defaultDrain;
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
        this(vertx, allowPrivateAddresses, metrics, DEFAULT_DRAIN);
    }

    /**
     * Creates an empty set of upstream groups whose retired clients drain for {@code defaultDrain} when their
     * service sets no total timeout.
     */
    public Upstreams(Vertx vertx, boolean allowPrivateAddresses, UpstreamMetrics metrics, Duration defaultDrain) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.allowPrivateAddresses = allowPrivateAddresses;
        this.metrics = requireNonNull(metrics, "metrics");
        this.defaultDrain = requireNonNull(defaultDrain, "defaultDrain");
    }

    /**
     * Returns the group of service {@code serviceName}, or null when no such service is configured.
     */
    public UpstreamGroup group(String serviceName) {
        Entry entry = entries.get(serviceName);
        return entry == null ? null : entry.group;
    }

    /**
     * Returns true once {@link #close} has started. A node closes its upstreams only when it stops, after the
     * listeners' drain, so a request still running then was cut off by the stop.
     */
    public boolean isClosed() {
        return closed;
    }

    /** Returns the configured groups by service name. */
    public Map<String, UpstreamGroup> groups() {
        Map<String, UpstreamGroup> groups = new HashMap<>();
        entries.forEach((name, entry) -> groups.put(name, entry.group));
        return Map.copyOf(groups);
    }

    /**
     * Reconciles the groups with a new configuration snapshot, keyed by service name: {@link #prepare} and
     * {@link #install} on the calling thread.
     *
     * @throws IllegalStateException when this instance is closed
     */
    public synchronized void update(Map<String, ServiceSpec> services) {
        Plan plan = prepare(services);
        try {
            install(plan, false);
        } catch (RuntimeException e) {
            plan.release();
            throw e;
        }
    }

    /**
     * Builds the groups of {@code services}, keyed by service name, against the groups that serve now, without
     * publishing them. It reads upstream TLS files and creates HTTP clients, so call it on a worker thread. Safe to
     * call while requests use the current groups and while another plan is prepared.
     *
     * <p>A service whose TLS files or PEM text are invalid keeps its previous group, or gets none when it is new, so
     * one broken service does not block the others. {@link #install} logs it at ERROR.
     *
     * @return the plan, which the caller must either {@link #install} or {@link Plan#release}
     * @throws IllegalStateException when this instance is closed
     */
    public Plan prepare(Map<String, ServiceSpec> services) {
        requireNonNull(services, "services");
        if (closed) {
            throw new IllegalStateException("upstreams are closed");
        }
        Plan plan = new Plan(this, entries);
        try {
            services.forEach((name, spec) -> plan.add(name, build(name, spec, plan.base.get(name), plan)));
            plan.complete();
        } catch (RuntimeException e) {
            plan.release();
            throw e;
        }
        return plan;
    }

    /**
     * Publishes the groups of {@code plan}: applies new weights and health settings to the targets that stay,
     * closes replaced health checkers and starts the new ones. It runs in time proportional to the number of changed
     * services and reads no file. The clients no group uses any more are shut down, and the meters of removed
     * targets released, on a worker thread afterwards, since that takes a while for thousands of services.
     *
     * @throws IllegalStateException when this instance is closed, when the plan was installed or released before,
     *     or when another plan was installed since {@code plan} was prepared ({@link Plan#isCurrent()} is false).
     *     The plan is left as it was, for the caller to release.
     */
    public synchronized void install(Plan plan) {
        install(plan, true);
    }

    private void install(Plan plan, boolean retireOnWorker) {
        requireNonNull(plan, "plan");
        if (plan.owner != this) {
            throw new IllegalArgumentException("the plan was prepared by another Upstreams instance");
        }
        if (closed) {
            throw new IllegalStateException("upstreams are closed");
        }
        if (!plan.isCurrent()) {
            throw new IllegalStateException("the plan was prepared against groups that no longer serve; "
                    + "prepare it again");
        }
        if (!plan.claim()) {
            throw new IllegalStateException("the plan was already installed or released");
        }
        plan.failures.forEach((name, message) -> LOG.error(
                "Upstream service '{}' not updated, keeping its previous configuration if any: {}", name, message));
        plan.built.forEach(Built::reconfigureKeptTargets);
        entries = plan.next;
        plan.retired.forEach(retired -> {
            if (retired.entry.checker != null) {
                retired.entry.checker.close();
            }
        });
        for (Built built : plan.built) {
            // After the replaced checkers closed, so none of their probes can mark a target down again.
            Entry entry = built.entry;
            if (entry.checker != null) {
                // Its probes run on this context, at times spread over one interval rather than all at once.
                Entry replaced = plan.base.get(built.name);
                entry.checker.start(replaced == null ? null : replaced.checker);
            } else {
                entry.group.targets().forEach(TargetState::clearActive);
            }
            LOG.debug("Upstream service '{}' configured: {} targets, {}{}", entry.group.name(),
                    entry.group.targets().size(), entry.group.spec().loadBalancing().algorithm(),
                    built.ownsClients ? "" : ", connections kept");
        }
        if (retireOnWorker) {
            vertx.executeBlocking(() -> retire(plan), false).onFailure(cause -> LOG.warn(
                    "Shutting down the clients of replaced upstream services failed; their connections close when "
                    + "the node stops", cause));
        } else {
            retire(plan);
        }
    }

    /** Shuts down the clients that {@code plan} replaced and releases the meters of the targets it removed. */
    private Void retire(Plan plan) {
        plan.retired.forEach(this::shutDownClients);
        plan.retiredTargets.forEach(TargetState::removeMeters);
        return null;
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

    /**
     * Records into {@code errors}, under {@code services/NAME}, each service of {@code services} whose HTTP clients
     * this node could not create. Creates nothing, so it is safe to call from any thread.
     */
    public static void check(Map<String, ServiceSpec> services, Errors errors) {
        services.forEach((name, spec) -> {
            try {
                UpstreamClients.checkOptions(name, spec);
            } catch (RuntimeException e) {
                errors.add("services/" + name, "the gateway cannot create the service's HTTP client: "
                        + e.getMessage());
            }
        });
    }

    /**
     * Returns the entry of {@code spec}: {@code previous} when the spec is unchanged, or when the TLS settings are
     * invalid, which {@code plan} records. Otherwise a new entry, which {@code plan} records with what it created.
     */
    private Entry build(String name, ServiceSpec spec, Entry previous, Plan plan) {
        if (previous != null && previous.group.spec().equals(spec)) {
            return previous;
        }
        boolean reuseClient = previous != null && UpstreamClients.sameClient(previous.group.spec(), spec);
        try {
            UpstreamClients.validateTls(spec);
        } catch (IllegalArgumentException e) {
            plan.failures.put(name, e.getMessage());
            return previous;
        }
        Built built = new Built(name, !reuseClient);
        try {
            built.entry = newEntry(name, spec, previous, reuseClient, built);
        } catch (RuntimeException e) {
            built.release();
            plan.failures.put(name, e.getMessage());
            return previous;
        }
        plan.built.add(built);
        return built.entry;
    }

    /**
     * Creates the entry of a changed service, recording in {@code built} each client, checker and target state as
     * soon as it exists, so {@link Built#release} can undo a creation that fails halfway.
     */
    private Entry newEntry(String name, ServiceSpec spec, Entry previous, boolean reuseClient, Built built) {
        if (reuseClient) {
            built.client = previous.client;
            built.http1Client = previous.http1Client;
        } else {
            built.client = UpstreamClients.create(vertx, name, spec, allowPrivateAddresses);
            built.http1Client = UpstreamClients.createHttp1(vertx, name, spec, allowPrivateAddresses);
        }
        int[] weights = targets(name, spec, previous, built);
        RetryBudget budget = previous != null && previous.group.spec().retries().equals(spec.retries())
                ? previous.group.retryBudget()
                : RetryBudget.of(spec.retries());
        UpstreamGroup group = new UpstreamGroup(name, spec, built.client, built.http1Client, built.targets, weights,
                budget);
        if (spec.healthCheck().active() != null) {
            built.checker = new ActiveHealthChecker(vertx, group,
                    UpstreamClients.create(vertx, name, spec, 1, allowPrivateAddresses));
        }
        return new Entry(group, built.client, built.http1Client, built.checker);
    }

    private static void closeClients(HttpClientAgent client, Http1Client http1Client) {
        if (client != null) {
            client.close();
        }
        if (http1Client != null) {
            http1Client.close();
        }
    }

    /**
     * Fills {@code built} with the states of {@code spec}'s targets, reusing those of {@code previous} with the same
     * address, and returns their configured weights in the same order. A new state gets its settings now, and a reused
     * one, which the serving group shares, gets them when the plan is installed.
     */
    private int[] targets(String name, ServiceSpec spec, Entry previous, Built built) {
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
        int[] ordered = new int[weights.size()];
        int index = 0;
        for (Map.Entry<String, Integer> weight : weights.entrySet()) {
            TargetState state = known.get(weight.getKey());
            if (state == null) {
                state = new TargetState(name, byAddress.get(weight.getKey()), System::nanoTime, metrics);
                state.configure(weight.getValue(), passive, spec.circuitBreaker());
                built.created.add(state);
            } else {
                built.keptTargets.add(new KeptTarget(state, weight.getValue()));
            }
            built.targets.add(state);
            ordered[index++] = weight.getValue();
        }
        return ordered;
    }

    private void shutDownClients(Retired retired) {
        Entry old = retired.entry;
        if (retired.clientKept) {
            return;
        }
        Duration total = old.group.spec().timeouts().total();
        Duration drain = total != null ? total : defaultDrain;
        // NOTE: a request that Vert.x's client still carries when its drain ends fails like one whose connection
        // broke: it counts as a connection error of the target and may be retried. Only Http1Client reports such a
        // request as cut off (DrainExpiredException).
        old.client.shutdown(drain.toMillis(), TimeUnit.MILLISECONDS).onFailure(cause ->
                LOG.warn("Closing the connections to the old targets of upstream service '{}' failed: {}",
                        old.group.name(), cause.getMessage()));
        if (old.http1Client != null) {
            old.http1Client.shutdown(drain.toMillis());
        }
    }

    /**
     * The groups of one set of services, built by {@link Upstreams#prepare} and not yet serving. It is either
     * installed or released, once. Everything except {@link #isCurrent} and {@link #release} is confined to the
     * thread that prepares it, then to the one that installs it.
     */
    public static final class Plan {
        private final Upstreams owner;
        /** The groups that served when the plan was prepared. */
        private final Map<String, Entry> base;
        private final Map<String, Entry> collected = new HashMap<>();
        /** The entries this plan built, with the clients, checkers and target states it created. */
        private final List<Built> built = new ArrayList<>();
        /** The reason each service was not updated, by service name. */
        private final Map<String, String> failures = new LinkedHashMap<>();
        private final List<Retired> retired = new ArrayList<>();
        private final List<TargetState> retiredTargets = new ArrayList<>();
        private Map<String, Entry> next;
        private final AtomicBoolean used = new AtomicBoolean();

        private Plan(Upstreams owner, Map<String, Entry> base) {
            this.owner = owner;
            this.base = base;
        }

        private void add(String name, Entry entry) {
            if (entry != null) {
                collected.put(name, entry);
            }
        }

        /** Lists what installing replaces: base entries that are not kept, and target states no entry uses. */
        private void complete() {
            next = Map.copyOf(collected);
            Set<TargetState> live = Collections.newSetFromMap(new IdentityHashMap<>());
            next.values().forEach(entry -> live.addAll(entry.group.targets()));
            base.forEach((name, old) -> {
                Entry replacement = next.get(name);
                if (replacement != old) {
                    retired.add(new Retired(old, replacement != null && replacement.client == old.client));
                }
            });
            base.values().forEach(entry -> entry.group.targets().stream()
                    .filter(target -> !live.contains(target))
                    .forEach(retiredTargets::add));
        }

        /** Returns whether the groups this plan was prepared against still serve, so it may be installed. */
        public boolean isCurrent() {
            return owner.entries == base;
        }

        private boolean claim() {
            return used.compareAndSet(false, true);
        }

        /**
         * Closes the clients and health checkers this plan created and releases the meters of its new targets,
         * unless the plan was installed. Safe on any thread, and calling it again has no effect. Clients and states
         * that the plan shares with the serving groups are left alone.
         */
        public void release() {
            if (!claim()) {
                return;
            }
            for (Built entry : built) {
                entry.release();
            }
        }
    }

    /** A new entry of a plan, with what the plan created for it and the shared target states it reconfigures. */
    private static final class Built {
        private final String name;
        /** Whether the client and HTTP/1.1 client are new, rather than taken from the replaced entry. */
        private final boolean ownsClients;
        private final List<TargetState> targets = new ArrayList<>();
        private final List<TargetState> created = new ArrayList<>();
        private final List<KeptTarget> keptTargets = new ArrayList<>();
        private HttpClientAgent client;
        private Http1Client http1Client;
        private ActiveHealthChecker checker;
        private Entry entry;

        Built(String name, boolean ownsClients) {
            this.name = name;
            this.ownsClients = ownsClients;
        }

        void reconfigureKeptTargets() {
            ServiceSpec spec = entry.group.spec();
            keptTargets.forEach(target -> target.state.configure(target.weight, spec.healthCheck().passive(),
                    spec.circuitBreaker()));
        }

        void release() {
            if (checker != null) {
                checker.close();
            }
            if (ownsClients) {
                closeClients(client, http1Client);
            }
            created.forEach(TargetState::removeMeters);
            LOG.debug("Upstream service '{}' was prepared but not installed; its new clients are closed", name);
        }
    }

    /** A target state that a new group shares with the serving one, and the weight it gets on install. */
    private record KeptTarget(TargetState state, int weight) {
    }

    /** A serving entry that installing a plan replaces or removes. */
    private record Retired(Entry entry, boolean clientKept) {
    }

    /** A published group with the resources it owns. */
    private record Entry(UpstreamGroup group, HttpClientAgent client, Http1Client http1Client,
                         ActiveHealthChecker checker) {
    }
}

package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.CircuitBreakerSpec;
import io.portico.config.Durations;
import io.portico.config.ServiceSpec;
import io.portico.logging.WarningLimiter;
import io.portico.metrics.UpstreamMetrics;
import io.portico.net.client.Origin;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The live state of one upstream target of one service: requests in flight, health and smoothed latency.
 *
 * <p>{@link Upstreams} keeps the same instance for as long as the service lists a target with this address, so a
 * configuration change does not reset health or latency. All methods are thread-safe. Selection and request
 * accounting are lock-free; latency updates and active check results hold a private lock for a few operations.
 *
 * <h2>Health</h2>
 * A target is {@link #healthy()} when neither check has taken it out:
 * <ul>
 *   <li>Passive: {@code unhealthyThreshold} consecutive failed exchanges (see {@link Outcome}) eject the target for
 *       {@code recovery}. After that it is half-open: it is selected only while no request to it is in flight,
 *       and the first outcome decides. A success puts it back in rotation, a failure ejects it for another
 *       {@code recovery}.</li>
 *   <li>Active: the {@link ActiveHealthChecker} marks it down after {@code unhealthyThreshold} consecutive failed
 *       probes and up after {@code healthyThreshold} consecutive successful ones. A new target starts up.</li>
 * </ul>
 * Each transition is logged once, at WARN when the target goes out and at INFO when it comes back.
 *
 * <h2>Circuit breaker</h2>
 * When the service configures {@code circuitBreaker}, the target also has a {@link CircuitBreaker}: a stricter,
 * rate-based check on the same outcomes. The exchanges that count as passive health failures count as failed
 * calls, and a response whose headers take longer than {@code slowCallDuration} counts as slow. An open breaker
 * takes the target out of rotation just as an ejection does, whatever the health checks say.
 *
 * <h2>Latency</h2>
 * {@link #ewma()} is an exponentially weighted moving average of the latency of successful responses and of
 * timeouts. Each sample moves the average by {@code alpha = max(0.1, 1 - 2^(-elapsed / 10 s))}, where
 * {@code elapsed} is the time since the previous sample. Under steady traffic the average follows the last ten or
 * so samples; after a quiet period old samples lose half their weight every 10 seconds. A failure that is not a
 * timeout (connect failure, connection error, failure status) would look fast, so instead it doubles the average,
 * or sets it to 1 second when no latency is known yet.
 *
 * <p>A response status is a failure when it is listed in {@code healthCheck.passive.failureStatuses}, or is 502,
 * 503 or 504 when the service has no passive check.
 */
public final class TargetState {

    private static final Logger LOG = LoggerFactory.getLogger(TargetState.class);
    private static final long NOT_EJECTED = Long.MIN_VALUE;
    private static final double MIN_ALPHA = 0.1;
    private static final double HALF_LIFE_NANOS = Duration.ofSeconds(10).toNanos();
    /**
     * Time without a latency sample after which least-latency sends one request to a target that last responded in time
     * (see {@link #latencyProbeDue()}), and after which the next sample replaces the average instead of blending in.
     * A target avoided after a short stall thus gets traffic back within about this time once it is fast again.
     */
    private static final long LATENCY_PROBE_NANOS = Duration.ofSeconds(5).toNanos();
    private static final double UNKNOWN_FAILURE_PENALTY_NANOS = Duration.ofSeconds(1).toNanos();
    /** The largest smoothed latency that failures alone can raise a target to, by doubling it. */
    private static final double MAX_PENALTY_NANOS = Duration.ofMinutes(5).toNanos();
    private static final PassivePolicy DEFAULT_FAILURE_STATUSES =
            new PassivePolicy(new ServiceSpec.Passive(null, null, null));
    /** Shortest time between two WARN lines about failed TLS connections, or about a full pool, of one target. */
    private static final long WARN_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();

    private final String service;
    private final String host;
    private final int port;
    private final String address;
    private final SocketAddress socketAddress;
    private final HostAndPort authority;
    private final Origin origin;
    private final String hostHeader;
    private final LongSupplier nanoClock;

    private volatile int weight;
    private volatile PassivePolicy passive;
    private volatile CircuitBreaker breaker;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final LongAdder requests = new LongAdder();
    private final LongAdder failures = new LongAdder();

    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private final AtomicLong ejectedUntil = new AtomicLong(NOT_EJECTED);

    private final Object activeLock = new Object();
    private volatile boolean activeDown;
    private Object activeChecker;
    private int activeSuccesses;
    private int activeFailures;

    private final UpstreamMetrics.TargetMeters meters;

    /** Rate limit of the WARN lines about failed TLS connections. It counts the failures it suppresses. */
    private final WarningLimiter tlsWarnings;
    /** Rate limit of the WARN lines about requests that found no free pooled connection. */
    private final WarningLimiter poolWarnings;

    private final Object latencyLock = new Object();
    private volatile double ewma;
    private volatile boolean latencyKnown;
    private volatile long lastSampleNanos;
    /** True when the last latency sample came from a timeout or a failure rather than a response in time. */
    private volatile boolean lastSampleFailed;

    TargetState(String service, ServiceSpec.Target target, LongSupplier nanoClock) {
        this(service, target, nanoClock, UpstreamMetrics.NONE);
    }

    /** Creates the state of a target whose exchanges {@code metrics} records. */
    TargetState(String service, ServiceSpec.Target target, LongSupplier nanoClock, UpstreamMetrics metrics) {
        this.service = requireNonNull(service, "service");
        requireNonNull(target, "target");
        this.host = requireNonNull(target.host(), "target.host");
        this.port = requireNonNull(target.port(), "target.port");
        this.address = target.address();
        this.socketAddress = SocketAddress.inetSocketAddress(port, host);
        this.authority = HostAndPort.create(uriHost(), port);
        this.origin = Origin.http(host, port);
        this.hostHeader = hostHeader(authority);
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.tlsWarnings = new WarningLimiter(WARN_INTERVAL_NANOS, nanoClock);
        this.poolWarnings = new WarningLimiter(WARN_INTERVAL_NANOS, nanoClock);
        this.weight = target.weight();
        this.meters = metrics.target(service, address);
    }

    /** Returns the target's host name or IP address, as configured. */
    public String host() {
        return host;
    }

    /** Returns the host as written in a URI or {@code Host} header: an IPv6 address in brackets. */
    public String uriHost() {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    /** Returns the target's port. */
    public int port() {
        return port;
    }

    /** Returns {@code host:port} ({@code [host]:port} for IPv6), the key that identifies this target. */
    public String address() {
        return address;
    }

    /** Returns the target as the authority of a request: {@link #uriHost()} and {@link #port()}. */
    public HostAndPort authority() {
        return authority;
    }

    /** Returns the plain-http origin under which the Netty client pools connections to this target. */
    public Origin origin() {
        return origin;
    }

    /** Returns the {@code Host} header value that names this target: {@link #authority()} as Vert.x writes it. */
    public String hostHeader() {
        return hostHeader;
    }

    /** Returns the {@code Host} header value for {@code authority}, without the port when it is 80. */
    public static String hostHeader(HostAndPort authority) {
        int port = authority.port();
        return port < 0 || port == 80 ? authority.host() : authority.host() + ":" + port;
    }

    /** Returns the address to connect to, for {@code RequestOptions.setServer}. */
    public SocketAddress socketAddress() {
        return socketAddress;
    }

    /** Returns the current configured weight; 0 means the target receives no traffic. */
    public int weight() {
        return weight;
    }

    /** Returns the number of exchanges started and not yet ended. */
    public int inFlight() {
        return inFlight.get();
    }

    /** Returns the number of exchanges started since this target was first configured. */
    public long requests() {
        return requests.sum();
    }

    /** Returns the number of exchanges that ended in a failure, counted with or without a passive check. */
    public long failures() {
        return failures.sum();
    }

    /** Returns whether neither the passive nor the active health check has the target marked down. */
    public boolean healthy() {
        if (activeDown) {
            return false;
        }
        long until = ejectedUntil.get();
        return until == NOT_EJECTED || nanoClock.getAsLong() - until >= 0;
    }

    /** Returns the target's circuit breaker, or null when the service configures none. */
    public CircuitBreaker circuitBreaker() {
        return breaker;
    }

    /**
     * Ends the circuit breaker permit that {@link UpstreamGroup#select} took for this target, when the caller
     * decides not to send the request after all. Not needed after {@link #onRequestStart()}.
     */
    public void release() {
        CircuitBreaker current = breaker;
        if (current != null) {
            current.release();
        }
    }

    /** Returns the smoothed latency in nanoseconds, or 0 when no latency was recorded yet. */
    public double ewma() {
        return ewma;
    }

    /** Returns whether at least one latency sample was recorded. */
    public boolean latencyKnown() {
        return latencyKnown;
    }

    /** Records that an exchange with this target starts; call exactly once per attempt, before sending. */
    public void onRequestStart() {
        inFlight.incrementAndGet();
        requests.increment();
    }

    /**
     * Records how an exchange started with {@link #onRequestStart()} ended.
     *
     * @param latencyNanos time from sending the request to the response headers, or to the failure
     * @param outcome how the exchange ended
     */
    public void onRequestEnd(long latencyNanos, Outcome outcome) {
        requireNonNull(outcome, "outcome");
        inFlight.decrementAndGet();
        switch (outcome.kind()) {
            case RESPONSE -> onResponse(latencyNanos, outcome.status());
            case TIMEOUT -> {
                recordLatency(latencyNanos, false);
                onFailure("timed out", latencyNanos);
            }
            case CONNECT_FAILURE -> {
                penalizeLatency(latencyNanos);
                onFailure("connection failed", latencyNanos);
            }
            case CONNECTION_ERROR -> {
                penalizeLatency(latencyNanos);
                onFailure("connection error", latencyNanos);
            }
            case NO_CONNECTION, REFUSED, CANCELLED -> {
                // The request never reached the target, the target did not process it, or the client went away:
                // nothing learnt about the target.
                CircuitBreaker current = breaker;
                if (current != null) {
                    current.release(latencyNanos);
                }
            }
            default -> throw new IllegalStateException("unknown outcome " + outcome);
        }
        meters.record(meterOutcome(outcome), latencyNanos);
    }

    /**
     * Logs a failed TLS connection to this target at WARN, at most once a minute, with the number of failures since
     * the last such line.
     */
    public void onTlsFailure(TlsFailure failure) {
        requireNonNull(failure, "failure");
        long earlier = tlsWarnings.tryAcquire();
        if (earlier == WarningLimiter.SUPPRESSED) {
            return;
        }
        if (earlier == 0) {
            LOG.warn("TLS connection to upstream target {} of service '{}' failed: {} ({})", address, service,
                    failure.reason(), failure.detail());
        } else {
            LOG.warn("TLS connection to upstream target {} of service '{}' failed: {} ({}); {} more failed since the "
                    + "last report", address, service, failure.reason(), failure.detail(), earlier);
        }
    }

    private static int meterOutcome(Outcome outcome) {
        return switch (outcome.kind()) {
            case RESPONSE -> UpstreamMetrics.response(outcome.status());
            case CONNECT_FAILURE -> UpstreamMetrics.CONNECT_FAILURE;
            case CONNECTION_ERROR -> UpstreamMetrics.CONNECTION_ERROR;
            case TIMEOUT -> UpstreamMetrics.TIMEOUT;
            case NO_CONNECTION -> UpstreamMetrics.NO_CONNECTION;
            case REFUSED -> UpstreamMetrics.REFUSED;
            case CANCELLED -> UpstreamMetrics.CANCELLED;
        };
    }

    /**
     * Logs at WARN, at most once a minute, that a request found no free connection to this target in the service's
     * pool within {@code waitMillis}, with the number of such requests since the last line. The pool had
     * {@code pool.maxConnections} busy connections to the target, so the request never reached it.
     */
    public void onPoolExhausted(long waitMillis, int maxConnections) {
        long earlier = poolWarnings.tryAcquire();
        if (earlier == WarningLimiter.SUPPRESSED) {
            return;
        }
        String more = earlier == 0 ? "" : "; " + earlier + " more since the last report";
        LOG.warn("No pooled connection to upstream target {} of service '{}' became free within {} ms: all {} "
                + "connections of pool.maxConnections were busy, so raise it if the target can take more{}",
                address, service, waitMillis, maxConnections, more);
    }

    /**
     * Counts a retry of a request whose attempt on this target failed or got a status in {@code retries.statuses}.
     *
     * @param sent true when the retry budget allowed the retry, false when the budget rejected it
     */
    public void onRetry(boolean sent) {
        meters.retry(sent);
    }

    /** Removes this target's meters, once its service no longer lists it. */
    void removeMeters() {
        meters.remove();
    }

    @Override
    public String toString() {
        return service + "/" + address;
    }

    /**
     * Returns whether a balancer may send a request to this target now: healthy and, while half-open after a
     * passive ejection, with no request in flight.
     */
    boolean available() {
        if (activeDown) {
            return false;
        }
        CircuitBreaker current = breaker;
        if (current != null && !current.allows()) {
            return false;
        }
        long until = ejectedUntil.get();
        if (until == NOT_EJECTED) {
            return true;
        }
        return nanoClock.getAsLong() - until >= 0 && inFlight.get() == 0;
    }

    /**
     * Takes a circuit breaker permit for a request about to be sent to this target. Returns false when the breaker
     * lets no more requests through, for example because another request took the last half-open probe.
     */
    boolean admit() {
        CircuitBreaker current = breaker;
        return current == null || current.tryAcquire();
    }

    /** Returns whether the target has a circuit breaker that lets no request through now. */
    boolean circuitOpen() {
        CircuitBreaker current = breaker;
        return current != null && !current.allows();
    }

    /** Applies the weight and passive health settings of a new configuration, without a circuit breaker. */
    void configure(int weight, ServiceSpec.Passive passiveSpec) {
        configure(weight, passiveSpec, null);
    }

    /**
     * Applies the weight, passive health and circuit breaker settings of a new configuration. A breaker that stays
     * configured keeps its state and counts.
     */
    void configure(int weight, ServiceSpec.Passive passiveSpec, CircuitBreakerSpec breakerSpec) {
        CircuitBreaker current = breaker;
        if (breakerSpec == null) {
            breaker = null;
        } else if (current == null) {
            breaker = new CircuitBreaker("upstream target " + address + " of service '" + service + "'", breakerSpec,
                    nanoClock, System::currentTimeMillis);
        } else {
            current.configure(breakerSpec);
        }
        this.weight = weight;
        this.passive = passiveSpec == null ? null : new PassivePolicy(passiveSpec);
        if (passiveSpec == null) {
            consecutiveFailures.set(0);
            ejectedUntil.set(NOT_EJECTED);
        }
    }

    /**
     * Makes {@code checker} the only source of active health results, keeping the current state, so a checker
     * replaced by a configuration change can no longer report.
     */
    void claimActiveChecks(Object checker) {
        synchronized (activeLock) {
            activeChecker = checker;
        }
    }

    /** Forgets the active health state and ignores all checkers, for a configuration without active checks. */
    void clearActive() {
        synchronized (activeLock) {
            activeChecker = null;
            activeDown = false;
            activeSuccesses = 0;
            activeFailures = 0;
        }
    }

    /** Records one active health probe of {@code checker}, unless another checker claimed this target since. */
    void onActiveCheck(Object checker, boolean success, String detail, ServiceSpec.Active spec) {
        synchronized (activeLock) {
            if (checker != activeChecker) {
                return;
            }
            if (success) {
                activeFailures = 0;
                activeSuccesses++;
                if (activeDown && activeSuccesses >= spec.healthyThreshold()) {
                    activeDown = false;
                    LOG.info("Upstream target {} of service '{}' is healthy again: {} consecutive active health "
                            + "checks succeeded", address, service, activeSuccesses);
                }
            } else {
                activeSuccesses = 0;
                activeFailures++;
                if (!activeDown && activeFailures >= spec.unhealthyThreshold()) {
                    activeDown = true;
                    LOG.warn("Upstream target {} of service '{}' marked unhealthy: {} consecutive active health "
                            + "checks of {} failed, last: {}", address, service, activeFailures, spec.path(), detail);
                }
            }
        }
    }

    private void onResponse(long latencyNanos, int status) {
        PassivePolicy policy = passive;
        if ((policy != null ? policy : DEFAULT_FAILURE_STATUSES).isFailure(status)) {
            penalizeLatency(latencyNanos);
            onFailure("status " + status, latencyNanos);
            return;
        }
        recordLatency(latencyNanos, true);
        onSuccess(latencyNanos);
    }

    private void onSuccess(long latencyNanos) {
        CircuitBreaker current = breaker;
        if (current != null) {
            current.onSuccess(latencyNanos);
        }
        if (consecutiveFailures.get() != 0) {
            consecutiveFailures.set(0);
        }
        long until = ejectedUntil.get();
        boolean halfOpen = until != NOT_EJECTED && nanoClock.getAsLong() - until >= 0;
        if (halfOpen && ejectedUntil.compareAndSet(until, NOT_EJECTED)) {
            LOG.info("Upstream target {} of service '{}' is back in rotation: a request succeeded after the "
                    + "passive health recovery period", address, service);
        }
    }

    private void onFailure(String reason, long latencyNanos) {
        failures.increment();
        CircuitBreaker current = breaker;
        if (current != null) {
            current.onFailure(latencyNanos);
        }
        PassivePolicy policy = passive;
        if (policy == null) {
            return;
        }
        long now = nanoClock.getAsLong();
        long until = ejectedUntil.get();
        if (until != NOT_EJECTED) {
            // While ejected, late failures of requests sent before the ejection change nothing. Once half-open,
            // the first failure ejects the target again.
            if (now - until >= 0 && ejectedUntil.compareAndSet(until, ejectUntil(now, policy))) {
                LOG.warn("Upstream target {} of service '{}' ejected again for {}: the first request after the "
                        + "recovery period failed ({})", address, service, Durations.format(policy.recovery), reason);
            }
            return;
        }
        int failed = consecutiveFailures.incrementAndGet();
        if (failed >= policy.unhealthyThreshold && ejectedUntil.compareAndSet(NOT_EJECTED, ejectUntil(now, policy))) {
            consecutiveFailures.set(0);
            LOG.warn("Upstream target {} of service '{}' ejected for {}: {} consecutive requests failed, last: {}",
                    address, service, Durations.format(policy.recovery), failed, reason);
        }
    }

    private static long ejectUntil(long now, PassivePolicy policy) {
        long until = now + policy.recoveryNanos;
        return until == NOT_EJECTED ? until + 1 : until;
    }

    /** Adds a latency sample, from a response in time when {@code inTime}, or from a timeout otherwise. */
    private void recordLatency(long latencyNanos, boolean inTime) {
        long now = nanoClock.getAsLong();
        synchronized (latencyLock) {
            if (!latencyKnown || now - lastSampleNanos >= LATENCY_PROBE_NANOS) {
                // The average is stale after that long without a sample, so the new sample replaces it.
                ewma = latencyNanos;
                latencyKnown = true;
            } else {
                double elapsed = Math.max(0, now - lastSampleNanos);
                double alpha = Math.max(MIN_ALPHA, 1 - Math.pow(2, -elapsed / HALF_LIFE_NANOS));
                ewma = ewma + alpha * (latencyNanos - ewma);
            }
            lastSampleNanos = now;
            lastSampleFailed = !inTime;
        }
    }

    private void penalizeLatency(long latencyNanos) {
        long now = nanoClock.getAsLong();
        synchronized (latencyLock) {
            double penalty = latencyKnown ? Math.min(2 * ewma, MAX_PENALTY_NANOS) : UNKNOWN_FAILURE_PENALTY_NANOS;
            ewma = Math.max(penalty, latencyNanos);
            latencyKnown = true;
            lastSampleNanos = now;
            lastSampleFailed = true;
        }
    }

    /**
     * Returns whether least-latency should send this target one request to measure it again: its last sample was a
     * response in time, and it has had no sample for {@link #LATENCY_PROBE_NANOS}. A target whose last sample was a
     * timeout or a failure is left to the decay of {@link #latencyEstimate()} and to the health checks.
     */
    boolean latencyProbeDue() {
        return latencyKnown && !lastSampleFailed && nanoClock.getAsLong() - lastSampleNanos >= LATENCY_PROBE_NANOS;
    }

    /**
     * Returns {@link #ewma()} decayed by half for every 10 seconds without a sample, so a target that was slow or
     * failing once gets probed again after a while instead of being avoided forever.
     */
    double latencyEstimate() {
        double value = ewma;
        double idle = nanoClock.getAsLong() - lastSampleNanos;
        return idle <= 0 ? value : value * Math.pow(2, -idle / HALF_LIFE_NANOS);
    }

    /** Passive health settings, with the failure statuses as a lookup table. */
    private static final class PassivePolicy {
        final int unhealthyThreshold;
        final long recoveryNanos;
        final Duration recovery;
        private final boolean[] failureStatus = new boolean[600];

        PassivePolicy(ServiceSpec.Passive spec) {
            this.unhealthyThreshold = spec.unhealthyThreshold();
            this.recovery = spec.recovery();
            this.recoveryNanos = spec.recovery().toNanos();
            for (Integer status : spec.failureStatuses()) {
                if (status != null && status >= 0 && status < failureStatus.length) {
                    failureStatus[status] = true;
                }
            }
        }

        boolean isFailure(int status) {
            return status >= 0 && status < failureStatus.length && failureStatus[status];
        }
    }
}

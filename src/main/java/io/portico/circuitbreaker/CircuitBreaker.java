package io.portico.circuitbreaker;

import static java.util.Objects.requireNonNull;

import io.portico.config.CircuitBreakerSpec;
import io.portico.config.Durations;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A circuit breaker of one target: closed, open or half-open, driven by the failure rate and the slow-call rate
 * of the calls in a sliding time window.
 *
 * <table>
 *   <caption>States</caption>
 *   <tr><th>state</th><th>calls let through</th><th>leaves the state when</th></tr>
 *   <tr><td>closed</td><td>all</td><td>the window holds at least {@code minimumCalls} calls and the failure or
 *       slow-call rate reaches its threshold: open</td></tr>
 *   <tr><td>open</td><td>none</td><td>{@code openDuration} has passed: half-open, on the next call</td></tr>
 *   <tr><td>half-open</td><td>{@code halfOpenCalls} probes in all</td><td>every probe has ended: open again
 *       when the probes' failure or slow-call rate reaches its threshold, closed otherwise</td></tr>
 * </table>
 *
 * <p>The window is a ring of ten buckets, each a tenth of {@code window} long, so calls leave the window one
 * bucket at a time. Each transition is logged once at INFO.
 *
 * <h2>Use</h2>
 * A caller checks {@link #allows()} while it chooses among targets, which changes nothing, then takes a permit
 * with {@link #tryAcquire()} for the target it chose, and ends each permit with exactly one of
 * {@link #onSuccess}, {@link #onFailure} or {@link #release()} (the call ended with no verdict on the target, for
 * example because the client left).
 *
 * <p>Portico has its own breaker rather than resilience4j's, because load balancers must test every target
 * without side effects before they choose one: resilience4j's {@code tryAcquirePermission()} takes a half-open
 * permit and performs the transition out of open as it answers. Here the outcome of an exchange is also a plain
 * value, where resilience4j wants an exception per failure.
 *
 * <p>Thread-safe. {@link #allows()} and {@link #tryAcquire()} read one volatile field while the breaker is closed;
 * results and the other states take this object's lock for a few operations. Nothing blocks on I/O.
 */
public final class CircuitBreaker {

    private static final Logger LOG = LoggerFactory.getLogger(CircuitBreaker.class);
    private static final int BUCKETS = 10;

    /** State of a breaker. */
    public enum State {
        CLOSED, OPEN, HALF_OPEN;

        /** Returns the state as written in the admin API: {@code closed}, {@code open} or {@code half-open}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * The state of a breaker at one moment, for the admin API.
     *
     * @param state the current state; an open breaker whose open period has passed is reported half-open
     * @param calls calls counted in the current window, or probe results while half-open
     * @param failures failed calls among {@code calls}
     * @param slowCalls slow calls among {@code calls}
     * @param since when the breaker entered its state, in milliseconds since the epoch
     * @param retryAtMillis while open, when probes may start, in milliseconds since the epoch; 0 otherwise
     * @param transitions state changes since the breaker was created
     */
    public record Status(State state, int calls, int failures, int slowCalls, long since, long retryAtMillis,
                         long transitions) {
    }

    private final String description;
    private final LongSupplier nanoClock;
    private final LongSupplier wallClock;
    private volatile Settings settings;
    private volatile State state = State.CLOSED;

    // Guarded by this.
    private final long[] bucketEpochs = new long[BUCKETS];
    private final int[] bucketCalls = new int[BUCKETS];
    private final int[] bucketFailures = new int[BUCKETS];
    private final int[] bucketSlow = new int[BUCKETS];
    private long openUntilNanos;
    /** When the breaker last opened. Calls that started before it are not probes. */
    private long openedAtNanos;
    private long sinceMillis;
    private long transitions;
    private int probesIssued;
    private int probeResults;
    private int probeFailures;
    private int probeSlow;

    /**
     * Creates a closed breaker.
     *
     * @param description what the breaker protects, for log lines, such as {@code upstream target 10.0.0.1:80 of
     *     service 'pets'}
     */
    public CircuitBreaker(String description, CircuitBreakerSpec spec) {
        this(description, spec, System::nanoTime, System::currentTimeMillis);
    }

    /** Creates a closed breaker that reads time from the given clocks, for tests. */
    public CircuitBreaker(String description, CircuitBreakerSpec spec, LongSupplier nanoClock,
                          LongSupplier wallClock) {
        this.description = requireNonNull(description, "description");
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.wallClock = requireNonNull(wallClock, "wallClock");
        this.settings = new Settings(requireNonNull(spec, "spec"));
        this.sinceMillis = wallClock.getAsLong();
        this.openedAtNanos = nanoClock.getAsLong();
        java.util.Arrays.fill(bucketEpochs, Long.MIN_VALUE);
    }

    /** Returns the settings this breaker applies. */
    public CircuitBreakerSpec spec() {
        return settings.spec;
    }

    /**
     * Applies new settings and keeps the current state and counts. A shorter open duration takes effect at the
     * next opening.
     */
    public void configure(CircuitBreakerSpec spec) {
        requireNonNull(spec, "spec");
        if (!spec.equals(settings.spec)) {
            synchronized (this) {
                Settings next = new Settings(spec);
                if (next.bucketNanos != settings.bucketNanos) {
                    clearWindow();
                }
                settings = next;
            }
        }
    }

    /** Returns whether a call may go through now; takes no permit and changes nothing. */
    public boolean allows() {
        State current = state;
        if (current == State.CLOSED) {
            return true;
        }
        synchronized (this) {
            if (state == State.CLOSED) {
                return true;
            }
            if (state == State.OPEN) {
                return nanoClock.getAsLong() - openUntilNanos >= 0;
            }
            return probesIssued < settings.spec.halfOpenCalls();
        }
    }

    /**
     * Takes a permit for one call: always while closed; while half-open, one of the {@code halfOpenCalls} probe
     * permits. An open breaker whose open period has passed turns half-open here. Returns false when the call must
     * not go through.
     */
    public boolean tryAcquire() {
        if (state == State.CLOSED) {
            return true;
        }
        synchronized (this) {
            if (state == State.CLOSED) {
                return true;
            }
            if (state == State.OPEN) {
                if (nanoClock.getAsLong() - openUntilNanos < 0) {
                    return false;
                }
                halfOpen();
            }
            if (probesIssued >= settings.spec.halfOpenCalls()) {
                return false;
            }
            probesIssued++;
            return true;
        }
    }

    /** Records a call that succeeded after {@code durationNanos}; it may still count as slow. */
    public void onSuccess(long durationNanos) {
        record(false, durationNanos);
    }

    /** Records a call that failed after {@code durationNanos}: an error status, a timeout or a broken connection. */
    public void onFailure(long durationNanos) {
        record(true, durationNanos);
    }

    /**
     * Ends a permit without a verdict on the target, such as a call the caller did not send after all. Use
     * {@link #release(long)} for a call that was sent.
     */
    public void release() {
        release(0);
    }

    /** Ends the permit of a call that ran for {@code durationNanos} without a verdict, such as one the client left. */
    public void release(long durationNanos) {
        if (state == State.CLOSED) {
            return;
        }
        synchronized (this) {
            if (state == State.HALF_OPEN && probesIssued > probeResults && isProbe(durationNanos)) {
                probesIssued--;
            }
        }
    }

    /**
     * Returns whether a call that ended now after {@code durationNanos} may have been a probe: it did not start
     * before the breaker opened. Calls admitted while the breaker was still closed can end during half-open, and
     * they must neither close nor reopen it.
     */
    private boolean isProbe(long durationNanos) {
        return nanoClock.getAsLong() - durationNanos - openedAtNanos >= 0;
    }

    /** Returns the current state; an open breaker whose open period has passed is reported half-open. */
    public State state() {
        State current = state;
        if (current != State.OPEN) {
            return current;
        }
        synchronized (this) {
            return state == State.OPEN && nanoClock.getAsLong() - openUntilNanos >= 0 ? State.HALF_OPEN : state;
        }
    }

    /** Returns the state and counts at this moment. */
    public synchronized Status status() {
        long now = nanoClock.getAsLong();
        State current = state();
        if (state == State.HALF_OPEN) {
            return new Status(current, probeResults, probeFailures, probeSlow, sinceMillis, 0, transitions);
        }
        if (current == State.HALF_OPEN) {
            // The open period has passed but no call has turned the breaker half-open yet: it is half-open since
            // the period ended, with no probe results and nothing to wait for.
            long endedMillis = wallClock.getAsLong() - (now - openUntilNanos) / 1_000_000;
            return new Status(current, 0, 0, 0, endedMillis, 0, transitions);
        }
        int[] totals = totals(now);
        long retryAt = 0;
        if (state == State.OPEN) {
            retryAt = wallClock.getAsLong() + Math.max(0, (openUntilNanos - now) / 1_000_000);
        }
        return new Status(current, totals[0], totals[1], totals[2], sinceMillis, retryAt, transitions);
    }

    /**
     * Returns when the first of {@code breakers} that is open lets probes through, in milliseconds since the epoch,
     * or 0 when none is open. Null entries, targets without a breaker, are skipped.
     */
    public static long firstRetryAtMillis(Iterable<CircuitBreaker> breakers) {
        long first = 0;
        for (CircuitBreaker breaker : breakers) {
            long retryAt = breaker == null ? 0 : breaker.status().retryAtMillis();
            if (retryAt > 0 && (first == 0 || retryAt < first)) {
                first = retryAt;
            }
        }
        return first;
    }

    @Override
    public String toString() {
        return "CircuitBreaker[" + description + ", " + state + "]";
    }

    private void record(boolean failure, long durationNanos) {
        Settings current = settings;
        boolean slow = current.slowNanos > 0 && durationNanos > current.slowNanos;
        synchronized (this) {
            switch (state) {
                case CLOSED -> recordClosed(failure, slow, current);
                case HALF_OPEN -> {
                    if (isProbe(durationNanos)) {
                        recordProbe(failure, slow, current);
                    }
                }
                default -> {
                    // Calls admitted before the breaker opened end while it is open; they change nothing.
                }
            }
        }
    }

    private void recordClosed(boolean failure, boolean slow, Settings current) {
        long now = nanoClock.getAsLong();
        long epoch = Math.floorDiv(now, current.bucketNanos);
        int slot = (int) Math.floorMod(epoch, (long) BUCKETS);
        if (bucketEpochs[slot] != epoch) {
            bucketEpochs[slot] = epoch;
            bucketCalls[slot] = 0;
            bucketFailures[slot] = 0;
            bucketSlow[slot] = 0;
        }
        bucketCalls[slot]++;
        if (failure) {
            bucketFailures[slot]++;
        }
        if (slow) {
            bucketSlow[slot]++;
        }
        int[] totals = totals(now);
        if (totals[0] < current.spec.minimumCalls()) {
            return;
        }
        if (over(totals[1], totals[0], current.spec.failureRateThreshold())
                || over(totals[2], totals[0], current.spec.slowCallRateThreshold())) {
            open(now, current);
            LOG.info("Circuit breaker of {} opened for {}: {} of {} in the last {} failed and {} slow",
                    description, Durations.format(current.spec.openDuration()), totals[1],
                    count(totals[0], "call"), Durations.format(current.spec.window()), slow(totals[2]));
        }
    }

    private void recordProbe(boolean failure, boolean slow, Settings current) {
        probeResults++;
        if (failure) {
            probeFailures++;
        }
        if (slow) {
            probeSlow++;
        }
        // Rates over all permitted probes: the breaker opens again as soon as the failures so far reach the
        // threshold whatever the remaining probes return, and closes only once every probe has ended.
        int permitted = current.spec.halfOpenCalls();
        if (over(probeFailures, permitted, current.spec.failureRateThreshold())
                || over(probeSlow, permitted, current.spec.slowCallRateThreshold())) {
            int failed = probeFailures;
            int slowProbes = probeSlow;
            int ended = probeResults;
            open(nanoClock.getAsLong(), current);
            LOG.info("Circuit breaker of {} opened again for {}: {} of {} failed and {} slow", description,
                    Durations.format(current.spec.openDuration()), failed, count(ended, "probe call"),
                    slow(slowProbes));
        } else if (probeResults >= permitted) {
            // Some probes may have failed or been slow, below the thresholds.
            int ended = probeResults;
            int failed = probeFailures;
            int slowProbes = probeSlow;
            transition(State.CLOSED);
            clearWindow();
            LOG.info("Circuit breaker of {} closed: {} of {} failed and {} slow", description, failed,
                    count(ended, "probe call"), slow(slowProbes));
        }
    }

    private void open(long now, Settings current) {
        openedAtNanos = now;
        openUntilNanos = now + current.openNanos;
        transition(State.OPEN);
        clearWindow();
    }

    private void halfOpen() {
        transition(State.HALF_OPEN);
        LOG.info("Circuit breaker of {} is half-open: up to {} may go through", description,
                count(settings.spec.halfOpenCalls(), "probe call"));
    }

    private void transition(State next) {
        state = next;
        sinceMillis = wallClock.getAsLong();
        transitions++;
        probesIssued = 0;
        probeResults = 0;
        probeFailures = 0;
        probeSlow = 0;
    }

    private void clearWindow() {
        java.util.Arrays.fill(bucketEpochs, Long.MIN_VALUE);
    }

    /** Returns calls, failures and slow calls of the buckets that are still inside the window at {@code now}. */
    private int[] totals(long now) {
        long epoch = Math.floorDiv(now, settings.bucketNanos);
        int[] totals = new int[3];
        for (int i = 0; i < BUCKETS; i++) {
            long age = epoch - bucketEpochs[i];
            if (bucketEpochs[i] != Long.MIN_VALUE && age >= 0 && age < BUCKETS) {
                totals[0] += bucketCalls[i];
                totals[1] += bucketFailures[i];
                totals[2] += bucketSlow[i];
            }
        }
        return totals;
    }

    /** Returns {@code count} with {@code noun}, in the plural unless the count is 1, such as "3 probe calls". */
    private static String count(int count, String noun) {
        return count + " " + noun + (count == 1 ? "" : "s");
    }

    /** Returns the number of slow calls with its verb, such as "1 was" or "0 were", for the transition logs. */
    private static String slow(int count) {
        return count + (count == 1 ? " was" : " were");
    }

    private static boolean over(int count, int calls, int percent) {
        return calls > 0 && count * 100L >= (long) percent * calls;
    }

    /** The settings in the units the breaker computes with. */
    private static final class Settings {
        final CircuitBreakerSpec spec;
        final long bucketNanos;
        final long openNanos;
        final long slowNanos;

        Settings(CircuitBreakerSpec spec) {
            this.spec = spec;
            this.bucketNanos = Math.max(1, spec.window().toNanos() / BUCKETS);
            this.openNanos = spec.openDuration().toNanos();
            Duration slow = spec.slowCallDuration();
            this.slowNanos = slow == null ? 0 : slow.toNanos();
        }
    }
}

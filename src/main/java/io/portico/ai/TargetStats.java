package io.portico.ai;

import io.portico.circuitbreaker.CircuitBreaker;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Requests in flight and the recent latency of one provider model, for the least-busy and least-latency strategies,
 * and its circuit breaker when the provider configures one.
 */
final class TargetStats {

    private static final double DECAY = 0.3;

    private static final long MAX_DEMOTION_NANOS = 30_000_000_000L;

    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger consecutiveFailures = new AtomicInteger();
    private volatile double latencyMillis = -1;
    private volatile long demotedUntilNanos;
    private final CircuitBreaker breaker;

    /** Creates the statistics of a target; {@code breaker} is null when the provider configures none. */
    TargetStats(CircuitBreaker breaker) {
        this.breaker = breaker;
    }

    /** Returns the target's circuit breaker, or null when its provider configures none. */
    CircuitBreaker breaker() {
        return breaker;
    }

    /** Returns whether the circuit breaker, if any, lets calls through now; takes no permit. */
    boolean available() {
        return breaker == null || breaker.allows();
    }

    int inFlight() {
        return inFlight.get();
    }

    void started() {
        inFlight.incrementAndGet();
    }

    void finished() {
        inFlight.decrementAndGet();
    }

    /** The moving average of recent latencies; -1 before the first response, so unmeasured targets go first. */
    double latencyMillis() {
        return latencyMillis;
    }

    /** Records a success: its latency, and the end of any run of failures. */
    void recordLatency(double millis) {
        double current = latencyMillis;
        latencyMillis = current < 0 ? millis : current + DECAY * (millis - current);
        consecutiveFailures.set(0);
        demotedUntilNanos = 0;
    }

    /**
     * Records a failed call. After a run of failures the target is tried after the others for a while: 1 second
     * after the first failure, doubling with each further one, at most 30 seconds.
     */
    void recordFailure() {
        int failures = consecutiveFailures.incrementAndGet();
        long nanos = Math.min(MAX_DEMOTION_NANOS, 1_000_000_000L << Math.min(failures - 1, 5));
        demotedUntilNanos = System.nanoTime() + nanos;
    }

    /** True while the target is tried after the others because of recent failures. */
    boolean demoted() {
        long until = demotedUntilNanos;
        return until != 0 && System.nanoTime() - until < 0;
    }
}

package io.portico.ai;

import java.util.concurrent.atomic.AtomicInteger;

/** Requests in flight and the recent latency of one provider model, for the least-busy and least-latency strategies. */
final class TargetStats {

    private static final double DECAY = 0.3;

    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile double latencyMillis = -1;

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

    void recordLatency(double millis) {
        double current = latencyMillis;
        latencyMillis = current < 0 ? millis : current + DECAY * (millis - current);
    }
}

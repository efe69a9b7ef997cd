package io.portico.metrics;

import java.time.Duration;

/**
 * The fixed histogram buckets of Portico's timers. Prometheus computes quantiles from them across nodes, so every
 * node uses the same bounds and none computes percentiles itself.
 */
final class Buckets {

    /** Bounds for the duration of gateway requests and upstream calls: 5 ms to 60 s. */
    static final Duration[] REQUEST = seconds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60);
    /** Bounds for the duration of AI provider calls, which generate for minutes at most: 100 ms to 300 s. */
    static final Duration[] AI_CALL = seconds(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300);
    /** Bounds for the time to the first streamed token: 50 ms to 30 s. */
    static final Duration[] FIRST_TOKEN = seconds(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30);

    private Buckets() {
    }

    private static Duration[] seconds(double... bounds) {
        Duration[] durations = new Duration[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            durations[i] = Duration.ofNanos(Math.round(bounds[i] * 1_000_000_000L));
        }
        return durations;
    }
}

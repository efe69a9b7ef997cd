package io.portico.policy.ratelimit;

import java.util.Locale;

/**
 * The counting algorithms of the {@code rate-limit} policy, as computed in memory. The Redis script
 * {@code rate-limit.lua} computes the same formulas on the server; tests run the same cases against both.
 *
 * <p>Each limit keeps three {@code long} slots of state per key, at {@code offset} in the key's state array:
 * <ul>
 *   <li>fixed window: the window index ({@code now / window}) and the count of that window;</li>
 *   <li>sliding window: the window index, the count of that window and the count of the window before;</li>
 *   <li>token bucket: the theoretical arrival time of GCRA, in microseconds, as the bits of a {@code double}, then
 *   the {@code max} and {@code burst} it was computed for (0 until a request is admitted).</li>
 * </ul>
 * All times are microseconds since the epoch. Windows are aligned to the epoch, so every node that takes its time
 * from the same clock agrees on where a window starts.
 */
enum Algorithm {

    /**
     * Counts requests in consecutive windows of fixed length. Exact within each window, but a client can send
     * {@code max} requests at the end of one window and {@code max} more at the start of the next.
     */
    FIXED_WINDOW("fixed-window", "f") {
        @Override
        Outcome evaluate(Limit limit, long[] state, int offset, long now, long cost, long[] next) {
            long window = limit.windowMicros();
            long index = now / window;
            long count = state[offset] == index ? state[offset + 1] : 0;
            long reset = (index + 1) * window - now;
            if (count + cost <= limit.max()) {
                next[offset] = index;
                next[offset + 1] = count + cost;
                return new Outcome(true, limit.max() - count - cost, reset, 0);
            }
            return new Outcome(false, Math.max(0, limit.max() - count), reset, reset);
        }
    },

    /**
     * Estimates the count of the sliding window that ends now from two fixed windows: the current window's count
     * plus the previous window's count weighted by the share of the previous window the sliding window still
     * covers. Exact when the previous window's requests were spread evenly; see docs/traffic-control.md for the
     * error bound otherwise.
     */
    SLIDING_WINDOW("sliding-window", "s") {
        @Override
        Outcome evaluate(Limit limit, long[] state, int offset, long now, long cost, long[] next) {
            long window = limit.windowMicros();
            long index = now / window;
            long elapsed = now - index * window;
            long current;
            long previous;
            if (state[offset] == index) {
                current = state[offset + 1];
                previous = state[offset + 2];
            } else if (state[offset] == index - 1) {
                current = 0;
                previous = state[offset + 1];
            } else {
                current = 0;
                previous = 0;
            }
            // Counts above max remain after max was lowered, and count as max. A full window rejects the client
            // for as long as a larger count would in this window, but a larger previous count would also reject
            // it for most of the next window.
            long max = limit.max();
            current = Math.min(current, max);
            previous = Math.min(previous, max);

            double estimate = previous * (double) (window - elapsed) / window + current;
            long reset = window - elapsed;
            if (estimate + cost <= max + EPSILON) {
                next[offset] = index;
                next[offset + 1] = current + cost;
                next[offset + 2] = previous;
                return new Outcome(true, floor(max - estimate - cost), reset, 0);
            }

            double retry;
            if (current + cost <= max) {
                // The previous window's weight decays until the estimate leaves room, within this window.
                retry = window - window * (double) (max - current - cost) / previous - elapsed;
            } else {
                // This window's count becomes the previous one, whose weight must decay far enough.
                retry = window - elapsed + Math.max(0, window - window * (double) (max - cost) / current);
            }
            return new Outcome(false, Math.max(0, floor(max - estimate)), reset, Math.max(1, ceil(retry)));
        }
    },

    /**
     * A token bucket of {@code burst} tokens refilled at {@code max} per window, computed as the generic cell rate
     * algorithm (GCRA): one timestamp per key, the theoretical arrival time (TAT) of the next request at the
     * sustained rate. A request is admitted when the TAT it would push forward lies at most one bucket ahead of
     * now.
     */
    TOKEN_BUCKET("token-bucket", "t") {
        @Override
        Outcome evaluate(Limit limit, long[] state, int offset, long now, long cost, long[] next) {
            double interval = limit.intervalMicros();
            double capacity = limit.burst() * interval;
            double tat = Math.max(Double.longBitsToDouble(state[offset]), now);
            double nextTat = tat + cost * interval;
            double room = (capacity - (nextTat - now)) / interval;
            if (room >= -EPSILON) {
                next[offset] = Double.doubleToLongBits(nextTat);
                next[offset + 1] = limit.max();
                next[offset + 2] = limit.burst();
                return new Outcome(true, floor(room), ceil(nextTat - now), 0);
            }
            long remaining = Math.max(0, floor((capacity - (tat - now)) / interval));
            return new Outcome(false, remaining, ceil(tat - now), Math.max(1, ceil(nextTat - capacity - now)));
        }

        /**
         * Converts a bucket computed for another {@code max} or {@code burst}: the tokens taken from it stay taken,
         * at most {@code burst} of them, and refill at the new rate. The stored time alone would measure them in
         * the old rate's intervals: one request under {@code max: 1} would leave a bucket raised to
         * {@code max: 1000} with all 1000 tokens missing rather than one.
         */
        @Override
        long[] carryOver(Limit limit, long[] state, int offset, long now) {
            long storedMax = state[offset + 1];
            long storedBurst = state[offset + 2];
            if (storedMax == 0 || storedMax == limit.max() && storedBurst == limit.burst()) {
                return state;
            }
            // The taken tokens' refill time at the old rate, then at the new rate, at most a full bucket's.
            double untilFull = Math.max(0, Double.longBitsToDouble(state[offset]) - now);
            double carried = Math.min(untilFull * storedMax / limit.max(), limit.burst() * limit.intervalMicros());
            long[] converted = state.clone();
            converted[offset] = Double.doubleToLongBits(now + carried);
            converted[offset + 1] = limit.max();
            converted[offset + 2] = limit.burst();
            return converted;
        }
    };

    /** Tolerance, in requests, for the rounding of floating-point arithmetic. */
    static final double EPSILON = 1e-9;

    private final String configName;
    private final String scriptCode;

    Algorithm(String configName, String scriptCode) {
        this.configName = configName;
        this.scriptCode = scriptCode;
    }

    /**
     * Evaluates the limit for a request of {@code cost} at time {@code now}. Reads the limit's state from
     * {@code state}; when the limit admits the request, writes the state after it into {@code next} at the same
     * offset, leaving {@code next} unchanged otherwise. A cost of 0 reports the state without taking anything.
     */
    abstract Outcome evaluate(Limit limit, long[] state, int offset, long now, long cost, long[] next);

    /**
     * Returns {@code state} when the limit's slots at {@code offset} were computed for its current settings, and
     * otherwise a copy whose slots are converted from the settings they were computed for, such as another
     * {@code max}. The caller stores a converted state even when the request is then rejected, because the
     * conversion depends on the time it is made at. The window algorithms need no conversion: they compare
     * their counts with the current {@code max}.
     */
    long[] carryOver(Limit limit, long[] state, int offset, long now) {
        return state;
    }

    /** Returns the name used in configuration, such as {@code sliding-window}. */
    String configName() {
        return configName;
    }

    /** Returns the one-letter code of the algorithm in the arguments of {@code rate-limit.lua}. */
    String scriptCode() {
        return scriptCode;
    }

    /** Returns the algorithm named {@code name} in configuration, or null. */
    static Algorithm byName(String name) {
        for (Algorithm algorithm : values()) {
            if (algorithm.configName.equals(name.toLowerCase(Locale.ROOT))) {
                return algorithm;
            }
        }
        return null;
    }

    private static long floor(double value) {
        return (long) Math.floor(value + EPSILON);
    }

    private static long ceil(double micros) {
        return Math.max(0, (long) Math.ceil(micros - EPSILON));
    }
}

package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

/**
 * One limit of a {@code rate-limit} policy: at most {@code max} requests per {@code window}.
 *
 * @param name the limit's name in the {@code RateLimit} and {@code RateLimit-Policy} response fields
 * @param algorithm how requests are counted
 * @param max requests admitted per window
 * @param windowSeconds the window, in whole seconds, as the response fields express it
 * @param burst for the token bucket, requests admitted at once after a quiet period (the bucket's size);
 *     equal to {@code max} for the window algorithms
 */
record Limit(String name, Algorithm algorithm, long max, long windowSeconds, long burst) {

    Limit {
        requireNonNull(name, "name");
        requireNonNull(algorithm, "algorithm");
        if (max < 1 || windowSeconds < 1 || burst < 1) {
            throw new IllegalArgumentException("max, window and burst must be positive");
        }
    }

    long windowMicros() {
        return windowSeconds * 1_000_000L;
    }

    /** Microseconds between two requests at the sustained rate; the token bucket adds one token per interval. */
    double intervalMicros() {
        return (double) windowMicros() / max;
    }
}

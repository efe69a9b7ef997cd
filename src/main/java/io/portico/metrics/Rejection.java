package io.portico.metrics;

/** A request that a traffic control policy rejected, and the counter that counts it. */
public enum Rejection {
    /** A {@code rate-limit} limit was exhausted (429). */
    RATE_LIMIT(RequestMetrics.RATE_LIMIT_REJECTIONS, "rate-limit", "limit"),
    /** A cluster-wide {@code rate-limit} could not reach Redis and rejects in that case (503). */
    RATE_LIMIT_UNAVAILABLE(RequestMetrics.RATE_LIMIT_REJECTIONS, "rate-limit", "redis-unavailable"),
    /** A {@code concurrency-limit} had no free slot (503). */
    CONCURRENCY_LIMIT(RequestMetrics.RATE_LIMIT_REJECTIONS, "concurrency-limit", "limit"),
    /** A {@code quota} was used up for the period (429). */
    QUOTA("portico.quota.rejections", null, null),
    /** A {@code token-limit} was reached for the minute (429). */
    TOKEN_LIMIT("portico.token.limit.rejections", null, null),
    /** A {@code budget} was spent for the period (429). */
    BUDGET("portico.budget.rejections", null, null);

    private final String meter;
    private final String policy;
    private final String reason;

    Rejection(String meter, String policy, String reason) {
        this.meter = meter;
        this.policy = policy;
        this.reason = reason;
    }

    /** The Micrometer name of the counter. */
    String meter() {
        return meter;
    }

    /** The {@code policy} tag of a rate limit rejection; null for the counters without one. */
    String policy() {
        return policy;
    }

    /** The {@code reason} tag of a rate limit rejection; null for the counters without one. */
    String reason() {
        return reason;
    }
}

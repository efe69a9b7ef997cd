package io.portico.metrics;

/** A request that a traffic control policy rejected, and the counter that counts it. */
public enum Rejection {
    /** A {@code rate-limit} limit was exhausted (429). */
    RATE_LIMIT(RequestMetrics.RATE_LIMIT_REJECTIONS, "policy", "rate-limit", "reason", "limit"),
    /** A cluster-wide {@code rate-limit} could not reach Redis and rejects in that case (503). */
    RATE_LIMIT_UNAVAILABLE(RequestMetrics.RATE_LIMIT_REJECTIONS, "policy", "rate-limit", "reason",
            "redis-unavailable"),
    /** A {@code concurrency-limit} had no free slot (503). */
    CONCURRENCY_LIMIT(RequestMetrics.RATE_LIMIT_REJECTIONS, "policy", "concurrency-limit", "reason", "limit"),
    /** A {@code quota} was used up for the period (429). */
    QUOTA("portico.quota.rejections"),
    /** A {@code token-limit} was reached for the minute (429). */
    TOKEN_LIMIT(Rejection.TOKEN_LIMIT_REJECTIONS, "reason", "limit"),
    /** A cluster-wide {@code token-limit} could not reach Redis and rejects in that case (503). */
    TOKEN_LIMIT_UNAVAILABLE(Rejection.TOKEN_LIMIT_REJECTIONS, "reason", "redis-unavailable"),
    /** A {@code budget} of the consumer was spent for the period (429). */
    CONSUMER_BUDGET(Rejection.BUDGET_REJECTIONS, "by", "consumer"),
    /** A {@code budget} of the consumer's team was spent for the period (429). */
    TEAM_BUDGET(Rejection.BUDGET_REJECTIONS, "by", "team"),
    /** Every provider key that could serve the request had spent its {@code budget} for the period (429). */
    KEY_BUDGET(Rejection.BUDGET_REJECTIONS, "by", "key");

    /**
     * The request attribute in which a 429 for a spent budget names what the budget is by: {@code consumer},
     * {@code team} or {@code key}.
     */
    public static final String BUDGET_BY_ATTRIBUTE = "budget.rejected.by";

    private static final String BUDGET_REJECTIONS = "portico.budget.rejections";
    private static final String TOKEN_LIMIT_REJECTIONS = "portico.token.limit.rejections";

    private final String meter;
    private final String[] tags;

    Rejection(String meter, String... tags) {
        this.meter = meter;
        this.tags = tags;
    }

    /** Returns the rejection of a spent budget by {@code by}; consumer budgets when {@code by} is unknown. */
    public static Rejection budget(String by) {
        if ("team".equals(by)) {
            return TEAM_BUDGET;
        }
        return "key".equals(by) ? KEY_BUDGET : CONSUMER_BUDGET;
    }

    /** The Micrometer name of the counter. */
    String meter() {
        return meter;
    }

    /** Returns the tags of the counter besides {@code route}, as alternating keys and values. */
    String[] tags() {
        return tags.clone();
    }
}

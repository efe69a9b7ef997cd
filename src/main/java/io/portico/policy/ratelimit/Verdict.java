package io.portico.policy.ratelimit;

/**
 * The decision of every limit of a {@code rate-limit} policy for one request. The request is admitted only when
 * every limit allows it, and then counts against all of them. A rejected request counts against none.
 *
 * @param admitted whether every limit allowed the request
 * @param outcomes one outcome per limit, in the order of the policy's limits
 */
record Verdict(boolean admitted, Outcome[] outcomes) {

    /** Microseconds until every limit that rejected the request would admit it; 0 when it was admitted. */
    long retryAfterMicros() {
        long retry = 0;
        for (Outcome outcome : outcomes) {
            retry = Math.max(retry, outcome.retryAfterMicros());
        }
        return retry;
    }
}

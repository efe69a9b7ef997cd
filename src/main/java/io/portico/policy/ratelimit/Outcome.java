package io.portico.policy.ratelimit;

/**
 * The decision of one limit for one request.
 *
 * @param allowed whether the limit admits the request
 * @param remaining requests the limit still admits now: after this one when it was allowed, before it otherwise
 * @param resetMicros microseconds until the limit's quota is restored: the end of the current window for the
 *     window algorithms, the time until the bucket is full again for the token bucket
 * @param retryAfterMicros microseconds until the limit would admit the request; 0 when it is allowed
 */
record Outcome(boolean allowed, long remaining, long resetMicros, long retryAfterMicros) {
}

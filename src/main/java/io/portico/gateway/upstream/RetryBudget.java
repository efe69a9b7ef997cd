package io.portico.gateway.upstream;

import static java.util.Objects.requireNonNull;

import io.portico.config.ServiceSpec;
import io.vertx.core.http.HttpMethod;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.LongSupplier;

/**
 * Caps retries to a share of the traffic, so retries cannot multiply the load on a struggling service.
 *
 * <p>A retry is allowed when, counting it, the retries granted by share in the last 10 seconds stay at or below
 * {@code budget * requests} of the same 10 seconds. When the share is spent, up to {@code minRetriesPerSecond}
 * more retries are still allowed in each second, on top of the share, so a service with little traffic can
 * retry at all. The counts live in one-second slots of {@link AtomicLongArray}s, each slot packing its second and
 * its count into one long, so both methods are lock-free. Concurrent callers can overshoot the budget by the
 * number of retries acquired at the same instant.
 */
public final class RetryBudget {

    private static final int WINDOW_SECONDS = 10;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long COUNT_MASK = 0xffff_ffffL;

    private final double budget;
    private final int minRetriesPerSecond;
    private final LongSupplier nanoClock;
    private final long origin;
    private final AtomicLongArray requests = new AtomicLongArray(WINDOW_SECONDS);
    private final AtomicLongArray shareRetries = new AtomicLongArray(WINDOW_SECONDS);
    private final AtomicLongArray minimumRetries = new AtomicLongArray(WINDOW_SECONDS);

    /**
     * Creates a budget.
     *
     * @param budget largest share of requests that may be retries, between 0 and 1
     * @param minRetriesPerSecond retries allowed each second on top of the share
     */
    public RetryBudget(double budget, int minRetriesPerSecond) {
        this(budget, minRetriesPerSecond, System::nanoTime);
    }

    RetryBudget(double budget, int minRetriesPerSecond, LongSupplier nanoClock) {
        if (budget < 0 || budget > 1) {
            throw new IllegalArgumentException("invalid retry budget " + budget + ": must be between 0 and 1");
        }
        if (minRetriesPerSecond < 0) {
            throw new IllegalArgumentException("invalid minRetriesPerSecond " + minRetriesPerSecond
                    + ": must not be negative");
        }
        this.budget = budget;
        this.minRetriesPerSecond = minRetriesPerSecond;
        this.nanoClock = requireNonNull(nanoClock, "nanoClock");
        this.origin = nanoClock.getAsLong();
    }

    /** Creates the budget that a service's retry settings describe. */
    public static RetryBudget of(ServiceSpec.Retries retries) {
        return new RetryBudget(retries.budget(), retries.minRetriesPerSecond());
    }

    /** Returns whether {@code method} may be repeated without changing the result (RFC 9110, section 9.2.2). */
    public static boolean isIdempotent(HttpMethod method) {
        return HttpMethod.GET.equals(method) || HttpMethod.HEAD.equals(method) || HttpMethod.OPTIONS.equals(method)
                || HttpMethod.TRACE.equals(method) || HttpMethod.PUT.equals(method)
                || HttpMethod.DELETE.equals(method);
    }

    /** Counts one client request; call once per request, not once per attempt. */
    public void onRequest() {
        increment(requests, second());
    }

    /** Takes one retry from the budget and returns true, or returns false when the budget is spent. */
    public boolean tryAcquireRetry() {
        long second = second();
        if (sum(shareRetries, second) + 1 <= budget * sum(requests, second)) {
            increment(shareRetries, second);
            return true;
        }
        if (count(minimumRetries, second) < minRetriesPerSecond) {
            increment(minimumRetries, second);
            return true;
        }
        return false;
    }

    private long second() {
        return (nanoClock.getAsLong() - origin) / NANOS_PER_SECOND;
    }

    private static void increment(AtomicLongArray slots, long second) {
        int index = (int) (second % WINDOW_SECONDS);
        long stamp = second & COUNT_MASK;
        while (true) {
            long current = slots.get(index);
            long next = (current >>> 32) == stamp ? current + 1 : stamp << 32 | 1;
            if (slots.compareAndSet(index, current, next)) {
                return;
            }
        }
    }

    private static long sum(AtomicLongArray slots, long second) {
        long stamp = second & COUNT_MASK;
        long total = 0;
        for (int i = 0; i < WINDOW_SECONDS; i++) {
            long slot = slots.get(i);
            long age = (stamp - (slot >>> 32)) & COUNT_MASK;
            if (slot != 0 && age < WINDOW_SECONDS) {
                total += slot & COUNT_MASK;
            }
        }
        return total;
    }

    private static long count(AtomicLongArray slots, long second) {
        long slot = slots.get((int) (second % WINDOW_SECONDS));
        return (slot >>> 32) == (second & COUNT_MASK) ? slot & COUNT_MASK : 0;
    }
}

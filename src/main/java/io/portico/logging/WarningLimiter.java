package io.portico.logging;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * A rate limit for one repeated WARN line: at most one line passes per interval, and the occurrences held back in
 * between are counted so that the next line can report them. Safe for concurrent use without locks.
 */
public final class WarningLimiter {

    /** The value of {@link #tryAcquire()} for an occurrence that must not be logged. */
    public static final long SUPPRESSED = -1;

    private final long intervalNanos;
    private final LongSupplier nanoClock;
    /** The {@link #nanoClock} time from which the next line may pass. */
    private final AtomicLong nextNanos;
    private final AtomicLong suppressed = new AtomicLong();

    /** Creates a limiter that lets one line pass every {@code intervalNanos}, the first one at once. */
    public WarningLimiter(long intervalNanos) {
        this(intervalNanos, System::nanoTime);
    }

    /** Creates a limiter that reads the time in nanoseconds from {@code nanoClock}, such as a test's clock. */
    public WarningLimiter(long intervalNanos, LongSupplier nanoClock) {
        this.intervalNanos = intervalNanos;
        this.nanoClock = nanoClock;
        this.nextNanos = new AtomicLong(nanoClock.getAsLong());
    }

    /**
     * Records one occurrence. Returns {@link #SUPPRESSED} when the line must not be logged, because one passed
     * less than an interval ago. Otherwise returns the number of occurrences suppressed since the last line that
     * passed, and resets that count.
     */
    public long tryAcquire() {
        long now = nanoClock.getAsLong();
        long next = nextNanos.get();
        if (now - next < 0 || !nextNanos.compareAndSet(next, now + intervalNanos)) {
            suppressed.incrementAndGet();
            return SUPPRESSED;
        }
        return suppressed.getAndSet(0);
    }

    /** Returns the interval in seconds, for log lines that tell how often they repeat. */
    public long intervalSeconds() {
        return intervalNanos / 1_000_000_000L;
    }
}

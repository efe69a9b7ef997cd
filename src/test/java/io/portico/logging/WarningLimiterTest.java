package io.portico.logging;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class WarningLimiterTest {

    private static final long INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final AtomicLong now = new AtomicLong(1_000);
    private final WarningLimiter limiter = new WarningLimiter(INTERVAL_NANOS, now::get);

    @Test
    void limiterPassesOncePerInterval() {
        assertThat(limiter.tryAcquire()).isZero();
        assertThat(limiter.tryAcquire()).isEqualTo(WarningLimiter.SUPPRESSED);
        now.addAndGet(INTERVAL_NANOS - 1);
        assertThat(limiter.tryAcquire()).isEqualTo(WarningLimiter.SUPPRESSED);
        now.addAndGet(1);
        assertThat(limiter.tryAcquire()).isEqualTo(2);
        assertThat(limiter.tryAcquire()).isEqualTo(WarningLimiter.SUPPRESSED);
    }

    @Test
    void intervalIsReportedInSeconds() {
        assertThat(limiter.intervalSeconds()).isEqualTo(60);
    }
}

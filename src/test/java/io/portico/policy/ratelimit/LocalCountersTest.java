package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.benmanes.caffeine.cache.Ticker;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The in-memory counters, on a clock and a ticker the test sets. */
class LocalCountersTest extends CountingContract {

    private final AtomicLong clock = new AtomicLong();
    private final AtomicLong ticker = new AtomicLong();
    private final LocalCounters counters = new LocalCounters(clock::get, ticker::get, 1000);

    @Override
    Verdict check(String key, List<Limit> limits, long now) {
        clock.set(now);
        return counters.check(key, limits, 1);
    }

    @Test
    void idleKeysExpire() {
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 1, 10, 1));
        check("idle", limits, T0);

        ticker.addAndGet(TimeUnit.SECONDS.toNanos(5));
        long afterHalfWindow = counters.size();
        ticker.addAndGet(TimeUnit.SECONDS.toNanos(6));
        long afterWindow = counters.size();

        assertThat(afterHalfWindow).isEqualTo(1);
        assertThat(afterWindow).isZero();
    }

    @Test
    void keyInUseNeverExpires() {
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 1_000, 10, 1));
        long micros = T0;

        // 40 checks, 3 s apart, span 12 idle periods of 10 s.
        for (int i = 0; i < 40; i++) {
            check("busy", limits, micros);
            micros += TimeUnit.SECONDS.toMicros(3);
            ticker.addAndGet(TimeUnit.SECONDS.toNanos(3));
            assertThat(counters.size()).as("keys after check %d", i).isEqualTo(1);
        }
    }

    @Test
    void changedLimitKeepsKeyUntilItSettles() {
        // A bucket of 10 refills in 0.1 s at 1000 per 10 s, and in 100 s at 1 per 10 s.
        List<Limit> fast = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 1000, 10, 10));
        List<Limit> slow = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 1, 10, 10));
        check("changed", fast, T0);
        check("changed", slow, T0);

        ticker.addAndGet(TimeUnit.SECONDS.toNanos(5));
        long keysAfterFiveSeconds = counters.size();
        Verdict later = check("changed", slow, T0 + 5 * SECOND);

        // Two tokens were taken, and half a token came back in 5 s.
        assertThat(keysAfterFiveSeconds).isEqualTo(1);
        assertThat(later.outcomes()[0].remaining()).isEqualTo(7);
    }

    @Test
    void keyCountIsBounded() {
        LocalCounters small = new LocalCounters(clock::get, Ticker.disabledTicker(), 100);
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 1, 10, 1));

        for (int i = 0; i < 1000; i++) {
            small.check("key-" + i, limits, 1);
        }

        assertThat(small.size()).isLessThanOrEqualTo(100);
    }

    @Test
    void concurrentThreadsAdmitExactlyMax() throws Exception {
        clock.set(T0);
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 1000, 10, 1000));
        AtomicInteger admitted = new AtomicInteger();
        ExecutorService threads = Executors.newFixedThreadPool(4);
        CountDownLatch start = new CountDownLatch(1);
        try {
            for (int t = 0; t < 4; t++) {
                threads.submit(() -> {
                    start.await();
                    for (int i = 0; i < 500; i++) {
                        if (counters.check("shared", limits, 1).admitted()) {
                            admitted.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
            start.countDown();
            threads.shutdown();
            assertThat(threads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
        } finally {
            threads.shutdownNow();
        }

        assertThat(admitted.get()).isEqualTo(1000);
    }
}

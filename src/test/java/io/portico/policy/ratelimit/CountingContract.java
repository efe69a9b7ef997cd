package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Cases every implementation of the counting algorithms must pass, on a clock the test sets: the in-memory
 * counters and the Redis script run the same cases.
 */
abstract class CountingContract {

    static final long SECOND = 1_000_000L;
    /** A start time aligned to every window used here: 19,675 days after the epoch. */
    static final long T0 = 1_699_920_000L * SECOND;

    /** Checks one request of cost 1 for {@code key} against {@code limits} at {@code now} microseconds. */
    abstract Verdict check(String key, List<Limit> limits, long now);

    private static Limit fixed(String name, long max, long windowSeconds) {
        return new Limit(name, Algorithm.FIXED_WINDOW, max, windowSeconds, max);
    }

    private static Limit sliding(long max, long windowSeconds) {
        return new Limit("sliding", Algorithm.SLIDING_WINDOW, max, windowSeconds, max);
    }

    @Test
    void fixedWindowAdmitsMaxPerWindow() {
        List<Limit> limits = List.of(fixed("f", 3, 10));

        List<Long> remaining = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Verdict verdict = check("fixed", limits, T0 + SECOND);
            assertThat(verdict.admitted()).isTrue();
            remaining.add(verdict.outcomes()[0].remaining());
        }
        Verdict rejected = check("fixed", limits, T0 + SECOND);
        Verdict nextWindow = check("fixed", limits, T0 + 10 * SECOND);

        assertThat(remaining).containsExactly(2L, 1L, 0L);
        assertThat(rejected.admitted()).isFalse();
        assertThat(rejected.outcomes()[0].remaining()).isZero();
        assertThat(rejected.outcomes()[0].resetMicros()).isEqualTo(9 * SECOND);
        assertThat(rejected.retryAfterMicros()).isEqualTo(9 * SECOND);
        assertThat(nextWindow.admitted()).isTrue();
        assertThat(nextWindow.outcomes()[0].remaining()).isEqualTo(2);
    }

    @Test
    void fixedWindowAdmitsTwiceMaxAcrossBoundary() {
        List<Limit> limits = List.of(fixed("f", 3, 10));

        int admitted = 0;
        for (int i = 0; i < 4; i++) {
            admitted += check("boundary", limits, T0 + 9_900_000).admitted() ? 1 : 0;
        }
        for (int i = 0; i < 4; i++) {
            admitted += check("boundary", limits, T0 + 10 * SECOND).admitted() ? 1 : 0;
        }

        assertThat(admitted).isEqualTo(6);
    }

    @Test
    void slidingWindowWeighsPreviousWindow() {
        List<Limit> limits = List.of(sliding(10, 10));
        for (int i = 0; i < 10; i++) {
            assertThat(check("sliding", limits, T0 + SECOND).admitted()).isTrue();
        }

        int admittedHalfway = 0;
        Verdict verdict;
        while ((verdict = check("sliding", limits, T0 + 15 * SECOND)).admitted()) {
            admittedHalfway++;
        }
        Verdict later = check("sliding", limits, T0 + 16 * SECOND);

        assertThat(admittedHalfway).isEqualTo(5);
        assertThat(verdict.outcomes()[0].remaining()).isZero();
        assertThat(verdict.outcomes()[0].resetMicros()).isEqualTo(5 * SECOND);
        assertThat(verdict.retryAfterMicros()).isEqualTo(SECOND);
        assertThat(later.admitted()).isTrue();
        assertThat(later.outcomes()[0].remaining()).isZero();
    }

    @Test
    void slidingWindowRetryCoversFullCurrentWindow() {
        List<Limit> limits = List.of(sliding(4, 10));
        for (int i = 0; i < 4; i++) {
            assertThat(check("full", limits, T0 + 2 * SECOND).admitted()).isTrue();
        }

        Verdict rejected = check("full", limits, T0 + 2 * SECOND);
        Verdict beforeRetry = check("full", limits, T0 + 2 * SECOND + rejected.retryAfterMicros() - 1);
        Verdict atRetry = check("full", limits, T0 + 2 * SECOND + rejected.retryAfterMicros());

        // 8 s to the end of the window, then the previous count of 4 must decay to 3: a quarter of a window.
        assertThat(rejected.retryAfterMicros()).isEqualTo(10_500_000);
        assertThat(beforeRetry.admitted()).isFalse();
        assertThat(atRetry.admitted()).isTrue();
    }

    /**
     * The bound stated in docs/traffic-control.md: at an admission at offset e of a window whose predecessor
     * admitted p requests, p' of them at offsets up to e, the requests admitted in the sliding window (t - W, t]
     * number at most L + p * e / W - p', so always fewer than 2L; and every aligned window admits at most L.
     */
    @Test
    void slidingWindowStaysWithinDocumentedBound() {
        long max = 20;
        long window = 10 * SECOND;
        List<Limit> limits = List.of(sliding(max, 10));
        Random random = new Random(42);
        List<Long> times = new ArrayList<>();
        long now;
        // Adversarial start: the whole quota at the very end of a window, then random bursts and pauses.
        for (int i = 0; i < 40; i++) {
            times.add(T0 + window - 1000);
        }
        now = T0 + window;
        while (now < T0 + 30 * window) {
            times.add(now);
            now += random.nextInt(10) == 0 ? random.nextInt((int) window) : random.nextInt(100_000);
        }

        List<Long> admitted = new ArrayList<>();
        for (long time : times) {
            if (check("bound", limits, time).admitted()) {
                admitted.add(time);
            }
        }

        for (long time : admitted) {
            long index = time / window;
            long offset = time - index * window;
            long previous = admitted.stream().filter(t -> t / window == index - 1).count();
            long previousUpToOffset = admitted.stream()
                    .filter(t -> t / window == index - 1 && t - (index - 1) * window <= offset).count();
            long inAlignedWindow = admitted.stream().filter(t -> t / window == index).count();
            long inSlidingWindow = admitted.stream().filter(t -> t > time - window && t <= time).count();
            assertThat(inAlignedWindow).as("aligned window %d", index).isLessThanOrEqualTo(max);
            assertThat((double) inSlidingWindow).as("sliding window ending at %d", time)
                    .isLessThanOrEqualTo(max + previous * (double) offset / window - previousUpToOffset + 1e-9);
            assertThat(inSlidingWindow).isLessThan(2 * max);
        }
        assertThat(admitted.size()).isGreaterThan((int) (10 * max)).isLessThan(times.size());
    }

    @Test
    void tokenBucketAdmitsBurstThenRate() {
        List<Limit> limits = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 10, 10, 3));

        List<Long> remaining = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Verdict verdict = check("bucket", limits, T0);
            assertThat(verdict.admitted()).isTrue();
            remaining.add(verdict.outcomes()[0].remaining());
        }
        Verdict empty = check("bucket", limits, T0);
        Verdict refilled = check("bucket", limits, T0 + SECOND);
        Verdict early = check("bucket", limits, T0 + 1_500_000);
        Verdict full = check("bucket", limits, T0 + 100 * SECOND);

        assertThat(remaining).containsExactly(2L, 1L, 0L);
        assertThat(empty.admitted()).isFalse();
        assertThat(empty.retryAfterMicros()).isEqualTo(SECOND);
        assertThat(empty.outcomes()[0].resetMicros()).isEqualTo(3 * SECOND);
        assertThat(refilled.admitted()).isTrue();
        assertThat(early.admitted()).isFalse();
        assertThat(early.retryAfterMicros()).isEqualTo(500_000);
        assertThat(full.admitted()).isTrue();
        assertThat(full.outcomes()[0].remaining()).isEqualTo(2);
    }

    @Test
    void tokenBucketHandlesFractionalIntervals() {
        // 3 per 10 seconds: one token every 3,333,333.3 microseconds. Redis expires keys on its real clock, so the
        // simulated intervals stay long against the real time the test takes.
        List<Limit> limits = List.of(new Limit("third", Algorithm.TOKEN_BUCKET, 3, 10, 1));

        int admitted = 0;
        for (long time = T0; time < T0 + 100 * SECOND; time += 10_000) {
            admitted += check("third", limits, time).admitted() ? 1 : 0;
        }

        assertThat(admitted).isEqualTo(30);
    }

    @Test
    void tokenBucketRaisedMaxKeepsTakenTokens() {
        List<Limit> thousand = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 1000, 10, 1000));
        List<Limit> one = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 1, 10, 1));

        Verdict first = check("raised", thousand, T0);
        Verdict lowered = check("raised", one, T0 + SECOND);
        Verdict raised = check("raised", thousand, T0 + 2 * SECOND);

        assertThat(first.outcomes()[0].remaining()).isEqualTo(999);
        assertThat(lowered.admitted()).isTrue();
        assertThat(lowered.outcomes()[0].remaining()).isZero();
        // The request under max 1 took one token, of which 0.9 are still missing 1 s later.
        assertThat(raised.admitted()).isTrue();
        assertThat(raised.outcomes()[0].remaining()).isEqualTo(998);
        assertThat(raised.outcomes()[0].resetMicros()).isEqualTo(19_000);
    }

    @Test
    void tokenBucketLoweredMaxKeepsTakenTokens() {
        List<Limit> ten = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 10, 10, 10));
        List<Limit> one = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 1, 10, 10));
        for (int i = 0; i < 5; i++) {
            assertThat(check("lowered", ten, T0).admitted()).isTrue();
        }

        Verdict lowered = check("lowered", one, T0);
        Verdict later = check("lowered", one, T0 + 10 * SECOND);

        // Five of ten tokens were taken, and the sixth request takes one more. They refill one per 10 s now.
        assertThat(lowered.admitted()).isTrue();
        assertThat(lowered.outcomes()[0].remaining()).isEqualTo(4);
        assertThat(lowered.outcomes()[0].resetMicros()).isEqualTo(60 * SECOND);
        assertThat(later.outcomes()[0].remaining()).isEqualTo(4);
    }

    @Test
    void tokenBucketLoweredBurstCapsTakenTokens() {
        List<Limit> wide = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 10, 10, 10));
        List<Limit> narrow = List.of(new Limit("bucket", Algorithm.TOKEN_BUCKET, 10, 10, 2));
        for (int i = 0; i < 5; i++) {
            assertThat(check("narrowed", wide, T0).admitted()).isTrue();
        }

        Verdict rejected = check("narrowed", narrow, T0);
        Verdict retried = check("narrowed", narrow, T0 + rejected.retryAfterMicros());

        // Five tokens were taken, but the new bucket has room for two. It is empty, and its next token comes in 1 s.
        assertThat(rejected.admitted()).isFalse();
        assertThat(rejected.outcomes()[0].remaining()).isZero();
        assertThat(rejected.retryAfterMicros()).isEqualTo(SECOND);
        assertThat(retried.admitted()).isTrue();
        assertThat(retried.outcomes()[0].remaining()).isZero();
    }

    @Test
    void slidingWindowLoweredMaxCountsAtMostMax() {
        List<Limit> ten = List.of(sliding(10, 10));
        List<Limit> two = List.of(sliding(2, 10));
        for (int i = 0; i < 10; i++) {
            assertThat(check("lowered", ten, T0 + SECOND).admitted()).isTrue();
        }

        Verdict sameWindow = check("lowered", two, T0 + 2 * SECOND);
        Verdict nextWindow = check("lowered", two, T0 + 15 * SECOND);

        // The ten requests count as a full window of two: half of it still weighs 1 halfway through the next one.
        assertThat(sameWindow.admitted()).isFalse();
        assertThat(sameWindow.retryAfterMicros()).isEqualTo(13 * SECOND);
        assertThat(nextWindow.admitted()).isTrue();
        assertThat(nextWindow.outcomes()[0].remaining()).isZero();
    }

    @Test
    void rejectedRequestCountsAgainstNoLimit() {
        List<Limit> limits = List.of(fixed("wide", 5, 10), fixed("narrow", 2, 10));

        check("both", limits, T0);
        check("both", limits, T0);
        Verdict rejected = check("both", limits, T0);

        assertThat(rejected.admitted()).isFalse();
        assertThat(rejected.outcomes()[0].allowed()).isTrue();
        assertThat(rejected.outcomes()[1].allowed()).isFalse();
        assertThat(rejected.outcomes()[0].remaining()).isEqualTo(3);
        assertThat(check("both", List.of(fixed("wide", 5, 10), fixed("narrow", 5, 10)), T0)
                .outcomes()[0].remaining()).isEqualTo(2);
    }

    @Test
    void keysCountSeparately() {
        List<Limit> limits = List.of(fixed("f", 1, 10));

        Verdict first = check("alice", limits, T0);
        Verdict second = check("bob", limits, T0);
        Verdict again = check("alice", limits, T0);

        assertThat(first.admitted()).isTrue();
        assertThat(second.admitted()).isTrue();
        assertThat(again.admitted()).isFalse();
    }
}

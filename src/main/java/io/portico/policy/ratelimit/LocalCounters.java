package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Rate limit counters in this node's memory, one entry per key, shared by every {@code rate-limit} policy of the
 * node and by all its event loops.
 *
 * <p>The hot path takes no lock: looking up an existing key is a read of Caffeine's concurrent map, and the state
 * of a key is an immutable array swapped with compare-and-set, so two event loops counting the same key retry
 * instead of waiting. Only a new key goes through Caffeine's write path.
 *
 * <p>Memory is bounded twice. First, a key expires once it has been idle for as long as its state takes to return
 * to the initial state: one window for a fixed window, two for a sliding window, a full bucket's refill time for a
 * token bucket. Such an expiry never changes a decision. Second, beyond {@code maxKeys} keys, Caffeine evicts the
 * least valuable ones by its frequency-based policy, which forgets their counts.
 */
final class LocalCounters {

    /** Keys kept at most by the node's counters; each takes about 250 bytes. */
    static final long DEFAULT_MAX_KEYS = 200_000;

    private final Cache<CounterKey, KeyState> states;
    private final LongSupplier clock;

    /**
     * Creates counters that read the time from {@code clock}, in microseconds since the epoch, and measure idle
     * time with {@code ticker}.
     */
    LocalCounters(LongSupplier clock, Ticker ticker, long maxKeys) {
        this.clock = requireNonNull(clock, "clock");
        this.states = Caffeine.newBuilder()
                .maximumSize(maxKeys)
                .ticker(ticker)
                .expireAfter(Expiry.<CounterKey, KeyState>accessing((key, state) -> state.idle))
                // Maintenance runs on the checking thread, in small batches, instead of waking a pool thread.
                .executor(Runnable::run)
                .build();
    }

    /** Creates the node's counters on the system clock. */
    static LocalCounters system() {
        return new LocalCounters(systemMicros(), Ticker.systemTicker(), DEFAULT_MAX_KEYS);
    }

    /**
     * Returns a clock of microseconds since the epoch that never goes backwards: the wall clock at creation,
     * advanced by {@link System#nanoTime()}, so a step of the system clock does not reopen or stretch windows.
     */
    static LongSupplier systemMicros() {
        long originMicros = System.currentTimeMillis() * 1000;
        long originNanos = System.nanoTime();
        return () -> originMicros + (System.nanoTime() - originNanos) / 1000;
    }

    /**
     * Checks a request of {@code cost} against {@code limits} for {@code key}, and counts it against all of them
     * when all allow it. The same key must always come with limits of the same algorithms and windows.
     */
    Verdict check(String key, List<Limit> limits, long cost) {
        return check("", key, limits, cost);
    }

    /**
     * Checks a request as {@link #check(String, List, long)} does, for {@code key} within {@code namespace}. The
     * same namespace and key must always come with limits of the same algorithms and windows, but their
     * {@code max} and {@code burst} may change: the state is then carried over to the new values.
     */
    Verdict check(String namespace, String key, List<Limit> limits, long cost) {
        CounterKey counterKey = new CounterKey(namespace, key);
        KeyState entry = states.getIfPresent(counterKey);
        if (entry == null) {
            entry = states.get(counterKey, unused -> new KeyState(limits));
        } else if (entry.limits != limits && !entry.limits.equals(limits)) {
            adopt(counterKey, entry, limits);
        }
        while (true) {
            long now = clock.getAsLong();
            long[] current = entry.state.get();
            long[] base = current;
            for (int i = 0; i < limits.size(); i++) {
                Limit limit = limits.get(i);
                base = limit.algorithm().carryOver(limit, base, 3 * i, now);
            }
            long[] next = base.clone();
            Outcome[] outcomes = new Outcome[limits.size()];
            boolean admitted = true;
            for (int i = 0; i < outcomes.length; i++) {
                Limit limit = limits.get(i);
                outcomes[i] = limit.algorithm().evaluate(limit, base, 3 * i, now, cost, next);
                admitted &= outcomes[i].allowed();
            }
            if (!admitted) {
                // The limits that allowed the request report their state without it, since it is not counted.
                for (int i = 0; i < outcomes.length; i++) {
                    if (outcomes[i].allowed()) {
                        Limit limit = limits.get(i);
                        outcomes[i] = limit.algorithm().evaluate(limit, base, 3 * i, now, 0, next);
                    }
                }
                // A carried-over state is kept. When another check changed the state meanwhile, that check
                // carried it over itself.
                if (base != current) {
                    entry.state.compareAndSet(current, base);
                }
                return new Verdict(false, outcomes);
            }
            if (entry.state.compareAndSet(current, next)) {
                return new Verdict(true, outcomes);
            }
        }
    }

    /**
     * Moves {@code entry} to the settings of {@code limits} after a configuration change, so that it stays until
     * its state under them has returned to the initial state.
     */
    private void adopt(CounterKey counterKey, KeyState entry, List<Limit> limits) {
        entry.limits = limits;
        Duration idle = KeyState.idle(limits);
        if (!idle.equals(entry.idle)) {
            entry.idle = idle;
            states.policy().expireVariably().ifPresent(expiry -> expiry.setExpiresAfter(counterKey, idle));
        }
    }

    /** Keys currently held, for tests. */
    long size() {
        states.cleanUp();
        return states.estimatedSize();
    }

    /**
     * A key within the namespace of one policy and limit set. It is kept as two strings rather than one
     * concatenated text, so a lookup neither copies the namespace nor hashes it again, because a String caches its
     * hash code.
     */
    private record CounterKey(String namespace, String key) {
    }

    /** The state of one key: three slots per limit, replaced as a whole, never changed in place. */
    private static final class KeyState {
        private final AtomicReference<long[]> state;
        /** The limits of the last check, which may differ from the current ones in {@code max} and burst. */
        private volatile List<Limit> limits;
        private volatile Duration idle;

        KeyState(List<Limit> limits) {
            this.state = new AtomicReference<>(new long[3 * limits.size()]);
            this.limits = limits;
            this.idle = idle(limits);
        }

        /** Returns how long the state of {@code limits} takes to return to the initial state, plus a millisecond. */
        static Duration idle(List<Limit> limits) {
            long idleMicros = 0;
            for (Limit limit : limits) {
                long settles = switch (limit.algorithm()) {
                    case FIXED_WINDOW -> limit.windowMicros();
                    case SLIDING_WINDOW -> 2 * limit.windowMicros();
                    case TOKEN_BUCKET -> (long) Math.ceil(limit.burst() * limit.intervalMicros());
                };
                idleMicros = Math.max(idleMicros, settles);
            }
            return Duration.ofNanos(idleMicros * 1000 + 1_000_000);
        }
    }
}

package io.portico.quota;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Calendar periods and the flushing of usage counters, with fixed clocks and a store in memory. */
class UsageCountersTest {

    private final Vertx vertx = Vertx.vertx();

    @AfterEach
    void close() {
        vertx.close();
    }

    @Test
    void dayEndsAtMidnightOfZone() {
        ZoneId paris = ZoneId.of("Europe/Paris");
        CalendarPeriod.Window window = CalendarPeriod.DAY.window(Instant.parse("2026-03-28T23:30:00Z"), paris);

        assertThat(window.start()).isEqualTo(Instant.parse("2026-03-28T23:00:00Z"));
        // The clocks go forward on 29 March 2026 in Paris, so that day lasts 23 hours.
        assertThat(window.end()).isEqualTo(Instant.parse("2026-03-29T22:00:00Z"));
    }

    @Test
    void monthPeriodInUtc() {
        CalendarPeriod.Window last = CalendarPeriod.MONTH.window(Instant.parse("2026-02-28T23:59:59.999Z"),
                ZoneOffset.UTC);
        CalendarPeriod.Window next = CalendarPeriod.MONTH.window(Instant.parse("2026-03-01T00:00:00Z"),
                ZoneOffset.UTC);

        assertThat(last.start()).isEqualTo(Instant.parse("2026-02-01T00:00:00Z"));
        assertThat(last.end()).isEqualTo(Instant.parse("2026-03-01T00:00:00Z"));
        assertThat(next.start()).isEqualTo(last.end());
    }

    @Test
    void flushAddsIncrementsAndReadsOtherNodes() throws Exception {
        MemoryStore store = new MemoryStore();
        Instant now = Instant.parse("2026-05-10T12:00:00Z");
        CounterId id = quota(now);
        UsageCounters first = counters(store, now);
        UsageCounters second = counters(store, now);

        first.add(id, 3);
        second.add(id, 2);
        await(first.flush());
        await(second.flush());
        await(first.flush());

        assertThat(store.totals.get(id)).isEqualTo(5);
        assertThat(first.value(id)).isEqualTo(5);
        assertThat(second.value(id)).isEqualTo(5);
    }

    @Test
    void failedFlushKeepsIncrements() throws Exception {
        MemoryStore store = new MemoryStore();
        Instant now = Instant.parse("2026-05-10T12:00:00Z");
        CounterId id = quota(now);
        UsageCounters counters = counters(store, now);
        counters.add(id, 4);

        store.failing = true;
        await(counters.flush());
        assertThat(counters.value(id)).isEqualTo(4);
        store.failing = false;
        await(counters.flush());

        assertThat(store.totals.get(id)).isEqualTo(4);
        assertThat(counters.value(id)).isEqualTo(4);
    }

    @Test
    void endedPeriodIsForgottenAfterFlush() throws Exception {
        MemoryStore store = new MemoryStore();
        Instant now = Instant.parse("2026-05-10T23:59:59Z");
        CounterId yesterday = quota(now);
        UsageCounters early = counters(store, now);
        early.add(yesterday, 1);
        await(early.flush());

        UsageCounters late = counters(store, now.plus(Duration.ofSeconds(2)));
        await(late.flush());

        assertThat(late.value(yesterday)).isZero();
        assertThat(late.list("quota")).isEmpty();
    }

    private UsageCounters counters(CounterStore store, Instant now) {
        return new UsageCounters(vertx, store, Clock.fixed(now, ZoneOffset.UTC), Duration.ofSeconds(1));
    }

    private static CounterId quota(Instant now) {
        CalendarPeriod.Window window = CalendarPeriod.DAY.window(now, ZoneOffset.UTC);
        return new CounterId("quota", "route:orders:day", "alice", window.start(), window.end());
    }

    private static void await(io.vertx.core.Future<Void> future) throws Exception {
        future.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    }

    /** A shared store in memory, as the usage_counters table of one database. */
    private static final class MemoryStore implements CounterStore {
        final Map<CounterId, Long> totals = new HashMap<>();
        volatile boolean failing;

        @Override
        public synchronized Map<CounterId, Long> addAndRead(Map<CounterId, Long> increments, Instant now) {
            if (failing) {
                throw new IllegalStateException("database down");
            }
            increments.forEach((id, delta) -> totals.merge(id, delta, Long::sum));
            Map<CounterId, Long> current = new HashMap<>();
            totals.forEach((id, total) -> {
                if (id.end().isAfter(now)) {
                    current.put(id, total);
                }
            });
            return current;
        }
    }
}

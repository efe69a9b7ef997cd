package io.portico.quota;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage counters of one node. Policies add to them on the event loop, which touches memory only. Every
 * {@code flushInterval} a worker thread sends the increments of all counters to the {@link CounterStore} in one
 * transaction and reads back the totals of every node, so a node sees the others' usage one or two intervals late.
 *
 * <p>A counter may therefore pass its limit by at most the increments that the other nodes made during one flush
 * interval and that this node has not read yet. When the store is unreachable, increments stay in memory, each
 * node enforces the usage it knows, and the next successful flush sends them.
 */
public final class UsageCounters {

    /** The key under which the gateway keeps the node's counters for policies, in the per-node policy state. */
    public static final String NODE_KEY = "usage.counters";
    /** How often increments are sent to the store and other nodes' totals read back. */
    public static final Duration DEFAULT_FLUSH_INTERVAL = Duration.ofSeconds(1);

    private static final Logger LOG = LoggerFactory.getLogger(UsageCounters.class);

    private final Vertx vertx;
    private final CounterStore store;
    private final Clock clock;
    private final Duration flushInterval;
    private final Map<CounterId, Counter> counters = new ConcurrentHashMap<>();
    private final AtomicBoolean flushRunning = new AtomicBoolean();
    private volatile Future<Void> lastFlush = Future.succeededFuture();
    private volatile boolean storeFailing;
    private long timer = -1;

    public UsageCounters(Vertx vertx, CounterStore store, Clock clock, Duration flushInterval) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.clock = requireNonNull(clock, "clock");
        this.flushInterval = requireNonNull(flushInterval, "flushInterval");
    }

    /** Creates counters that live in this node's memory only. */
    public static UsageCounters inMemory(Vertx vertx) {
        return new UsageCounters(vertx, CounterStore.NONE, Clock.systemUTC(), DEFAULT_FLUSH_INTERVAL);
    }

    /** The clock that decides which period a request falls in. */
    public Clock clock() {
        return clock;
    }

    /** Reads the stored counters of the current periods, then starts flushing every interval. */
    public Future<Void> start() {
        return flush().onComplete(done -> {
            synchronized (this) {
                if (timer < 0) {
                    timer = vertx.setPeriodic(flushInterval.toMillis(), id -> flush());
                }
            }
        });
    }

    /** Stops the periodic flush and sends the remaining increments. */
    public Future<Void> stop() {
        synchronized (this) {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }
        return lastFlush.transform(previous -> flush());
    }

    /** Returns the total of {@code id}: the store's total when last read plus this node's later increments. */
    public long value(CounterId id) {
        Counter counter = counters.get(id);
        return counter == null ? 0 : counter.value();
    }

    /** Adds {@code delta} to {@code id} in memory and returns the new total. */
    public long add(CounterId id, long delta) {
        Counter counter = counters.computeIfAbsent(id, key -> new Counter());
        counter.pending.addAndGet(delta);
        return counter.value();
    }

    /**
     * Records the limit of {@code id} and the fraction of it at which an alert is raised, for the admin API.
     *
     * @param alertThreshold a fraction between 0 and 1, or null when no alert is configured
     */
    public void describe(CounterId id, long limit, Double alertThreshold) {
        Counter counter = counters.computeIfAbsent(id, key -> new Counter());
        counter.limit = limit;
        counter.alertThreshold = alertThreshold;
    }

    /** Marks the alert of {@code id} as raised; returns true only the first time in the counter's period. */
    public boolean raiseAlert(CounterId id) {
        Counter counter = counters.computeIfAbsent(id, key -> new Counter());
        return counter.alerted.compareAndSet(false, true);
    }

    /** Returns every counter of {@code kind} known to this node, sorted by scope, subject and period. */
    public List<CounterState> list(String kind) {
        List<CounterState> states = new ArrayList<>();
        counters.forEach((id, counter) -> {
            if (id.kind().equals(kind)) {
                states.add(new CounterState(id, counter.value(), counter.limit, counter.alertThreshold,
                        counter.alerted.get()));
            }
        });
        states.sort(Comparator.comparing((CounterState state) -> state.id().scope())
                .thenComparing(state -> state.id().subject())
                .thenComparing(state -> state.id().start()));
        return states;
    }

    /**
     * Sends the increments to the store on a worker thread and reads back every node's totals; does nothing while
     * an earlier flush is still running.
     */
    public Future<Void> flush() {
        if (!flushRunning.compareAndSet(false, true)) {
            return lastFlush;
        }
        Map<CounterId, Long> increments = takeIncrements();
        Instant now = clock.instant();
        Future<Void> flush = vertx.executeBlocking(() -> store.addAndRead(increments, now), false)
                .map(totals -> {
                    applied(increments, totals, now);
                    return (Void) null;
                })
                .recover(cause -> {
                    restore(increments, cause);
                    return Future.succeededFuture();
                })
                .onComplete(done -> flushRunning.set(false));
        lastFlush = flush;
        return flush;
    }

    /** Moves each counter's pending increments to its flushing amount, never counting an increment zero times. */
    private Map<CounterId, Long> takeIncrements() {
        Map<CounterId, Long> increments = new HashMap<>();
        counters.forEach((id, counter) -> {
            long delta = counter.pending.get();
            if (delta != 0) {
                counter.flushing += delta;
                counter.pending.addAndGet(-delta);
                increments.put(id, delta);
            }
        });
        return increments;
    }

    private void applied(Map<CounterId, Long> increments, Map<CounterId, Long> totals, Instant now) {
        if (storeFailing) {
            storeFailing = false;
            LOG.info("Usage counters reach the store again; increments kept in memory were written");
        }
        if (totals == null) {
            increments.forEach((id, delta) -> {
                Counter counter = counters.get(id);
                counter.stored += delta;
                counter.flushing -= delta;
            });
        } else {
            totals.forEach((id, total) -> counters.computeIfAbsent(id, key -> new Counter()).stored = total);
            increments.forEach((id, delta) -> {
                Counter counter = counters.get(id);
                if (!totals.containsKey(id)) {
                    counter.stored += delta;
                }
                counter.flushing -= delta;
            });
        }
        counters.entrySet().removeIf(entry -> !entry.getKey().end().isAfter(now) && entry.getValue().idle());
    }

    private void restore(Map<CounterId, Long> increments, Throwable cause) {
        increments.forEach((id, delta) -> {
            Counter counter = counters.get(id);
            counter.pending.addAndGet(delta);
            counter.flushing -= delta;
        });
        if (!storeFailing) {
            storeFailing = true;
            LOG.warn("Usage counters cannot be written to the store, so each node counts in memory until it is back:"
                    + " {}", String.valueOf(cause.getMessage()));
        } else {
            LOG.debug("Usage counters still cannot be written to the store", cause);
        }
    }

    /**
     * One counter on this node. {@code pending} is written on event loops; {@code stored} and {@code flushing} are
     * written by the one running flush only, and a total briefly counts an increment twice rather than never.
     */
    private static final class Counter {
        final AtomicLong pending = new AtomicLong();
        final AtomicBoolean alerted = new AtomicBoolean();
        volatile long flushing;
        volatile long stored;
        volatile Long limit;
        volatile Double alertThreshold;

        long value() {
            return stored + flushing + pending.get();
        }

        boolean idle() {
            return pending.get() == 0 && flushing == 0;
        }
    }

    /**
     * The state of one counter for the admin API.
     *
     * @param limit null when no policy on this node has used the counter since it started
     * @param alertThreshold null when no alert is configured
     */
    public record CounterState(CounterId id, long value, Long limit, Double alertThreshold, boolean alerted) {
    }
}

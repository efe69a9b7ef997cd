package io.portico.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Gauges and counters whose values are copied from live state at each scrape, for state that comes and goes with
 * the configuration, such as the circuit breaker of an upstream target. A scrape source writes every value it
 * has; meters that no source wrote during a scrape are removed from the registry. Used by one scrape at a time,
 * under the lock that {@link NodeMetrics#scrape} holds.
 */
public final class SnapshotMeters {

    private final MeterRegistry registry;
    private final Map<Key, Value> values = new HashMap<>();

    SnapshotMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /**
     * Sets the gauge {@code name} with {@code tags} (alternating keys and values) to {@code value}, registering it
     * on first use.
     */
    public void gauge(String name, String description, double value, String... tags) {
        Value holder = holder(name, Tags.of(tags));
        if (holder.meter == null) {
            holder.meter = Gauge.builder(name, holder, Value::get).description(description).tags(holder.key.tags)
                    .register(registry);
        }
        holder.value = value;
    }

    /**
     * Sets the counter {@code name} with {@code tags} (alternating keys and values) to {@code total}, registering it
     * on first use. The total comes from the source, such as the transitions a circuit breaker counted.
     */
    public void counter(String name, String description, double total, String... tags) {
        Value holder = holder(name, Tags.of(tags));
        if (holder.meter == null) {
            holder.meter = FunctionCounter.builder(name, holder, Value::get).description(description)
                    .tags(holder.key.tags).register(registry);
        }
        holder.value = total;
    }

    private Value holder(String name, Tags tags) {
        Value holder = values.computeIfAbsent(new Key(name, tags), Value::new);
        holder.written = true;
        return holder;
    }

    /** Starts a scrape: every meter counts as unwritten until a source writes it. */
    void begin() {
        values.values().forEach(value -> value.written = false);
    }

    /**
     * Ends a scrape. When {@code complete}, every source ran, and the meters none of them wrote are removed;
     * otherwise they stay, with their last values.
     */
    void end(boolean complete) {
        if (!complete) {
            return;
        }
        Iterator<Value> iterator = values.values().iterator();
        while (iterator.hasNext()) {
            Value value = iterator.next();
            if (!value.written) {
                registry.remove(value.meter);
                iterator.remove();
            }
        }
    }

    private record Key(String name, Tags tags) {
    }

    /** The last value a source wrote for one meter. */
    private static final class Value {
        final Key key;
        Meter meter;
        boolean written;
        volatile double value;

        Value(Key key) {
            this.key = key;
        }

        double get() {
            return value;
        }
    }
}

package io.portico.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntFunction;

/**
 * A fixed number of counters, each registered on first use, so that recording finds its counter by index without
 * building tags. Thread-safe: when two threads create the same counter, Micrometer returns the same meter to both.
 */
final class CounterSlots {

    private final AtomicReferenceArray<Counter> counters;
    private final IntFunction<Counter> create;

    /** Creates {@code size} slots whose counter {@code create} registers from the slot's index. */
    CounterSlots(int size, IntFunction<Counter> create) {
        this.counters = new AtomicReferenceArray<>(size);
        this.create = create;
    }

    /** Returns the counter of slot {@code index}, registering it on first use. */
    Counter get(int index) {
        Counter counter = counters.get(index);
        if (counter == null) {
            counter = create.apply(index);
            counters.set(index, counter);
        }
        return counter;
    }

    /** Removes every counter created so far from {@code registry}. */
    void removeFrom(MeterRegistry registry) {
        for (int i = 0; i < counters.length(); i++) {
            Counter counter = counters.get(i);
            if (counter != null) {
                registry.remove(counter);
            }
        }
    }
}

package io.portico.quota;

import java.time.Instant;
import java.util.Map;

/**
 * Durable counters shared by every node of one store. Every method blocks: call it from a worker thread, never
 * from an event loop.
 */
public interface CounterStore {

    /** A store that keeps nothing, for a node without a database: counters then live in memory only. */
    CounterStore NONE = new CounterStore() {
        @Override
        public Map<CounterId, Long> addAndRead(Map<CounterId, Long> increments, Instant now) {
            return null;
        }
    };

    /**
     * Adds {@code increments} to the stored counters in one transaction, then returns every stored counter whose
     * period ends after {@code now}, with the totals of all nodes.
     *
     * @return the current counters; null when this store keeps nothing
     * @throws RuntimeException when the database fails; no increment is applied then
     */
    Map<CounterId, Long> addAndRead(Map<CounterId, Long> increments, Instant now);
}

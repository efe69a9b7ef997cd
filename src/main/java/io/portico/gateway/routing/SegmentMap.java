package io.portico.gateway.routing;

import java.util.Map;

/**
 * An immutable hash map with string keys that is looked up by a region of a larger string, so that matching a
 * request walks its path and host without allocating a substring per segment or label.
 *
 * <p>Open addressing with linear probing. The hash of a region is computed with the formula that
 * {@link String#hashCode()} specifies, so it equals the hash of the key stored for the same characters.
 */
final class SegmentMap<V> {

    private static final SegmentMap<?> EMPTY = new SegmentMap<>(Map.of());

    private final String[] keys;
    private final Object[] values;
    private final int mask;

    private SegmentMap(Map<String, V> entries) {
        // At most half full, so probing always reaches an empty slot.
        int capacity = Integer.highestOneBit(Math.max(1, entries.size()) * 2) * 2;
        this.keys = new String[capacity];
        this.values = new Object[capacity];
        this.mask = capacity - 1;
        entries.forEach(this::put);
    }

    /** Returns a map with the entries of {@code entries}. */
    @SuppressWarnings("unchecked")
    static <V> SegmentMap<V> of(Map<String, V> entries) {
        return entries.isEmpty() ? (SegmentMap<V>) EMPTY : new SegmentMap<>(entries);
    }

    /** Returns the value stored under the characters {@code text[from, to)}, or null. */
    @SuppressWarnings("unchecked")
    V get(String text, int from, int to) {
        int length = to - from;
        int slot = spread(regionHash(text, from, to)) & mask;
        for (String key = keys[slot]; key != null; key = keys[slot]) {
            if (key.length() == length && key.regionMatches(0, text, from, length)) {
                return (V) values[slot];
            }
            slot = (slot + 1) & mask;
        }
        return null;
    }

    boolean isEmpty() {
        return this == EMPTY;
    }

    private void put(String key, V value) {
        int slot = spread(key.hashCode()) & mask;
        while (keys[slot] != null) {
            slot = (slot + 1) & mask;
        }
        keys[slot] = key;
        values[slot] = value;
    }

    private static int regionHash(String text, int from, int to) {
        int hash = 0;
        for (int i = from; i < to; i++) {
            hash = 31 * hash + text.charAt(i);
        }
        return hash;
    }

    private static int spread(int hash) {
        return hash ^ (hash >>> 16);
    }
}

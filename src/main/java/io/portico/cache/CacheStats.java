package io.portico.cache;

/**
 * Counts of one cache store since the node started.
 *
 * @param type the store type, {@code local} or {@code redis}
 * @param entries entries stored now; for a shared store, -1 when unknown
 * @param bytes approximate bytes held now, keys included; -1 when unknown
 * @param maxBytes the store's limit in bytes; -1 when it has none of its own
 * @param hits look-ups that found an entry
 * @param misses look-ups that found none
 * @param evictions entries removed to stay within {@code maxBytes}, expired ones not included; -1 when unknown,
 *     as for Redis, which evicts by its own {@code maxmemory} policy
 * @param expirations entries removed because their time to live ended; -1 when unknown, as for Redis
 */
public record CacheStats(String type, long entries, long bytes, long maxBytes, long hits, long misses,
                         long evictions, long expirations) {
}

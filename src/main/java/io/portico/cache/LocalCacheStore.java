package io.portico.cache;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.github.benmanes.caffeine.cache.Ticker;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.atomic.LongAdder;

/**
 * A cache store in the heap of this node, bounded in bytes and by each entry's time to live. Caffeine evicts the
 * entries least likely to be used again (Window TinyLFU) once the bytes of keys and values exceed the limit. The
 * store counts those evictions apart from the removals of expired entries, which Caffeine's own statistics lump
 * together as evictions.
 *
 * <p>Caffeine's maintenance runs on the calling thread, so no look-up or write hands work to another thread pool.
 * A purge by prefix scans every key, which is fine for an admin operation on a bounded store.
 */
public final class LocalCacheStore implements CacheStore {

    /** Bytes counted for each entry besides its key and value: the map node, the entry object, the buffer. */
    private static final int ENTRY_OVERHEAD = 96;

    private final long maxBytes;
    private final Cache<String, Entry> cache;
    private final LongAdder evictions = new LongAdder();
    private final LongAdder expirations = new LongAdder();

    /** Creates a store that holds at most {@code maxBytes} of keys and values. */
    public LocalCacheStore(long maxBytes) {
        this(maxBytes, Ticker.systemTicker());
    }

    /** Creates a store of at most {@code maxBytes} that reads the time for expiry from {@code ticker}. */
    LocalCacheStore(long maxBytes, Ticker ticker) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be positive, got " + maxBytes);
        }
        this.maxBytes = maxBytes;
        this.cache = Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .weigher((String key, Entry entry) -> weight(key, entry))
                .expireAfter(new TimeToLive())
                .ticker(ticker)
                .evictionListener((String key, Entry entry, RemovalCause cause) -> count(cause))
                .executor(Runnable::run)
                .recordStats()
                .build();
    }

    @Override
    public String type() {
        return "local";
    }

    @Override
    public Future<Buffer> get(String key) {
        Entry entry = cache.getIfPresent(key);
        return Future.succeededFuture(entry == null ? null : entry.value);
    }

    @Override
    public Future<Void> put(String key, Buffer value, Duration ttl) {
        if (!ttl.isNegative() && !ttl.isZero()) {
            cache.put(key, new Entry(value, ttl.toNanos()));
        }
        return Future.succeededFuture();
    }

    @Override
    public Future<Void> remove(String key) {
        cache.invalidate(key);
        return Future.succeededFuture();
    }

    @Override
    public Future<Long> purge(String prefix) {
        long removed = 0;
        Iterator<String> keys = cache.asMap().keySet().iterator();
        while (keys.hasNext()) {
            if (keys.next().startsWith(prefix)) {
                keys.remove();
                removed++;
            }
        }
        return Future.succeededFuture(removed);
    }

    /** Returns the counts after removing the entries whose time to live has ended, so none of them is counted. */
    @Override
    public CacheStats stats() {
        cache.cleanUp();
        com.github.benmanes.caffeine.cache.stats.CacheStats counts = cache.stats();
        long bytes = cache.policy().eviction().map(eviction -> eviction.weightedSize().orElse(-1)).orElse(-1L);
        return new CacheStats(type(), cache.estimatedSize(), bytes, maxBytes, counts.hitCount(), counts.missCount(),
                evictions.sum(), expirations.sum());
    }

    private void count(RemovalCause cause) {
        if (cause == RemovalCause.SIZE) {
            evictions.increment();
        } else if (cause == RemovalCause.EXPIRED) {
            expirations.increment();
        }
    }

    private static int weight(String key, Entry entry) {
        long bytes = 2L * key.length() + entry.value.length() + ENTRY_OVERHEAD;
        return (int) Math.min(Integer.MAX_VALUE, bytes);
    }

    /** A stored value and how long it lives from its write. */
    private record Entry(Buffer value, long ttlNanos) {
    }

    /** Expires each entry its own time to live after it was written. */
    private static final class TimeToLive implements Expiry<String, Entry> {
        @Override
        public long expireAfterCreate(String key, Entry entry, long currentTime) {
            return entry.ttlNanos;
        }

        @Override
        public long expireAfterUpdate(String key, Entry entry, long currentTime, long currentDuration) {
            return entry.ttlNanos;
        }

        @Override
        public long expireAfterRead(String key, Entry entry, long currentTime, long currentDuration) {
            return currentDuration;
        }
    }
}

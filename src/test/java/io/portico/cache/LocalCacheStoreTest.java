package io.portico.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local cache store's counts, with a clock the test moves. */
class LocalCacheStoreTest {

    private final AtomicLong nanos = new AtomicLong();

    @Test
    void expiredEntriesAreCountedApartFromEvictions() {
        LocalCacheStore store = new LocalCacheStore(64L * 1024 * 1024, nanos::get);
        for (int i = 0; i < 8; i++) {
            store.put("route GET /item/" + i, Buffer.buffer("x".repeat(900)), Duration.ofSeconds(1));
        }
        store.put("route GET /kept", Buffer.buffer("kept"), Duration.ofMinutes(1));

        nanos.addAndGet(Duration.ofSeconds(2).toNanos());
        CacheStats stats = store.stats();

        assertThat(stats.entries()).isEqualTo(1);
        assertThat(stats.evictions()).isZero();
        assertThat(stats.expirations()).isEqualTo(8);
        assertThat(stats.bytes()).isLessThan(1024);
    }

    @Test
    void entriesRemovedForSpaceAreEvictions() {
        LocalCacheStore store = new LocalCacheStore(10_000, nanos::get);
        for (int i = 0; i < 20; i++) {
            store.put("route GET /item/" + i, Buffer.buffer("x".repeat(900)), Duration.ofMinutes(1));
        }

        CacheStats stats = store.stats();

        assertThat(stats.bytes()).isLessThanOrEqualTo(10_000);
        assertThat(stats.evictions()).isEqualTo(20 - stats.entries()).isPositive();
        assertThat(stats.expirations()).isZero();
    }
}

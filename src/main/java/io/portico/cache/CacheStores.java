package io.portico.cache;

import static java.util.Objects.requireNonNull;

import io.portico.redis.RedisClient;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cache stores of one node, by type. They live as long as the node, so entries survive configuration changes,
 * and the admin API purges and counts them here. The {@code local} store always exists; the {@code redis} store
 * exists when the node settings name a Redis.
 */
public final class CacheStores {

    /** The key under which the gateway keeps this node's stores for policies, in the per-node policy state. */
    public static final String NODE_KEY = "cache.stores";

    private final Map<String, CacheStore> stores;

    /** Creates the stores of a node without Redis, whose local store keeps at most {@code localMaxBytes}. */
    public CacheStores(long localMaxBytes) {
        this(List.of(new LocalCacheStore(localMaxBytes)));
    }

    /** Creates the local store and, when {@code redis} is not null, the store shared through it. */
    public CacheStores(long localMaxBytes, RedisClient redis) {
        this(redis == null ? List.of(new LocalCacheStore(localMaxBytes))
                : List.of(new LocalCacheStore(localMaxBytes), new RedisCacheStore(redis)));
    }

    /** Creates a registry of exactly {@code stores}, one per type. */
    public CacheStores(List<CacheStore> stores) {
        Map<String, CacheStore> byType = new LinkedHashMap<>();
        for (CacheStore store : stores) {
            byType.put(store.type(), requireNonNull(store, "store"));
        }
        // In the given order, so the admin API lists the stores in a stable order.
        this.stores = Collections.unmodifiableMap(byType);
    }

    /** Returns the store of {@code type}, or null when this node has none of that type. */
    public CacheStore store(String type) {
        return stores.get(type);
    }

    /** Returns every store, by type, in the order they were given. */
    public Map<String, CacheStore> all() {
        return stores;
    }
}

package io.portico.cache;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The cache stores of one node, by type. They live as long as the node, so entries survive configuration changes,
 * and the admin API purges and counts them here.
 *
 * <p>NOTE: only the {@code local} store exists. A {@code redis} store shared by several nodes needs the node's
 * Redis connection, which this node does not have yet; the cache policy rejects {@code store: redis} until then.
 */
public final class CacheStores {

    /** The key under which the gateway keeps this node's stores for policies, in the per-node policy state. */
    public static final String NODE_KEY = "cache.stores";

    private final Map<String, CacheStore> stores;

    /** Creates the stores of a node whose local store holds at most {@code localMaxBytes}. */
    public CacheStores(long localMaxBytes) {
        this(List.of(new LocalCacheStore(localMaxBytes)));
    }

    /** Creates a registry of exactly {@code stores}, one per type. */
    public CacheStores(List<CacheStore> stores) {
        Map<String, CacheStore> byType = new LinkedHashMap<>();
        for (CacheStore store : stores) {
            byType.put(store.type(), requireNonNull(store, "store"));
        }
        this.stores = Map.copyOf(byType);
    }

    /** Returns the store of {@code type}, or null when this node has none of that type. */
    public CacheStore store(String type) {
        return stores.get(type);
    }

    /** Returns every store, by type. */
    public Map<String, CacheStore> all() {
        return stores;
    }
}

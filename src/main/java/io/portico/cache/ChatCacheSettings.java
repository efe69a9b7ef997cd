package io.portico.cache;

import static java.util.Objects.requireNonNull;

import java.time.Duration;

/**
 * How the AI gateway caches the chat completions of one route, as the {@code cache} policy sets it on each request
 * under {@link #ATTRIBUTE}.
 *
 * @param store where the completions are kept
 * @param route the route's name, which starts every key
 * @param ttl how long a completion is served from the cache
 * @param perConsumer true when each consumer has its own entries; false when all callers of the route share them
 * @param maxObjectSize largest response body stored, in bytes
 */
public record ChatCacheSettings(CacheStore store, String route, Duration ttl, boolean perConsumer,
                                long maxObjectSize) {

    /** The request attribute that holds the settings of the current AI request. */
    public static final String ATTRIBUTE = "cache.chat";

    public ChatCacheSettings {
        requireNonNull(store, "store");
        requireNonNull(route, "route");
        requireNonNull(ttl, "ttl");
    }
}

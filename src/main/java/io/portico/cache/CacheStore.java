package io.portico.cache;

import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;

/**
 * A store of cached responses, each an opaque value under a text key with its own time to live. Every method may
 * be called on an event loop and returns without blocking.
 *
 * <p>Keys start with the name of the route that stored them and a space, so a purge by key prefix can remove one
 * route's entries, one path below it, or everything.
 */
public interface CacheStore {

    /** Returns the store type, {@code local} or {@code redis}, as written in the policy configuration. */
    String type();

    /** Returns the value stored under {@code key}, or a null result when there is none or it expired. */
    Future<Buffer> get(String key);

    /** Stores {@code value} under {@code key} for {@code ttl}, replacing any previous value. */
    Future<Void> put(String key, Buffer value, Duration ttl);

    /** Removes the entry stored under {@code key}, if any. */
    Future<Void> remove(String key);

    /** Removes every entry whose key starts with {@code prefix}, all of them for an empty prefix; returns how many. */
    Future<Long> purge(String prefix);

    /** Returns counts for the admin API. */
    CacheStats stats();
}

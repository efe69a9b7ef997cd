package io.portico.cache;

import static java.util.Objects.requireNonNull;

import io.portico.redis.RedisClient;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

/**
 * A cache store in Redis, shared by every node whose settings name the same Redis (standalone, Sentinel or
 * Cluster), through the node's {@link RedisClient}. A failed command fails its future: callers go on without the
 * cache, and the client logs the outage once.
 *
 * <p>Each entry is one Redis string under {@code <keyPrefix>cache:<route>:<sha256 of the cache key>}, written with
 * {@code SET ... PX} so that Redis removes it when its time to live ends. The hash keeps key names short and keeps
 * header values and consumer names that a cache key may contain out of key listings. The value is an envelope: the
 * format byte {@code K}, the cache key as UTF-8 with an int length before it, then the stored value. The key inside
 * lets a purge by key prefix check each candidate with {@code GETRANGE}, without reading its body, and lets a
 * look-up reject the rare hash collision.
 *
 * <p>The store has no size limit of its own: Redis's {@code maxmemory} bounds it. An eviction policy must not be
 * set on a Redis that also stores rate limit counters, because cache writes would evict them. Under
 * {@code noeviction}, writes to a full Redis fail with {@code OOM} and responses go uncached. Writes are sent with
 * {@link RedisClient#sendBestEffort}, so such a failure leaves the look-ups running.
 */
public final class RedisCacheStore implements CacheStore {

    private static final byte FORMAT = 'K';
    /** Bytes before the cache key in a value: the format byte and the key's length. */
    private static final int HEADER = 1 + 4;

    private final RedisClient redis;
    private final String namespace;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /** Creates the store of the node whose Redis connection is {@code redis}. */
    public RedisCacheStore(RedisClient redis) {
        this.redis = requireNonNull(redis, "redis");
        this.namespace = redis.keyPrefix() + "cache:";
    }

    @Override
    public String type() {
        return "redis";
    }

    @Override
    public Future<Buffer> get(String key) {
        return redis.send(Request.cmd(Command.GET).arg(redisKey(key))).map(reply -> {
            Buffer value = reply == null ? null : unwrap(key, reply.toBuffer());
            if (value == null) {
                misses.increment();
            } else {
                hits.increment();
            }
            return value;
        });
    }

    @Override
    public Future<Void> put(String key, Buffer value, Duration ttl) {
        long millis = ttl.toMillis();
        if (millis < 1) {
            return Future.succeededFuture();
        }
        byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
        Buffer envelope = Buffer.buffer(HEADER + keyBytes.length + value.length())
                .appendByte(FORMAT).appendInt(keyBytes.length).appendBytes(keyBytes).appendBuffer(value);
        Request set = Request.cmd(Command.SET).arg(redisKey(key)).arg(envelope).arg("PX").arg(millis);
        return redis.sendBestEffort(set).mapEmpty();
    }

    @Override
    public Future<Void> remove(String key) {
        return redis.send(Request.cmd(Command.UNLINK).arg(redisKey(key))).mapEmpty();
    }

    /**
     * Removes the matching entries of every node: {@code SCAN} lists the candidates under the route that the prefix
     * names (every route when the prefix ends inside a route name), {@code GETRANGE} reads the cache key at the
     * start of each candidate's value, and {@code UNLINK} removes those whose key starts with {@code prefix}.
     */
    @Override
    public Future<Long> purge(String prefix) {
        int space = prefix.indexOf(' ');
        String pattern = space < 0 ? namespace + glob(prefix) + "*"
                : namespace + glob(prefix.substring(0, space)) + ":*";
        if (prefix.isEmpty()) {
            return redis.scan(pattern, this::unlink);
        }
        byte[] expected = prefix.getBytes(StandardCharsets.UTF_8);
        return redis.scan(pattern, keys -> matching(keys, expected).compose(this::unlink));
    }

    @Override
    public CacheStats stats() {
        return new CacheStats(type(), -1, -1, -1, hits.sum(), misses.sum(), -1, -1);
    }

    /** Returns the Redis key of cache key {@code key}. */
    String redisKey(String key) {
        int space = key.indexOf(' ');
        String route = space < 0 ? key : key.substring(0, space);
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return namespace + route + ":" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /** Returns the stored value inside {@code envelope}, or null when it is not the entry of {@code key}. */
    private static Buffer unwrap(String key, Buffer envelope) {
        if (envelope.length() < HEADER || envelope.getByte(0) != FORMAT) {
            return null;
        }
        int length = envelope.getInt(1);
        if (length < 0 || length > envelope.length() - HEADER) {
            return null;
        }
        String stored = envelope.getString(HEADER, HEADER + length, "UTF-8");
        return stored.equals(key) ? envelope.slice(HEADER + length, envelope.length()) : null;
    }

    /** Returns those of {@code keys} whose cache key starts with the UTF-8 bytes {@code expected}. */
    private Future<List<String>> matching(List<String> keys, byte[] expected) {
        List<Future<Response>> heads = new ArrayList<>(keys.size());
        for (String key : keys) {
            heads.add(redis.send(Request.cmd(Command.GETRANGE).arg(key).arg(0).arg(HEADER + expected.length - 1)));
        }
        return Future.all(heads).map(done -> {
            List<String> matched = new ArrayList<>();
            for (int i = 0; i < keys.size(); i++) {
                Response head = heads.get(i).result();
                if (head != null && startsWith(head.toBuffer(), expected)) {
                    matched.add(keys.get(i));
                }
            }
            return matched;
        });
    }

    private static boolean startsWith(Buffer head, byte[] expected) {
        if (head.length() < HEADER + expected.length || head.getByte(0) != FORMAT
                || head.getInt(1) < expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if (head.getByte(HEADER + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    /**
     * Removes {@code keys} one command each, because in cluster mode they may live in different slots; returns how
     * many existed.
     */
    private Future<Long> unlink(List<String> keys) {
        List<Future<Response>> removals = new ArrayList<>(keys.size());
        for (String key : keys) {
            removals.add(redis.send(Request.cmd(Command.UNLINK).arg(key)));
        }
        return Future.all(removals).map(done -> {
            long removed = 0;
            for (Future<Response> removal : removals) {
                removed += removal.result() == null ? 0 : removal.result().toLong();
            }
            return removed;
        });
    }

    /** Escapes the glob characters of {@code text} for a {@code SCAN MATCH} pattern. */
    private static String glob(String text) {
        StringBuilder escaped = new StringBuilder(text.length() + 8);
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
                escaped.append('\\');
            }
            escaped.append(c);
        }
        return escaped.toString();
    }
}

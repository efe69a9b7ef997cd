package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

import io.portico.redis.RedisClient;
import io.portico.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * Rate limit counters in Redis, shared by every node: one {@code EVALSHA} of {@code rate-limit.lua} per check,
 * which reads, decides and writes every limit of a policy atomically on the server.
 *
 * <p>Each limit of a key is one Redis hash, named
 * <code>PREFIX rl:{NAMESPACE|KEY}:LIMIT:ALGORITHM WINDOW</code>, for example
 * <code>portico:rl:{route:orders/policies/0|consumer=alice}:per-second:s1</code>. The braces form a Redis Cluster
 * hash tag, so all keys of one check live in one slot. The name includes the algorithm and window, so changing
 * either starts from fresh counters; changing {@code max} keeps them. Every key expires once its state would have
 * returned to the initial state.
 *
 * <p>The time is the Redis server's ({@code TIME}), so every node counts on one clock.
 */
final class RedisCounters {

    static final RedisScript SCRIPT = RedisScript.fromResource(RedisCounters.class, "rate-limit.lua");

    private final RedisClient redis;
    private final LongSupplier clock;
    private final List<Limit> limits;
    private final String[] suffixes;
    private final List<String> limitArguments;

    /**
     * Creates the counters of {@code limits}. {@code clock} replaces the server's time with microseconds of its
     * own, for tests; null takes the server's time.
     */
    RedisCounters(RedisClient redis, List<Limit> limits, LongSupplier clock) {
        this.redis = requireNonNull(redis, "redis");
        this.limits = List.copyOf(limits);
        this.clock = clock;
        this.suffixes = new String[limits.size()];
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < limits.size(); i++) {
            Limit limit = limits.get(i);
            suffixes[i] = "}:" + limit.name() + ":" + limit.algorithm().scriptCode() + limit.windowSeconds();
            arguments.add(limit.algorithm().scriptCode());
            arguments.add(Long.toString(limit.max()));
            arguments.add(Long.toString(limit.windowMicros()));
            arguments.add(Long.toString(limit.burst()));
        }
        this.limitArguments = List.copyOf(arguments);
        redis.load(SCRIPT);
    }

    /** Returns the Redis keys of the limits for {@code key} in {@code namespace}. */
    List<String> keys(String namespace, String key) {
        String base = redis.keyPrefix() + "rl:{" + namespace + "|" + key;
        List<String> keys = new ArrayList<>(suffixes.length);
        for (String suffix : suffixes) {
            keys.add(base + suffix);
        }
        return keys;
    }

    /**
     * Checks a request of {@code cost} for {@code key} in {@code namespace}.
     *
     * @return the verdict; fails with {@link io.portico.redis.RedisUnavailableException} when Redis is unavailable
     *     or too slow, or with the server's error reply
     */
    Future<Verdict> check(String namespace, String key, long cost) {
        List<String> arguments = new ArrayList<>(2 + limitArguments.size());
        arguments.add(clock == null ? "" : Long.toString(clock.getAsLong()));
        arguments.add(Long.toString(cost));
        arguments.addAll(limitArguments);
        return redis.eval(SCRIPT, keys(namespace, key), arguments).map(this::verdict);
    }

    private Verdict verdict(Response reply) {
        if (reply == null || reply.size() != 1 + 4 * limits.size()) {
            throw new IllegalStateException("unexpected reply from " + SCRIPT + ": " + reply);
        }
        Outcome[] outcomes = new Outcome[limits.size()];
        for (int i = 0; i < outcomes.length; i++) {
            int base = 1 + 4 * i;
            outcomes[i] = new Outcome(reply.get(base).toInteger() == 1, reply.get(base + 1).toLong(),
                    reply.get(base + 2).toLong(), reply.get(base + 3).toLong());
        }
        return new Verdict(reply.get(0).toInteger() == 1, outcomes);
    }
}

package io.portico.policy.tokenlimit;

import static java.util.Objects.requireNonNull;

import io.portico.redis.KeyDigest;
import io.portico.redis.RedisClient;
import io.portico.redis.RedisScript;
import io.vertx.core.Future;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The minute windows of token limits in Redis, shared by every node. Reserving a request is one {@code EVALSHA} of
 * {@code token-limit-reserve.lua}, which reads, decides and writes every window of the request atomically on the
 * server; replacing the estimate with the real usage is one {@code EVALSHA} of {@code token-limit-correct.lua}.
 *
 * <p>Each window is one Redis hash, named <code>PREFIX tl:{ROUTE}:BY:SUBJECT</code>, for example
 * <code>portico:tl:{chat}:consumer:K9gGyX8OAK8aH8Myj6djqQ</code>, where SUBJECT is the
 * {@link io.portico.redis.KeyDigest} of the consumer, team, credential or model name, here {@code alice}. The
 * braces form a Redis Cluster hash tag, so the windows of one route live in one slot, because one request's
 * windows have different subjects. A window expires a second after its minute ends. The minute is the Redis
 * server's ({@code TIME}), so every node counts on one clock.
 */
final class RedisWindows {

    static final RedisScript RESERVE = RedisScript.fromResource(RedisWindows.class, "token-limit-reserve.lua");
    static final RedisScript CORRECT = RedisScript.fromResource(RedisWindows.class, "token-limit-correct.lua");

    private final RedisClient redis;
    private final LongSupplier clock;

    /**
     * Creates the windows. {@code clock} replaces the server's time with milliseconds of its own, for tests; null
     * takes the server's time.
     */
    RedisWindows(RedisClient redis, LongSupplier clock) {
        this.redis = requireNonNull(redis, "redis");
        this.clock = clock;
        redis.load(RESERVE);
        redis.load(CORRECT);
        redis.warnIfEvicting();
    }

    /**
     * The outcome of a reservation.
     *
     * @param keys the Redis keys of the windows, for the correction
     * @param minute the minute since the epoch the request was counted in
     * @param rejectedBy the index of the window whose limit the request would pass; -1 when it was admitted
     * @param requestsPassed whether that limit is the requests per minute, rather than the tokens per minute
     * @param millisLeft milliseconds until the next minute starts
     */
    record Reservation(List<String> keys, long minute, int rejectedBy, boolean requestsPassed, long millisLeft) {

        boolean admitted() {
            return rejectedBy < 0;
        }
    }

    /** Returns the Redis key of the window of {@code subject} for limits {@code by} on {@code route}. */
    String key(String route, String by, String subject) {
        return redis.keyPrefix() + "tl:{" + route + "}:" + by + ":" + KeyDigest.of(subject);
    }

    /**
     * Reserves one request of {@code estimate} tokens in each of {@code keys}, whose limits are {@code limits}.
     *
     * @return the outcome; fails with {@link io.portico.redis.RedisUnavailableException} when Redis is unavailable
     *     or too slow, or with the server's error reply
     */
    Future<Reservation> reserve(List<String> keys, List<TokenLimitPolicy.Limit> limits, long estimate) {
        List<String> arguments = new ArrayList<>(2 + 2 * limits.size());
        arguments.add(clock == null ? "" : Long.toString(clock.getAsLong()));
        arguments.add(Long.toString(estimate));
        for (TokenLimitPolicy.Limit limit : limits) {
            arguments.add(Long.toString(limit.tokensPerMinute()));
            arguments.add(Long.toString(limit.requestsPerMinute()));
        }
        return redis.eval(RESERVE, keys, arguments).map(reply -> reservation(keys, reply));
    }

    /**
     * Adds {@code delta} tokens to the windows of a reservation that are still at its minute. Failures are only
     * logged by the Redis client: the windows then keep the estimate until their minute ends.
     */
    Future<Response> correct(Reservation reservation, long delta) {
        return redis.eval(CORRECT, reservation.keys(),
                List.of(Long.toString(reservation.minute()), Long.toString(delta)));
    }

    private static Reservation reservation(List<String> keys, Response reply) {
        if (reply == null || reply.size() != 5) {
            throw new IllegalStateException("unexpected reply from " + RESERVE + ": " + reply);
        }
        int rejectedBy = reply.get(2).toInteger() - 1;
        return new Reservation(keys, reply.get(1).toLong(), rejectedBy, "r".equals(reply.get(3).toString()),
                reply.get(4).toLong());
    }
}

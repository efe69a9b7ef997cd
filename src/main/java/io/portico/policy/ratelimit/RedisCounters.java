package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

import io.portico.redis.KeyDigest;
import io.portico.redis.RedisClient;
import io.portico.redis.RedisScript;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Response;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * Rate limit counters in Redis, shared by every node: one {@code EVALSHA} of {@code rate-limit.lua} per check,
 * which reads, decides and writes every limit of a policy atomically on the server.
 *
 * <p>Each limit of a key is one Redis hash, named
 * <code>PREFIX rl:{NAMESPACE|KEY}:LIMIT:ALGORITHM WINDOW</code>, for example
 * <code>portico:rl:{route:orders/policies/0|-yTM80k4jEnUXRHW0e8mDg}:per-second:s1</code>. NAMESPACE is where the
 * policy is declared and KEY the request key's {@link io.portico.redis.KeyDigest}, here of {@code consumer=alice},
 * so the name contains no value taken from the request. The braces form a Redis Cluster hash tag, so all keys of one
 * check live in one slot. The name includes the algorithm and window, so changing either starts from fresh
 * counters. Changing {@code max} or {@code burst} keeps them, and the script carries a token bucket over to the new
 * values as {@link Algorithm#carryOver} does. Every key expires once its state would have returned to the initial
 * state.
 *
 * <p>Checks of the same key and cost that one event loop makes while it handles one batch of I/O events are
 * coalesced into one script call with a request count. The script admits as many of them as the limits allow,
 * in the order they were made. That is exactly what the same requests would get one after another at the same
 * instant, so the cluster still never admits more than the limits allow. The call is sent once the event loop
 * has handled the batch, which delays a check by at most the rest of that batch.
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
    /** The checks each event loop has collected and not sent yet, confined to that event loop's thread. */
    private final ThreadLocal<Collected> collected = ThreadLocal.withInitial(Collected::new);

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
        redis.warnIfEvicting();
    }

    /**
     * Returns the Redis keys of the limits for {@code key}, from {@link RequestKey#resolve}, in {@code namespace}.
     * The names carry the key's {@link KeyDigest} in place of the key.
     */
    List<String> keys(String namespace, String key) {
        String base = redis.keyPrefix() + "rl:{" + namespace + "|" + KeyDigest.of(key);
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
        Promise<Verdict> promise = Promise.promise();
        check(namespace, key, cost, promise::handle);
        return promise.future();
    }

    /**
     * Checks a request of {@code cost} for {@code key} in {@code namespace} and passes the verdict to
     * {@code handler}. On an event loop, the check shares one script call with the other checks of the same key
     * and cost that the event loop makes before it finishes its current batch of events. Elsewhere it is sent at
     * once.
     */
    void check(String namespace, String key, long cost, Handler<AsyncResult<Verdict>> handler) {
        Context context = Vertx.currentContext();
        if (context == null || !Context.isOnEventLoopThread()) {
            send(new Pending(namespace, key, cost, handler));
            return;
        }
        Collected checks = collected.get();
        if (checks.pending.isEmpty()) {
            // Runs after the I/O events the event loop is handling now, so their checks share the calls.
            context.runOnContext(checks);
        }
        // A policy checks one namespace with cost 1, so the key alone finds the call to join.
        Pending call = checks.pending.get(key);
        if (call == null) {
            checks.pending.put(key, new Pending(namespace, key, cost, handler));
        } else if (call.namespace.equals(namespace) && call.cost == cost) {
            call.add(handler);
        } else {
            send(new Pending(namespace, key, cost, handler));
        }
    }

    private void send(Pending call) {
        int count = call.count();
        List<String> arguments = new ArrayList<>(3 + limitArguments.size());
        arguments.add(clock == null ? "" : Long.toString(clock.getAsLong()));
        arguments.add(Long.toString(call.cost));
        arguments.add(Integer.toString(count));
        arguments.addAll(limitArguments);
        redis.eval(SCRIPT, keys(call.namespace, call.key), arguments).onComplete(result -> {
            if (result.failed()) {
                call.completeAll(Future.failedFuture(result.cause()));
                return;
            }
            Response reply = result.result();
            try {
                checkReply(reply, count);
            } catch (IllegalStateException e) {
                call.completeAll(Future.failedFuture(e));
                return;
            }
            int admitted = reply.get(0).toInteger();
            for (int i = 0; i < count; i++) {
                call.handler(i).handle(Future.succeededFuture(verdict(reply, i, admitted, count, call.cost)));
            }
        });
    }

    /** Checks that {@code reply} has the admitted count and one block of values per group of requests in it. */
    private void checkReply(Response reply, int count) {
        int admitted = reply == null || reply.size() == 0 ? -1 : reply.get(0).toInteger();
        int blocks = admitted < 0 ? 0 : (admitted > 0 ? 1 : 0) + (admitted < count ? 1 : 0);
        if (admitted < 0 || admitted > count || reply.size() != 1 + 4 * limits.size() * blocks) {
            throw new IllegalStateException("unexpected reply from " + SCRIPT + ": " + reply);
        }
    }

    /**
     * Reads the verdict of request {@code index} of {@code count} from the script's reply. The first
     * {@code admitted} requests are admitted, each with the remaining quota it leaves, and the others are rejected
     * with the state that the first rejected request saw.
     */
    private Verdict verdict(Response reply, int index, int admitted, int count, long cost) {
        if (index >= admitted) {
            int base = admitted > 0 ? 1 + 4 * limits.size() : 1;
            return new Verdict(false, outcomes(reply, base, 0, 0));
        }
        // Each admitted request leaves the quota of the requests admitted after it in the same call.
        long later = (admitted - 1 - index) * cost;
        return new Verdict(true, outcomes(reply, 1, later, later));
    }

    /**
     * Reads one outcome per limit from {@code reply} at {@code base}, adding {@code extraRemaining} requests to the
     * remaining quota and, for a token bucket, taking the refill time of {@code extraRequests} off the reset time.
     */
    private Outcome[] outcomes(Response reply, int base, long extraRemaining, long extraRequests) {
        Outcome[] outcomes = new Outcome[limits.size()];
        for (int i = 0; i < outcomes.length; i++) {
            int at = base + 4 * i;
            long reset = reply.get(at + 2).toLong();
            Limit limit = limits.get(i);
            if (extraRequests > 0 && limit.algorithm() == Algorithm.TOKEN_BUCKET) {
                // NOTE: derived from the last admitted request's reset, which the script rounded up to whole
                // microseconds, so it can be one microsecond later than a request checked alone would report.
                reset = Math.max(0, reset - (long) Math.floor(extraRequests * limit.intervalMicros()));
            }
            outcomes[i] = new Outcome(reply.get(at).toInteger() == 1, reply.get(at + 1).toLong() + extraRemaining,
                    reset, reply.get(at + 3).toLong());
        }
        return outcomes;
    }

    /**
     * The checks of one event loop waiting to be sent. Sending swaps the map with a spare, because a check that
     * fails at once can lead to another check on the same thread while the calls are being sent.
     */
    private final class Collected implements Handler<Void> {
        private Map<String, Pending> pending = new HashMap<>();
        private Map<String, Pending> sending = new HashMap<>();

        /** Sends the collected checks. */
        @Override
        public void handle(Void ignored) {
            Map<String, Pending> calls = pending;
            pending = sending;
            sending = calls;
            for (Pending call : calls.values()) {
                send(call);
            }
            calls.clear();
        }
    }

    /** The checks of one key and cost waiting for one script call, in the order they were made. */
    private static final class Pending {
        private final String namespace;
        private final String key;
        private final long cost;
        private final Handler<AsyncResult<Verdict>> first;
        /** The handlers after the first; null while the call has one check, which is the common case. */
        private List<Handler<AsyncResult<Verdict>>> others;

        Pending(String namespace, String key, long cost, Handler<AsyncResult<Verdict>> first) {
            this.namespace = namespace;
            this.key = key;
            this.cost = cost;
            this.first = first;
        }

        void add(Handler<AsyncResult<Verdict>> handler) {
            if (others == null) {
                others = new ArrayList<>(4);
            }
            others.add(handler);
        }

        int count() {
            return others == null ? 1 : 1 + others.size();
        }

        Handler<AsyncResult<Verdict>> handler(int index) {
            return index == 0 ? first : others.get(index - 1);
        }

        void completeAll(AsyncResult<Verdict> result) {
            for (int i = 0; i < count(); i++) {
                handler(i).handle(result);
            }
        }
    }
}

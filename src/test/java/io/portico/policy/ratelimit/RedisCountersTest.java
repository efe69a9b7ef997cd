package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.portico.node.NodeConfig;
import io.portico.redis.KeyDigest;
import io.portico.redis.RedisClient;
import io.portico.testing.TestRedis;
import com.github.benmanes.caffeine.cache.Ticker;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The Redis script, on a clock the test passes to it, against a real Redis server. */
class RedisCountersTest extends CountingContract {

    private static TestRedis server;
    private static Vertx vertx;
    private static RedisClient redis;
    private String namespace;

    @BeforeAll
    static void start() {
        server = TestRedis.start();
        vertx = Vertx.vertx();
        redis = connect(vertx, server.url(), "standalone");
    }

    @AfterAll
    static void stop() {
        await(redis.close());
        await(vertx.close());
        server.close();
    }

    @BeforeEach
    void isolate() {
        namespace = "test-" + UUID.randomUUID();
    }

    @Override
    Verdict check(String key, List<Limit> limits, long now) {
        return await(new RedisCounters(redis, limits, () -> now).check(namespace, key, 1));
    }

    @Test
    void keysShareOneHashTagAndExpire() {
        List<Limit> limits = List.of(new Limit("second", Algorithm.SLIDING_WINDOW, 5, 1, 5),
                new Limit("day", Algorithm.FIXED_WINDOW, 100, 86_400, 100),
                new Limit("bucket", Algorithm.TOKEN_BUCKET, 10, 60, 2));
        RedisCounters counters = new RedisCounters(redis, limits, null);

        String alice = KeyDigest.of("consumer=alice");
        Verdict verdict = await(counters.check(namespace, "consumer=alice", 1));
        List<String> keys = counters.keys(namespace, "consumer=alice");
        List<String> hashTags = keys.stream().map(key -> key.substring(key.indexOf('{'), key.indexOf('}') + 1))
                .toList();
        List<Long> ttls = keys.stream().map(key -> await(redis.send(Request.cmd(Command.PTTL).arg(key))).toLong())
                .toList();

        assertThat(verdict.admitted()).isTrue();
        assertThat(keys).containsExactly("portico:rl:{" + namespace + "|" + alice + "}:second:s1",
                "portico:rl:{" + namespace + "|" + alice + "}:day:f86400",
                "portico:rl:{" + namespace + "|" + alice + "}:bucket:t60");
        assertThat(hashTags).containsOnly("{" + namespace + "|" + alice + "}");
        assertThat(ttls.get(0)).isBetween(1_000L, 2_002L);
        assertThat(ttls.get(1)).isBetween(1L, 86_400_001L);
        assertThat(ttls.get(2)).isBetween(1L, 6_002L);
    }

    @Test
    void scriptReloadsAfterFlush() {
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 2, 10, 2));
        check("flushed", limits, T0);

        await(redis.send(Request.cmd(Command.SCRIPT).arg("FLUSH")));
        Verdict verdict = check("flushed", limits, T0);
        Response exists = await(redis.send(Request.cmd(Command.SCRIPT).arg("EXISTS")
                .arg(RedisCounters.SCRIPT.sha1())));

        assertThat(verdict.admitted()).isTrue();
        assertThat(verdict.outcomes()[0].remaining()).isZero();
        assertThat(exists.get(0).toInteger()).isEqualTo(1);
    }

    @Test
    void serverTimeCountsWithoutClock() {
        List<Limit> limits = List.of(new Limit("f", Algorithm.FIXED_WINDOW, 2, 3600, 2));
        RedisCounters counters = new RedisCounters(redis, limits, null);

        Verdict first = await(counters.check(namespace, "time", 1));
        Verdict second = await(counters.check(namespace, "time", 1));
        Verdict third = await(counters.check(namespace, "time", 1));

        assertThat(first.admitted()).isTrue();
        assertThat(second.admitted()).isTrue();
        assertThat(third.admitted()).isFalse();
        assertThat(third.outcomes()[0].resetMicros()).isBetween(1L, 3600 * SECOND);
    }

    @Test
    void coalescedChecksAdmitExactlyTheBudget() {
        for (Limit limit : List.of(new Limit("f", Algorithm.FIXED_WINDOW, 5, 60, 5),
                new Limit("s", Algorithm.SLIDING_WINDOW, 5, 60, 5),
                new Limit("t", Algorithm.TOKEN_BUCKET, 5, 60, 5))) {
            RedisCounters counters = new RedisCounters(redis, List.of(limit), () -> T0 + SECOND);
            String key = "budget-" + limit.name();
            await(counters.check(namespace, key, 1));
            await(counters.check(namespace, key, 1));
            long callsBefore = scriptCalls();

            List<Verdict> verdicts = checkTogether(counters, key, 10);
            long calls = scriptCalls() - callsBefore;

            assertThat(calls).as("script calls for %s", limit.algorithm()).isEqualTo(1);
            assertThat(verdicts).extracting(Verdict::admitted).as("admitted for %s", limit.algorithm())
                    .containsExactly(true, true, true, false, false, false, false, false, false, false);
            assertThat(verdicts).extracting(verdict -> verdict.outcomes()[0].remaining())
                    .as("remaining for %s", limit.algorithm()).containsExactly(2L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L);
            assertThat(verdicts.get(3).retryAfterMicros()).as("retry for %s", limit.algorithm()).isPositive();
        }
    }

    @Test
    void coalescedChecksMatchSequentialChecks() {
        List<Limit> limits = List.of(new Limit("fixed", Algorithm.FIXED_WINDOW, 6, 10, 6),
                new Limit("sliding", Algorithm.SLIDING_WINDOW, 8, 10, 8),
                new Limit("bucket", Algorithm.TOKEN_BUCKET, 3, 10, 4));
        long now = T0 + 12 * SECOND + 345_678;
        AtomicLong time = new AtomicLong(T0 + 3 * SECOND);
        LocalCounters local = new LocalCounters(time::get, Ticker.systemTicker(), 100);
        RedisCounters counters = new RedisCounters(redis, limits, () -> now);
        // The same history on both: one request in the previous windows, one in the current ones.
        local.check("same", limits, 1);
        await(new RedisCounters(redis, limits, time::get).check(namespace, "same", 1));
        time.set(now);
        local.check("same", limits, 1);
        await(counters.check(namespace, "same", 1));

        List<Verdict> coalesced = checkTogether(counters, "same", 6);
        List<Verdict> sequential = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            sequential.add(local.check("same", limits, 1));
        }

        assertThat(coalesced).extracting(Verdict::admitted)
                .containsExactlyElementsOf(sequential.stream().map(Verdict::admitted).toList());
        for (int i = 0; i < coalesced.size(); i++) {
            for (int j = 0; j < limits.size(); j++) {
                Outcome actual = coalesced.get(i).outcomes()[j];
                Outcome expected = sequential.get(i).outcomes()[j];
                String where = "request " + i + ", limit " + limits.get(j).name();
                assertThat(actual.allowed()).as(where).isEqualTo(expected.allowed());
                assertThat(actual.remaining()).as(where).isEqualTo(expected.remaining());
                // A bucket's time of arrival near 1.7e15 µs is a double with a step of 0.25 µs, and one addition
                // of several requests rounds differently from several additions of one.
                long tolerance = limits.get(j).algorithm() == Algorithm.TOKEN_BUCKET ? 1 : 0;
                assertThat(actual.resetMicros()).as(where).isCloseTo(expected.resetMicros(), within(tolerance));
                assertThat(actual.retryAfterMicros()).as(where)
                        .isCloseTo(expected.retryAfterMicros(), within(tolerance));
            }
        }
    }

    /** Makes {@code count} checks of {@code key} in one event-loop task, so they share one script call. */
    private List<Verdict> checkTogether(RedisCounters counters, String key, int count) {
        Promise<List<Verdict>> all = Promise.promise();
        vertx.runOnContext(ignored -> {
            List<Future<Verdict>> futures = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                futures.add(counters.check(namespace, key, 1));
            }
            Future.all(futures).map(done -> futures.stream().map(Future::result).toList()).onComplete(all);
        });
        return await(all.future());
    }

    /** Returns how many times the server ran a script with EVALSHA or EVAL so far. */
    private static long scriptCalls() {
        String stats = await(redis.send(Request.cmd(Command.INFO).arg("commandstats"))).toString();
        long calls = 0;
        for (String line : stats.split("\r?\n")) {
            if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
                int start = line.indexOf("calls=") + "calls=".length();
                calls += Long.parseLong(line.substring(start, line.indexOf(',', start)));
            }
        }
        return calls;
    }

    /** Creates a started client of the Redis at {@code url} with a timeout no test machine reaches. */
    static RedisClient connect(Vertx vertx, String url, String mode) {
        RedisClient client = RedisClient.create(vertx, new NodeConfig.Redis(url, mode, null, null, null,
                Duration.ofSeconds(2), null, null, null));
        await(client.start());
        return client;
    }

    static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Redis operation failed", e);
        }
    }
}

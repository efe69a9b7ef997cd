package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.node.NodeConfig;
import io.portico.redis.RedisClient;
import io.portico.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
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

        Verdict verdict = await(counters.check(namespace, "consumer=alice", 1));
        List<String> keys = counters.keys(namespace, "consumer=alice");
        List<String> hashTags = keys.stream().map(key -> key.substring(key.indexOf('{'), key.indexOf('}') + 1))
                .toList();
        List<Long> ttls = keys.stream().map(key -> await(redis.send(Request.cmd(Command.PTTL).arg(key))).toLong())
                .toList();

        assertThat(verdict.admitted()).isTrue();
        assertThat(keys).allSatisfy(key -> assertThat(key).startsWith("portico:rl:{" + namespace
                + "|consumer=alice}:"));
        assertThat(hashTags).containsOnly("{" + namespace + "|consumer=alice}");
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

package io.portico.policy.ratelimit;

import io.portico.redis.RedisClient;
import io.portico.testing.TestRedisCluster;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The Redis script against a three-master Redis Cluster: every check names one key per limit, so the keys of a
 * check must share a hash slot, which their hash tag guarantees.
 */
class RedisClusterCountersTest extends CountingContract {

    private static TestRedisCluster cluster;
    private static Vertx vertx;
    private static RedisClient redis;
    private String namespace;

    @BeforeAll
    static void start() {
        cluster = TestRedisCluster.start();
        vertx = Vertx.vertx();
        redis = RedisCountersTest.connect(vertx, cluster.url(), "cluster");
    }

    @AfterAll
    static void stop() {
        RedisCountersTest.await(redis.close());
        RedisCountersTest.await(vertx.close());
        cluster.close();
    }

    @BeforeEach
    void isolate() {
        namespace = "test-" + UUID.randomUUID();
    }

    @Override
    Verdict check(String key, List<Limit> limits, long now) {
        return RedisCountersTest.await(new RedisCounters(redis, limits, () -> now).check(namespace, key, 1));
    }
}

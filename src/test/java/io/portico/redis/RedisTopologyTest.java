package io.portico.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.cache.RedisCacheStore;
import io.portico.node.NodeConfig;
import io.portico.testing.Conditions;
import io.portico.testing.RespConnection;
import io.portico.testing.TestRedis;
import io.portico.testing.TestRedisCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisSentinel;

/**
 * The client against Redis Sentinel (a master, a replica and one sentinel) and Redis Cluster (three masters),
 * all real server processes on loopback.
 */
class RedisTopologyTest {

    /** Increments every key it is given and returns the new values: a script that needs all keys in one slot. */
    private static final RedisScript INCREMENT = RedisScript.of("increment",
            "local values = {} for i, key in ipairs(KEYS) do values[i] = redis.call('INCR', key) end return values");

    private final List<AutoCloseable> servers = new ArrayList<>();
    private Vertx vertx;

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stopAll() throws Exception {
        await(vertx.close());
        for (int i = servers.size() - 1; i >= 0; i--) {
            servers.get(i).close();
        }
    }

    @Test
    void sentinelModeFindsMasterAndFollowsFailover() throws Exception {
        TestRedis master = started(TestRedis.start());
        TestRedis replica = started(TestRedis.start(List.of("replicaof 127.0.0.1 " + master.port())));
        int sentinelPort = TestRedis.freePort();
        RedisSentinel sentinel = RedisSentinel.newRedisSentinel().bind("127.0.0.1").port(sentinelPort)
                .masterName("portico").masterPort(master.port()).quorumSize(1).downAfterMilliseconds(500)
                .failOverTimeout(2000).build();
        sentinel.start();
        servers.add(sentinel::stop);
        RedisClient client = RedisClient.create(vertx, settings("redis://127.0.0.1:" + sentinelPort, "sentinel",
                "portico"));
        await(client.start());

        List<Long> before = values(await(client.eval(INCREMENT, List.of("{s}a", "{s}b"), List.of())));
        Conditions.eventually("the replica has the keys", () -> {
            try (RespConnection connection = new RespConnection(replica.port())) {
                return "1".equals(connection.call("GET", "{s}b"));
            }
        });
        master.stop();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        List<Long> after = null;
        while (after == null && System.nanoTime() < deadline) {
            Future<Response> attempt = client.eval(INCREMENT, List.of("{s}a", "{s}b"), List.of());
            try {
                after = values(await(attempt));
            } catch (AssertionError e) {
                Thread.sleep(200);
            }
        }

        assertThat(before).containsExactly(1L, 1L);
        assertThat(after).as("a reply from the promoted replica").containsExactly(2L, 2L);
        try (RespConnection connection = new RespConnection(replica.port())) {
            assertThat(connection.call("ROLE").toString()).startsWith("[master");
        }
    }

    @Test
    void sentinelModeStoresAndPurgesCacheEntries() throws Exception {
        TestRedis master = started(TestRedis.start());
        int sentinelPort = TestRedis.freePort();
        RedisSentinel sentinel = RedisSentinel.newRedisSentinel().bind("127.0.0.1").port(sentinelPort)
                .masterName("portico").masterPort(master.port()).quorumSize(1).build();
        sentinel.start();
        servers.add(sentinel::stop);
        RedisClient client = RedisClient.create(vertx, settings("redis://127.0.0.1:" + sentinelPort, "sentinel",
                "portico"));
        await(client.start());
        RedisCacheStore store = new RedisCacheStore(client);
        for (int i = 0; i < 600; i++) {
            await(store.put("shop GET /items/" + i, Buffer.buffer("item " + i), Duration.ofMinutes(1)));
        }
        await(store.put("blog GET /posts/1", Buffer.buffer("post"), Duration.ofMinutes(1)));

        Buffer stored = await(store.get("shop GET /items/7"));
        long purged = await(store.purge("shop "));

        assertThat(stored.toString()).isEqualTo("item 7");
        assertThat(purged).isEqualTo(600);
        assertThat(await(store.get("shop GET /items/7"))).isNull();
        assertThat(await(store.get("blog GET /posts/1")).toString()).isEqualTo("post");
        try (RespConnection connection = new RespConnection(master.port())) {
            assertThat(connection.call("DBSIZE")).isEqualTo("1");
        }
    }

    @Test
    void clusterModeSendsEachCallToTheSlotOfItsHashTag() {
        TestRedisCluster cluster = TestRedisCluster.start();
        servers.add(cluster);
        RedisClient client = RedisClient.create(vertx, settings(cluster.url(), "cluster", null));
        await(client.start());

        List<List<Long>> replies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String tag = "{key-" + i + "}";
            replies.add(values(await(client.eval(INCREMENT, List.of(tag + ":a", tag + ":b", tag + ":c"),
                    List.of()))));
        }
        List<Long> keysPerNode = new ArrayList<>();
        for (TestRedis node : cluster.nodes()) {
            try (RespConnection connection = new RespConnection(node.port())) {
                keysPerNode.add(Long.parseLong((String) connection.call("DBSIZE")));
            }
        }

        assertThat(replies).allSatisfy(reply -> assertThat(reply).containsExactly(1L, 1L, 1L));
        assertThat(keysPerNode.stream().mapToLong(Long::longValue).sum()).isEqualTo(90);
        assertThat(keysPerNode).allSatisfy(count -> assertThat(count).isPositive());
    }

    private TestRedis started(TestRedis redis) {
        servers.add(redis);
        return redis;
    }

    private static NodeConfig.Redis settings(String url, String mode, String masterName) {
        return new NodeConfig.Redis(url, mode, masterName, null, null, Duration.ofSeconds(2), null,
                Duration.ofMillis(200), null);
    }

    private static List<Long> values(Response reply) {
        List<Long> values = new ArrayList<>();
        for (Response value : reply) {
            values.add(value.toLong());
        }
        return values;
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Redis operation failed", e);
        }
    }
}

package io.portico.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.node.NodeConfig;
import io.portico.redis.RedisClient;
import io.portico.testing.TestRedis;
import io.portico.testing.TestRedisCluster;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The Redis cache store against a real standalone server and a real three-master Redis Cluster. */
class RedisCacheStoreTest {

    private static Vertx vertx;
    private static TestRedis standalone;
    private static TestRedisCluster cluster;
    private static RedisClient standaloneClient;
    private static RedisClient clusterClient;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        standalone = TestRedis.start();
        cluster = TestRedisCluster.start();
        standaloneClient = connect(standalone.url(), "standalone", "standalone:");
        clusterClient = connect(cluster.url(), "cluster", "cluster:");
    }

    @AfterAll
    static void stop() {
        await(standaloneClient.close());
        await(clusterClient.close());
        await(vertx.close());
        standalone.close();
        cluster.close();
    }

    private static RedisClient connect(String url, String mode, String keyPrefix) {
        RedisClient client = RedisClient.create(vertx, new NodeConfig.Redis(url, mode, null, null, null,
                Duration.ofSeconds(2), null, null, keyPrefix));
        await(client.start());
        return client;
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Redis operation failed", e);
        }
    }

    private static RedisCacheStore store(String mode) {
        return new RedisCacheStore(mode.equals("cluster") ? clusterClient : standaloneClient);
    }

    private static String text(Buffer value) {
        return value == null ? null : value.toString();
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void storedValueIsReadBack(String mode) {
        RedisCacheStore store = store(mode);
        await(store.purge(""));

        await(store.put("shop GET /items/1", Buffer.buffer("one"), Duration.ofMinutes(1)));

        assertThat(text(await(store.get("shop GET /items/1")))).isEqualTo("one");
        assertThat(await(store.get("shop GET /items/2"))).isNull();
        await(store.remove("shop GET /items/1"));
        assertThat(await(store.get("shop GET /items/1"))).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void keysAreHashedUnderRoute(String mode) {
        RedisCacheStore store = store(mode);

        String key = store.redisKey("shop GET shop.example /items?token=secret");

        assertThat(key).startsWith(mode + ":cache:shop:").doesNotContain("secret");
        assertThat(key.substring((mode + ":cache:shop:").length())).hasSize(64).matches("[0-9a-f]+");
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void purgeRemovesOnlyMatchingKeys(String mode) {
        RedisCacheStore store = store(mode);
        await(store.purge(""));
        // Enough keys to spread over every cluster master and to need several SCAN calls.
        for (int i = 0; i < 1200; i++) {
            await(store.put("shop GET /items/" + i, Buffer.buffer("item " + i), Duration.ofMinutes(1)));
        }
        await(store.put("shop GET /other", Buffer.buffer("other"), Duration.ofMinutes(1)));
        await(store.put("shop:eu GET /items/1", Buffer.buffer("eu"), Duration.ofMinutes(1)));
        await(store.put("shopping GET /items/1", Buffer.buffer("shopping"), Duration.ofMinutes(1)));
        await(store.put("blog GET /posts/1", Buffer.buffer("post"), Duration.ofMinutes(1)));

        long items = await(store.purge("shop GET /items/"));
        long route = await(store.purge("shop "));
        long prefix = await(store.purge("shop"));

        assertThat(items).isEqualTo(1200);
        assertThat(route).isEqualTo(1);
        // "shop" as a bare prefix matches every route name that starts with it.
        assertThat(prefix).isEqualTo(2);
        assertThat(text(await(store.get("blog GET /posts/1")))).isEqualTo("post");
        assertThat(await(store.purge(""))).isEqualTo(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void entryExpiresWithItsTimeToLive(String mode) {
        RedisCacheStore store = store(mode);

        await(store.put("ttl GET /short", Buffer.buffer("short"), Duration.ofMinutes(5)));

        RedisClient client = mode.equals("cluster") ? clusterClient : standaloneClient;
        long ttl = await(client.send(Request.cmd(Command.PTTL).arg(store.redisKey("ttl GET /short")))).toLong();
        assertThat(ttl).isBetween(1L, Duration.ofMinutes(5).toMillis());
    }

    @ParameterizedTest
    @ValueSource(strings = {"standalone", "cluster"})
    void valueOfOtherKeyIsIgnored(String mode) {
        RedisCacheStore store = store(mode);
        await(store.put("shop GET /a", Buffer.buffer("a"), Duration.ofMinutes(1)));
        String redisKey = store.redisKey("shop GET /b");
        RedisClient client = mode.equals("cluster") ? clusterClient : standaloneClient;

        // A value written under another key's name, as a hash collision would leave it.
        Buffer foreign = Buffer.buffer().appendByte((byte) 'K').appendInt(11).appendString("shop GET /a")
                .appendString("a");
        await(client.send(Request.cmd(Command.SET).arg(redisKey).arg(foreign)));

        assertThat(await(store.get("shop GET /b"))).isNull();
    }
}

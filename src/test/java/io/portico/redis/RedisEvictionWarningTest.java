package io.portico.redis;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.node.NodeConfig;
import io.portico.testing.LogCapture;
import io.portico.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The warning about a server that evicts keys when full, against real Redis servers. */
class RedisEvictionWarningTest {

    @Test
    void evictingServerIsWarnedAboutOnce() throws Exception {
        List<String> warnings = warnings(List.of("maxmemory 64mb", "maxmemory-policy volatile-lru"));

        assertThat(warnings).singleElement().asString().contains("evicts keys")
                .contains("maxmemory-policy volatile-lru").contains("cache.redis.url");
    }

    @Test
    void noevictionServerIsNotWarnedAbout() throws Exception {
        assertThat(warnings(List.of("maxmemory 64mb", "maxmemory-policy noeviction"))).isEmpty();
    }

    @Test
    void serverWithoutMaxmemoryIsNotWarnedAbout() throws Exception {
        assertThat(warnings(List.of("maxmemory-policy allkeys-lru"))).isEmpty();
    }

    /** Returns the WARN lines of a client that checks the server of {@code settings} three times. */
    private static List<String> warnings(List<String> settings) throws Exception {
        Vertx vertx = Vertx.vertx();
        try (TestRedis server = TestRedis.start(settings); LogCapture log = new LogCapture(RedisClient.class)) {
            RedisClient client = RedisClient.create(vertx, new NodeConfig.Redis(server.url(), null, null, null, null,
                    Duration.ofSeconds(2), null, null, null));
            await(client.start());
            for (int i = 0; i < 3; i++) {
                client.warnIfEvicting();
            }
            // Commands on one connection complete in order, so the INFO replies have arrived once this one has.
            await(client.send(Request.cmd(Command.PING)));
            List<String> warnings = log.messages(Level.WARN);
            await(client.close());
            return warnings;
        } finally {
            await(vertx.close());
        }
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Redis operation failed", e);
        }
    }
}

package io.portico.redis;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.node.NodeConfig;
import io.portico.testing.Conditions;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The client against a real Redis server under {@code maxmemory-policy noeviction} whose {@code maxmemory} the test
 * sets below the memory in use, so every command that could add data gets an {@code OOM} error reply, while reads
 * and {@code PING} still succeed.
 */
class RedisOutOfMemoryTest {

    private static final RedisScript WRITE = RedisScript.of("write", "return redis.call('HSET', KEYS[1], 'n', 1)");

    private TestRedis server;
    private Vertx vertx;
    private RedisClient client;

    @BeforeEach
    void start() {
        server = TestRedis.start(List.of("maxmemory-policy noeviction"));
        vertx = Vertx.vertx();
        client = RedisClient.create(vertx, new NodeConfig.Redis(server.url(), null, null, null, null,
                Duration.ofSeconds(2), null, Duration.ofMillis(100), null));
        await(client.start());
    }

    @AfterEach
    void stop() {
        await(client.close());
        await(vertx.close());
        server.close();
    }

    @Test
    void outOfMemoryScriptMarksUnavailable() throws Exception {
        await(client.eval(WRITE, List.of("before"), List.of()));
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            setMaxMemory(server, 1);

            Throwable failure = failure(client.eval(WRITE, List.of("full"), List.of()));
            boolean availableWhileFull = client.available();
            // Ten probe intervals: a probe that only sent PING would report Redis available again.
            Thread.sleep(1000);
            boolean availableAfterProbes = client.available();
            List<String> warnings = log.messages(Level.WARN);
            List<String> infos = log.messages(Level.INFO);

            setMaxMemory(server, 0);
            Conditions.eventually("Redis is available again", client::available);
            await(client.eval(WRITE, List.of("after"), List.of()));

            assertThat(failure).isInstanceOf(RedisUnavailableException.class);
            assertThat(failure.getMessage()).contains("OOM");
            assertThat(availableWhileFull).isFalse();
            assertThat(availableAfterProbes).isFalse();
            assertThat(warnings).singleElement().asString().contains("is unavailable").contains("OOM");
            assertThat(infos).isEmpty();
            assertThat(log.messages(Level.INFO)).singleElement().asString().contains("available again");
        }
    }

    @Test
    void bestEffortWriteOutOfMemoryFailsAlone() {
        await(client.send(Request.cmd(Command.SET).arg("stored").arg("value")));
        setMaxMemory(server, 1);

        Throwable failure = failure(client.sendBestEffort(Request.cmd(Command.SET).arg("cached").arg("value")));
        Object read = await(client.send(Request.cmd(Command.GET).arg("stored")));

        assertThat(failure).isNotInstanceOf(RedisUnavailableException.class);
        assertThat(failure.getMessage()).startsWith("OOM");
        assertThat(String.valueOf(read)).isEqualTo("value");
        assertThat(client.available()).isTrue();
    }

    @Test
    void errorCodeReadsScriptErrors() {
        assertThat(RedisClient.errorCode("OOM command not allowed when used memory > 'maxmemory'."))
                .isEqualTo("OOM");
        assertThat(RedisClient.errorCode("ERR Error running script (call to f_2248ea7f): @user_script:1:"
                + " @user_script: 1: -OOM command not allowed when used memory > 'maxmemory'.")).isEqualTo("OOM");
        assertThat(RedisClient.errorCode("ERR Error running script (call to f_2248ea7f): @user_script:3:"
                + " user_script:3: attempt to compare nil with number")).isEqualTo("ERR");
        assertThat(RedisClient.errorCode("READONLY You can't write against a read only replica."))
                .isEqualTo("READONLY");
        assertThat(RedisClient.errorCode("NOSCRIPT")).isEqualTo("NOSCRIPT");
    }

    /** Sets {@code maxmemory} to {@code bytes}; 0 removes the limit, and a value below the memory in use fills it. */
    static void setMaxMemory(TestRedis server, long bytes) {
        try (RespConnection connection = new RespConnection(server.port())) {
            connection.call("CONFIG", "SET", "maxmemory", bytes);
        }
    }

    private static Throwable failure(Future<?> future) {
        try {
            future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            throw new AssertionError("the command did not complete", e);
        }
        throw new AssertionError("the command succeeded");
    }

    private static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("Redis operation failed", e);
        }
    }
}

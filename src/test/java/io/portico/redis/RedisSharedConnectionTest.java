package io.portico.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.node.NodeConfig;
import io.portico.testing.Conditions;
import io.portico.testing.RespConnection;
import io.portico.testing.TestRedis;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.redis.client.Command;
import io.vertx.redis.client.Request;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The one connection that the client shares between threads off the event loops, against a real Redis server:
 * threads that send at the same moment, after that connection closed, open one new connection between them.
 */
class RedisSharedConnectionTest {

    private static final int THREADS = 16;

    private TestRedis server;
    private Vertx vertx;
    private RedisClient client;

    @BeforeEach
    void start() throws Exception {
        server = TestRedis.start(List.of());
        vertx = Vertx.vertx();
        client = RedisClient.create(vertx, new NodeConfig.Redis(server.url(), null, null, null, null,
                Duration.ofSeconds(2), null, Duration.ofMillis(100), null));
        client.start().await(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void stop() throws Exception {
        client.close().await(10, TimeUnit.SECONDS);
        vertx.close().await(10, TimeUnit.SECONDS);
        server.close();
    }

    @Test
    void concurrentSendersShareOneNewConnection() throws Exception {
        for (int round = 0; round < 5; round++) {
            try (RespConnection admin = new RespConnection(server.port())) {
                // Closes every connection but this one, so the client's shared connection has to be opened again.
                admin.call("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes");
                Conditions.eventually("the client noticed the closed connection", () -> clients(admin) == 1);

                sendAtOnce();

                assertThat(clients(admin)).as("connections besides the test's own, round %d", round)
                        .isEqualTo(2);
            }
        }
    }

    /** Sends PING from {@value #THREADS} threads released at the same moment, and waits for every reply. */
    private void sendAtOnce() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(THREADS);
        try {
            CountDownLatch ready = new CountDownLatch(THREADS);
            CountDownLatch go = new CountDownLatch(1);
            List<java.util.concurrent.Future<Future<?>>> sent = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                sent.add(threads.submit(() -> {
                    ready.countDown();
                    go.await();
                    return client.send(Request.cmd(Command.PING));
                }));
            }
            ready.await(10, TimeUnit.SECONDS);
            go.countDown();
            for (java.util.concurrent.Future<Future<?>> reply : sent) {
                reply.get(10, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /** Returns the number of client connections that Redis has open, the caller's included. */
    private static int clients(RespConnection admin) {
        String list = String.valueOf(admin.call("CLIENT", "LIST"));
        return (int) list.lines().filter(line -> !line.isBlank()).count();
    }
}

package io.portico.store;

import static io.portico.store.TestSpecs.await;
import static io.portico.store.TestSpecs.join;
import static io.portico.store.TestSpecs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.testing.LogCapture;
import io.portico.testing.TestKeys;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stops the PostgreSQL server under a running watcher, then starts it again on the same port and data directory,
 * as a database restart or failover would.
 */
class StoreWatcherOutageTest {

    @TempDir
    Path dataDirectory;

    @Test
    void outageKeepsSnapshotUntilStoreRecovers() throws Exception {
        int port = freePort();
        TestPostgres postgres = TestPostgres.start(dataDirectory.resolve("pg"), port);
        Vertx vertx = Vertx.vertx();
        JdbcConfigStore store = JdbcConfigStore.open(postgres.url(), "postgres", "postgres", TestKeys.KEYRING);
        StoreWatcher watcher = new StoreWatcher(vertx, store, Duration.ofMillis(100),
                snapshot -> Future.succeededFuture());
        try (LogCapture log = new LogCapture(StoreWatcher.class)) {
            store.commit(List.of(Change.create("services", "api", service("api", 8080))));
            join(watcher.start());

            postgres.close();

            await(Duration.ofSeconds(10), "the watcher warns", () -> !log.messages(Level.WARN).isEmpty());
            assertThatThrownBy(() -> store.commit(List.of(Change.create("services", "b", service("b", 1)))))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("committing 1 change failed");
            Thread.sleep(4_000);
            assertThat(watcher.current().version()).isEqualTo(1);
            assertThat(watcher.current().services()).containsOnlyKeys("api");
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("unreachable", "keeps serving configuration version 1");

            postgres = TestPostgres.start(dataDirectory.resolve("pg"), port);

            // The pool retries connecting with a backoff of up to 5 seconds, so recovery can take that long.
            await(Duration.ofSeconds(15), "the watcher reads the store again",
                    () -> log.messages(Level.INFO).stream().anyMatch(message -> message.contains("reachable again")));
            store.commit(List.of(Change.create("services", "after", service("after", 1))));
            await(Duration.ofSeconds(1), "the watcher applies version 2", () -> watcher.current().version() == 2);
            assertThat(watcher.current().services()).containsOnlyKeys("api", "after");
            assertThat(log.messages(Level.INFO)).filteredOn(message -> message.contains("reachable again"))
                    .singleElement().asString().contains("version 1");
            assertThat(log.messages(Level.WARN)).hasSize(1);
        } finally {
            join(watcher.stop());
            store.close();
            join(vertx.close());
            postgres.close();
        }
    }

    /** Returns a loopback port that was free a moment ago. */
    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}

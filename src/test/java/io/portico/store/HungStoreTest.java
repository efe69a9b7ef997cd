package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.testing.Conditions;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A database that stops responding without closing its connections counts as unreachable within seconds. */
class HungStoreTest {

    /**
     * Shorter than the PostgreSQL socket timeout (30 s), which bounded the version read before, and much longer
     * than the version read's own 3-second timeout plus the pool's connection timeout.
     */
    private static final Duration DETECTION_WAIT = Duration.ofSeconds(20);

    @Test
    void pausedDatabaseIsSeenBeforeSocketTimeout() throws Exception {
        try (TestPostgres postgres = TestPostgres.start();
             PausableProxy proxy = PausableProxy.start(postgres.port());
             LogCapture watcher = new LogCapture(StoreWatcher.class)) {
            String url = "jdbc:postgresql://127.0.0.1:" + proxy.port() + "/postgres";
            TestNode node = TestNode.start(Map.of("store.url", url, "store.username", "postgres",
                    "store.password", "postgres"));
            try {
                proxy.pause();

                Conditions.eventually("the watcher reports the paused database", DETECTION_WAIT,
                        () -> !watcher.messages(Level.WARN).isEmpty());
                assertThat(watcher.messages(Level.WARN).get(0)).contains("Configuration store is unreachable");
                proxy.resume();
                Conditions.eventually("the watcher reports the database back", Duration.ofSeconds(60),
                        () -> watcher.messages(Level.INFO).stream().anyMatch(line -> line.contains("reachable again")));
            } finally {
                proxy.resume();
                node.close();
            }
        }
    }
}

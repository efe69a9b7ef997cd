package io.portico;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.store.StoreException;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class NodeStopTest {

    private static TestUpstream upstream;

    @BeforeAll
    static void startUpstream() {
        upstream = TestUpstream.start("stop");
    }

    @AfterAll
    static void stopUpstream() {
        upstream.close();
    }

    @Test
    void stopRacingConfigChangesCompletes() throws Exception {
        for (int round = 0; round < 5; round++) {
            try (LogCapture log = new LogCapture(StopSequence.class)) {
                // Polling every millisecond keeps a store call in flight most of the time.
                TestNode node = TestNode.start(Map.of("store.pollInterval", "1ms"));
                AtomicBoolean stopping = new AtomicBoolean();
                AtomicInteger applied = new AtomicInteger();
                Thread changes = new Thread(() -> applyUntil(node, stopping, applied), "config-changes");
                changes.start();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (applied.get() < 3 && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertThat(applied.get()).as("changes applied before the stop, round %d", round).isGreaterThan(2);

                stopping.set(true);
                node.close();
                changes.join();

                assertThat(log.messages(Level.WARN)).as("round %d", round).isEmpty();
                assertThatThrownBy(() -> node.portico().store().version()).as("round %d", round)
                        .isInstanceOf(StoreException.class);
            }
        }
    }

    /** Applies a new configuration again and again until {@code stopping} is set, counting the successes. */
    private static void applyUntil(TestNode node, AtomicBoolean stopping, AtomicInteger applied) {
        for (int change = 0; !stopping.get(); change++) {
            Configs config = Configs.document();
            config.service("backend", upstream.port());
            config.route("route-" + change, "backend", "/" + change);
            try {
                node.apply(config.build());
                applied.incrementAndGet();
            } catch (RuntimeException | AssertionError e) {
                // Once the stop has begun, the admin API refuses or drops the request.
            }
        }
    }
}

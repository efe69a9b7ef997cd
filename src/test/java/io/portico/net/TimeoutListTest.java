package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The shared response-head timer of one event loop, on a real Vert.x event loop. */
class TimeoutListTest {

    private Vertx vertx;
    private Context context;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() {
        vertx.close().await();
    }

    @Test
    void entriesExpireInOrderAfterTimeout() throws Exception {
        List<String> expired = new CopyOnWriteArrayList<>();
        CompletableFuture<Long> lastExpiry = new CompletableFuture<>();
        long[] startNanos = new long[1];
        onLoop(done -> {
            TimeoutList timeouts = TimeoutList.current(100);
            startNanos[0] = System.nanoTime();
            timeouts.add(new TimeoutList.Entry(() -> expired.add("first")));
            timeouts.add(new TimeoutList.Entry(() -> {
                expired.add("second");
                lastExpiry.complete(System.nanoTime());
            }));
            done.run();
        });

        long elapsedMillis = TimeUnit.NANOSECONDS.toMillis(lastExpiry.get(5, TimeUnit.SECONDS) - startNanos[0]);

        assertThat(expired).containsExactly("first", "second");
        assertThat(elapsedMillis).isGreaterThanOrEqualTo(100);
    }

    @Test
    void cancelledEntryNeverExpires() throws Exception {
        List<String> expired = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> lastExpired = new CompletableFuture<>();
        onLoop(done -> {
            TimeoutList timeouts = TimeoutList.current(50);
            TimeoutList.Entry first = new TimeoutList.Entry(() -> expired.add("first"));
            TimeoutList.Entry middle = new TimeoutList.Entry(() -> expired.add("middle"));
            timeouts.add(first);
            timeouts.add(middle);
            timeouts.add(new TimeoutList.Entry(() -> {
                expired.add("last");
                lastExpired.complete(null);
            }));
            middle.cancel();
            first.cancel();
            first.cancel();
            done.run();
        });

        lastExpired.get(5, TimeUnit.SECONDS);

        assertThat(expired).containsExactly("last");
    }

    @Test
    void entryAddedOnExpiryGetsFullTimeout() throws Exception {
        CompletableFuture<Long> firstExpiry = new CompletableFuture<>();
        CompletableFuture<Long> secondExpiry = new CompletableFuture<>();
        onLoop(done -> {
            TimeoutList timeouts = TimeoutList.current(80);
            TimeoutList.Entry retry = new TimeoutList.Entry(() -> secondExpiry.complete(System.nanoTime()));
            timeouts.add(new TimeoutList.Entry(() -> {
                firstExpiry.complete(System.nanoTime());
                timeouts.add(retry);
            }));
            done.run();
        });

        long gapMillis = TimeUnit.NANOSECONDS.toMillis(
                secondExpiry.get(5, TimeUnit.SECONDS) - firstExpiry.get(5, TimeUnit.SECONDS));

        assertThat(gapMillis).isGreaterThanOrEqualTo(80);
    }

    @Test
    void reusedEntryRunsAgain() throws Exception {
        CompletableFuture<Void> expiredTwice = new CompletableFuture<>();
        int[] count = new int[1];
        onLoop(done -> {
            TimeoutList timeouts = TimeoutList.current(20);
            TimeoutList.Entry[] entry = new TimeoutList.Entry[1];
            entry[0] = new TimeoutList.Entry(() -> {
                if (++count[0] == 1) {
                    timeouts.add(entry[0]);
                } else {
                    expiredTwice.complete(null);
                }
            });
            timeouts.add(entry[0]);
            done.run();
        });

        expiredTwice.get(5, TimeUnit.SECONDS);

        assertThat(count[0]).isEqualTo(2);
    }

    @Test
    void addingRunningEntryRestartsIt() throws Exception {
        List<Long> expiries = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> expired = new CompletableFuture<>();
        long[] startNanos = new long[1];
        onLoop(done -> {
            TimeoutList timeouts = TimeoutList.current(100);
            TimeoutList.Entry entry = new TimeoutList.Entry(() -> {
                expiries.add(System.nanoTime());
                expired.complete(null);
            });
            startNanos[0] = System.nanoTime();
            timeouts.add(entry);
            vertx.setTimer(60, id -> timeouts.add(entry));
            done.run();
        });

        expired.get(5, TimeUnit.SECONDS);
        Thread.sleep(150);

        assertThat(expiries).hasSize(1);
        assertThat(TimeUnit.NANOSECONDS.toMillis(expiries.get(0) - startNanos[0])).isGreaterThanOrEqualTo(160);
    }

    @Test
    void outsideVertxContextIsRejected() {
        assertThatThrownBy(() -> TimeoutList.current(12_345))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("outside of a Vert.x context");
    }

    /** Runs {@code action} on the test's event loop and waits until it calls its argument. */
    private void onLoop(Consumer<Runnable> action) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        context.runOnContext(ignored -> action.accept(() -> done.complete(null)));
        done.get(5, TimeUnit.SECONDS);
    }
}

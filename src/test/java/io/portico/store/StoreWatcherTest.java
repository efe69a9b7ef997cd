package io.portico.store;

import static io.portico.store.TestSpecs.await;
import static io.portico.store.TestSpecs.join;
import static io.portico.store.TestSpecs.json;
import static io.portico.store.TestSpecs.service;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.portico.config.ConfigSnapshot;
import io.portico.config.ValidationException;
import io.portico.testing.ForwardingConfigStore;
import io.portico.testing.LogCapture;
import io.portico.testing.TestKeys;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StoreWatcherTest {

    private static final Duration POLL = Duration.ofMillis(250);

    private static TestPostgres postgres;

    @TempDir
    Path dataDirectory;

    private Vertx vertx;
    private final List<AutoCloseable> resources = new CopyOnWriteArrayList<>();

    @BeforeAll
    static void startPostgres() throws Exception {
        postgres = TestPostgres.start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        postgres.close();
    }

    @BeforeEach
    void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        join(vertx.close());
    }

    @Test
    void startLoadsFirstSnapshot() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        store.commit(List.of(Change.create("services", "api", service("api", 8080))));
        List<ConfigSnapshot> published = new CopyOnWriteArrayList<>();
        StoreWatcher watcher = watcher(store, published::add);

        ConfigSnapshot first = join(watcher.start());

        assertThat(first.version()).isEqualTo(1);
        assertThat(first.services()).containsOnlyKeys("api");
        assertThat(watcher.current()).isSameAs(first);
        assertThat(published).containsExactly(first);
    }

    @Test
    void startPublishesEmptyStore() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        List<ConfigSnapshot> published = new CopyOnWriteArrayList<>();

        ConfigSnapshot first = join(watcher(store, published::add).start());

        assertThat(first.version()).isZero();
        assertThat(first.resources()).isEmpty();
        assertThat(published).containsExactly(first);
    }

    @Test
    void startFailsWhenStoreIsUnreadable() {
        JdbcConfigStore store = JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING);
        store.close();

        assertThatThrownBy(() -> join(watcher(store, snapshot -> { }).start()))
                .isInstanceOf(ExecutionException.class)
                .cause().isInstanceOf(StoreException.class);
    }

    @Test
    void commitOnOneNodeReachesTheOther() throws Exception {
        String url = postgres.newDatabase();
        JdbcConfigStore first = track(JdbcConfigStore.open(url, "postgres", "postgres", TestKeys.KEYRING));
        JdbcConfigStore second = track(JdbcConfigStore.open(url, "postgres", "postgres", TestKeys.KEYRING));
        List<ConfigSnapshot> seenBySecond = new CopyOnWriteArrayList<>();
        StoreWatcher firstWatcher = watcher(first, snapshot -> { });
        StoreWatcher secondWatcher = watcher(second, seenBySecond::add);
        join(firstWatcher.start());
        join(secondWatcher.start());

        first.commit(List.of(Change.create("services", "api", service("api", 8080))));
        ConfigSnapshot refreshed = join(firstWatcher.refreshNow());

        assertThat(refreshed.version()).isEqualTo(1);
        assertThat(firstWatcher.current().services()).containsOnlyKeys("api");
        await(Duration.ofSeconds(1), "the second node applies version 1", () -> secondWatcher.current().version() == 1);
        assertThat(secondWatcher.current().services()).containsOnlyKeys("api");
        assertThat(seenBySecond).extracting(ConfigSnapshot::version).containsExactly(0L, 1L);

        second.commit(List.of(Change.delete("services", "api", 1L)));

        await(Duration.ofSeconds(1), "the first node applies version 2", () -> firstWatcher.current().version() == 2);
        assertThat(firstWatcher.current().services()).isEmpty();
    }

    @Test
    void refreshNowWithoutChangeKeepsSnapshot() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        AtomicInteger published = new AtomicInteger();
        StoreWatcher watcher = watcher(store, snapshot -> published.incrementAndGet());
        ConfigSnapshot first = join(watcher.start());

        assertThat(join(watcher.refreshNow())).isSameAs(first);
        assertThat(published).hasValue(1);
    }

    @Test
    void invalidConfigurationKeepsLastSnapshot() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        store.commit(List.of(Change.create("services", "api", service("api", 8080))));
        try (LogCapture log = new LogCapture(StoreWatcher.class)) {
            StoreWatcher watcher = watcher(store, snapshot -> { });
            join(watcher.start());

            store.commit(List.of(Change.create("services", "broken", json("{\"name\": \"broken\", \"targets\": []}"))));

            await(Duration.ofSeconds(2), "the watcher logs an error", () -> !log.messages(Level.ERROR).isEmpty());
            assertThatThrownBy(() -> join(watcher.refreshNow()))
                    .cause().isInstanceOf(ValidationException.class)
                    .hasMessageContaining("services/broken.targets");
            Thread.sleep(3 * POLL.toMillis());
            assertThat(watcher.current().version()).isEqualTo(1);
            assertThat(log.messages(Level.ERROR)).singleElement().asString()
                    .contains("version 2", "keeps serving version 1", "services/broken.targets");

            store.commit(List.of(Change.delete("services", "broken", null)));

            await(Duration.ofSeconds(2), "the watcher applies version 3", () -> watcher.current().version() == 3);
            assertThat(watcher.current().services()).containsOnlyKeys("api");
        }
    }

    @Test
    void invalidConfigurationAtStartServesEmptySnapshot() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        store.commit(List.of(Change.create("services", "broken", json("{\"name\": \"broken\"}"))));
        try (LogCapture log = new LogCapture(StoreWatcher.class)) {
            List<ConfigSnapshot> published = new CopyOnWriteArrayList<>();
            StoreWatcher watcher = watcher(store, published::add);

            ConfigSnapshot first = join(watcher.start());

            assertThat(first.version()).isZero();
            assertThat(published).containsExactly(first);
            assertThat(log.messages(Level.ERROR)).singleElement().asString().contains("services/broken.targets");
            Thread.sleep(3 * POLL.toMillis());
            assertThat(log.messages(Level.ERROR)).hasSize(1);
            store.commit(List.of(Change.update("services", "broken", service("broken", 1), 1L)));
            await(Duration.ofSeconds(2), "the watcher applies version 2", () -> watcher.current().version() == 2);
        }
    }

    @Test
    void refreshCompletesAfterSnapshotTakesEffect() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        List<Promise<Void>> applying = new CopyOnWriteArrayList<>();
        StoreWatcher watcher = new StoreWatcher(vertx, store, Duration.ofHours(1), snapshot -> {
            if (snapshot.version() == 0) {
                return Future.succeededFuture();
            }
            Promise<Void> applied = Promise.promise();
            applying.add(applied);
            return applied.future();
        });
        resources.add(() -> join(watcher.stop()));
        join(watcher.start());
        store.commit(List.of(Change.create("services", "api", service("api", 8080))));
        List<String> events = new CopyOnWriteArrayList<>();

        Future<ConfigSnapshot> changed = watcher.refreshNow().andThen(done -> events.add("changed refreshed"));
        await(Duration.ofSeconds(10), "the watcher applies version 1", () -> applying.size() == 1);
        Future<ConfigSnapshot> unchanged = watcher.refreshNow().andThen(done -> events.add("unchanged refreshed"));
        events.add("applied");
        applying.get(0).complete();

        assertThat(join(changed).version()).isEqualTo(1);
        assertThat(join(unchanged).version()).isEqualTo(1);
        assertThat(events).first().isEqualTo("applied");
        assertThat(applying).hasSize(1);
    }

    @Test
    void slowStoreGetsNoOverlappingPolls() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        SlowStore slow = new SlowStore(store, Duration.ofMillis(100));
        StoreWatcher watcher = new StoreWatcher(vertx, slow, Duration.ofMillis(1),
                snapshot -> Future.succeededFuture());
        join(watcher.start());

        for (int i = 0; i < 5; i++) {
            watcher.refreshNow();
        }
        Thread.sleep(800);
        join(watcher.stop());

        assertThat(slow.calls.get()).isBetween(2, 20);
        assertThat(slow.overlapped).isFalse();
        assertThat(slow.onEventLoop).isFalse();
    }

    @Test
    void snapshotsArePublishedOnVertxContext() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        List<Boolean> onContext = new CopyOnWriteArrayList<>();
        StoreWatcher watcher = watcher(store, snapshot -> onContext.add(Vertx.currentContext() != null));
        join(watcher.start());

        store.commit(List.of(Change.create("services", "api", service("api", 8080))));
        // current() changes just before onSnapshot runs, so the wait is for the second call itself.
        await(Duration.ofSeconds(2), "the watcher publishes version 1", () -> onContext.size() == 2);

        assertThat(onContext).containsExactly(true, true);
    }

    @Test
    void stopEndsPolling() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        StoreWatcher watcher = watcher(store, snapshot -> { });
        join(watcher.start());

        join(watcher.stop());
        store.commit(List.of(Change.create("services", "api", service("api", 8080))));
        Thread.sleep(3 * POLL.toMillis());

        assertThat(watcher.current().version()).isZero();
        assertThatThrownBy(() -> join(watcher.refreshNow())).cause().isInstanceOf(IllegalStateException.class);
    }

    @Test
    void stopDuringRefreshLeavesNothingPending() throws Exception {
        JdbcConfigStore store = track(JdbcConfigStore.embedded(dataDirectory, TestKeys.KEYRING));
        for (int round = 0; round < 50; round++) {
            // The watcher belongs to this context, so the refresh and the stop below run on it back to back,
            // while the worker thread may not have picked up the refresh yet.
            Context context = vertx.getOrCreateContext();
            StoreWatcher watcher = join(context.executeBlocking(() -> null, false)
                    .map(v -> new StoreWatcher(vertx, store, POLL, snapshot -> Future.succeededFuture())));
            join(watcher.start());
            CompletableFuture<Future<ConfigSnapshot>> refresh = new CompletableFuture<>();
            CompletableFuture<Future<Void>> stop = new CompletableFuture<>();
            context.runOnContext(v -> {
                refresh.complete(watcher.refreshNow());
                context.runOnContext(w -> stop.complete(watcher.stop()));
            });

            assertThat(settled(refresh.get(10, TimeUnit.SECONDS))).as("refresh settled, round %d", round).isTrue();
            assertThat(settled(stop.get(10, TimeUnit.SECONDS))).as("stop settled, round %d", round).isTrue();
            Future<String> ordered = context.executeBlocking(() -> "ran", true);
            assertThat(settled(ordered)).as("ordered blocking task after the stop, round %d", round).isTrue();
        }
    }

    /** Waits up to ten seconds for {@code future} and returns false when it is still pending. */
    private static boolean settled(Future<?> future) throws InterruptedException {
        try {
            join(future);
        } catch (ExecutionException e) {
            // A failure settles the future too.
        } catch (TimeoutException e) {
            return false;
        }
        return true;
    }

    private StoreWatcher watcher(ConfigStore store, Consumer<ConfigSnapshot> onSnapshot) {
        StoreWatcher watcher = new StoreWatcher(vertx, store, POLL, snapshot -> {
            onSnapshot.accept(snapshot);
            return Future.succeededFuture();
        });
        resources.add(() -> join(watcher.stop()));
        return watcher;
    }

    private <T extends AutoCloseable> T track(T resource) {
        resources.add(resource);
        return resource;
    }

    /** A store whose every call takes {@code delay} longer, and which records overlapping calls. */
    private static final class SlowStore extends ForwardingConfigStore {

        private final Duration delay;
        private final AtomicInteger calls = new AtomicInteger();
        private final AtomicInteger running = new AtomicInteger();
        private final AtomicBoolean overlapped = new AtomicBoolean();
        private final AtomicBoolean onEventLoop = new AtomicBoolean();

        SlowStore(ConfigStore store, Duration delay) {
            super(store);
            this.delay = delay;
        }

        @Override
        public long version() {
            calls.incrementAndGet();
            if (running.incrementAndGet() > 1) {
                overlapped.set(true);
            }
            if (Context.isOnEventLoopThread()) {
                onEventLoop.set(true);
            }
            try {
                Thread.sleep(delay.toMillis());
                return delegate().version();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted", e);
            } finally {
                running.decrementAndGet();
            }
        }
    }
}

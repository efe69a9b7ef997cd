package io.portico.store;

import static java.util.Objects.requireNonNull;

import io.portico.config.ConfigSnapshot;
import io.portico.config.ValidationException;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps this node's {@link ConfigSnapshot} in step with a {@link ConfigStore} that other nodes may write too.
 *
 * <p>Every {@code pollInterval} the watcher reads the store's version. When it differs from the current
 * snapshot's, the watcher reads the whole store, builds a new snapshot and passes it to {@code onSnapshot}, which
 * returns a future that completes once the snapshot takes effect. The next poll is scheduled only when the previous
 * one and that future have finished, so a slow or unreachable database never makes polls pile up.
 *
 * <p>Threads: every store call runs on a single worker thread that belongs to this watcher, never on an event
 * loop. {@code onSnapshot} and the futures this class returns complete on the Vert.x context of the thread that
 * constructed the watcher; when that thread is not a Vert.x thread, Vert.x creates an event-loop context for it.
 * Store calls are submitted as unordered blocking tasks, so they stay out of that context's queue of ordered
 * blocking tasks, and the single worker thread alone keeps them one at a time.
 *
 * <p>Failures keep the last good snapshot in effect:
 * <ul>
 *   <li>When the store cannot be read, one WARN line reports it, and one INFO line follows when it can be read
 *       again. Polls in between log only at DEBUG.</li>
 *   <li>When the stored configuration is invalid, one ERROR line per stored version names the invalid
 *       fields.</li>
 * </ul>
 */
public final class StoreWatcher {

    private static final Logger LOG = LoggerFactory.getLogger(StoreWatcher.class);
    private static final AtomicInteger WORKER_IDS = new AtomicInteger();
    private static final long NONE = -1;
    private static final Rejection NO_REJECTION = new Rejection(NONE, null);

    private final Vertx vertx;
    private final ConfigStore store;
    private final Duration pollInterval;
    private final Function<ConfigSnapshot, Future<?>> onSnapshot;
    private final Context context;
    private final WorkerExecutor worker;

    // Written on the context thread, and read on the worker thread and by callers of current().
    private volatile ConfigSnapshot current = ConfigSnapshot.empty();
    private volatile Rejection rejection = NO_REJECTION;
    /** The version the last successful read of the store returned; -1 before the first one. */
    private volatile long storeVersion = NONE;
    private volatile boolean stopped;
    // Read and written only on the context thread.
    private boolean started;
    private boolean failing;
    private long timerId = NONE;
    /** Store calls submitted to {@link #worker} that have not completed. */
    private int storeCallsInFlight;
    /** The promise completed once the worker is closed, or null before {@link #stop()}. */
    private Promise<Void> workerClosed;
    private boolean workerClosing;
    /**
     * The future {@code onSnapshot} returned for {@link #current}, which completes once it has taken effect. A
     * refresh that finds the version unchanged waits for it too, so it never completes before that snapshot serves.
     */
    private Future<Void> lastPublished = Future.succeededFuture();

    /**
     * Creates a watcher. Nothing is read before {@link #start()}.
     *
     * @param pollInterval time between the end of one poll and the start of the next, at least 1 ms
     * @param onSnapshot receives each snapshot that takes effect, the first one included, and returns a future
     *     that completes once it has taken effect. The watcher logs a failed future and carries on.
     */
    public StoreWatcher(Vertx vertx, ConfigStore store, Duration pollInterval,
                        Function<ConfigSnapshot, Future<?>> onSnapshot) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.pollInterval = requireNonNull(pollInterval, "pollInterval");
        this.onSnapshot = requireNonNull(onSnapshot, "onSnapshot");
        if (pollInterval.toMillis() < 1) {
            throw new IllegalArgumentException("pollInterval must be at least 1ms, but is " + pollInterval);
        }
        this.context = vertx.getOrCreateContext();
        this.worker = vertx.createSharedWorkerExecutor("portico-store-watcher-" + WORKER_IDS.incrementAndGet(), 1);
    }

    /**
     * Loads the first snapshot, passes it to {@code onSnapshot}, waits for the future that returns, and starts
     * polling.
     *
     * <p>When the stored configuration is invalid, the watcher logs the invalid fields, publishes the empty
     * snapshot and starts all the same, so that the node stays up and a corrected configuration takes effect.
     *
     * @return the first snapshot; a failed future when the store cannot be read
     */
    public Future<ConfigSnapshot> start() {
        return onContext(() -> {
            if (started || stopped) {
                return Future.failedFuture(new IllegalStateException("a watcher can be started only once"));
            }
            started = true;
            return onWorker(() -> fetch(true)).compose(this::startPolling);
        });
    }

    /**
     * Reads the store now and applies its configuration when the version changed. Call it right after a commit
     * so that this node applies the change without waiting for the next poll.
     *
     * @return the snapshot in effect afterwards, once the future {@code onSnapshot} returned for it has completed;
     *     a failed future when the store cannot be read, or with a {@link ValidationException} when the stored
     *     configuration is invalid
     */
    public Future<ConfigSnapshot> refreshNow() {
        return onContext(() -> {
            if (stopped) {
                return Future.failedFuture(new IllegalStateException("the watcher is stopped"));
            }
            return refresh();
        });
    }

    /** Returns the snapshot in effect, or the empty snapshot before the first load. Safe from any thread. */
    public ConfigSnapshot current() {
        return current;
    }

    /**
     * Returns the version the store had when this watcher last read it, -1 before the first read. It is ahead of
     * {@link #current()} when a stored version is invalid, and until the next poll after another node's write.
     */
    public long storeVersion() {
        return storeVersion;
    }

    /**
     * Stops polling, waits for the store call in flight, if any, and then releases the worker thread. The store
     * stays open: its owner closes it. Calling it again returns the same future.
     *
     * <p>The worker is closed only when no store call is in flight, because closing it interrupts the running
     * call and drops the queued ones, whose futures would then never complete.
     *
     * @return completes once the worker thread is released
     */
    public Future<Void> stop() {
        stopped = true;
        return onContext(() -> {
            if (workerClosed == null) {
                workerClosed = Promise.promise();
                vertx.cancelTimer(timerId);
                closeWorkerWhenIdle();
            }
            return workerClosed.future();
        });
    }

    private Future<ConfigSnapshot> startPolling(Fetch first) {
        Future<Void> published;
        if (first.invalid() != null) {
            published = publish(ConfigSnapshot.empty(), true);
            reject(first);
        } else {
            published = publish(first.snapshot(), true);
        }
        return published.map(v -> {
            LOG.info("Loaded configuration version {} with {} resources from {}; polling for changes every {} ms",
                    current.version(), current.resources().size(), store, pollInterval.toMillis());
            scheduleNextPoll();
            return current;
        });
    }

    private void scheduleNextPoll() {
        if (!stopped) {
            timerId = vertx.setTimer(pollInterval.toMillis(), id -> poll());
        }
    }

    private void poll() {
        if (stopped) {
            return;
        }
        refresh().onComplete(result -> scheduleNextPoll());
    }

    private Future<ConfigSnapshot> refresh() {
        return onWorker(() -> fetch(false)).compose(this::apply, this::readFailed);
    }

    /** Runs {@code call} on the worker thread. Call it on the context thread only. */
    private <T> Future<T> onWorker(Callable<T> call) {
        storeCallsInFlight++;
        return worker.executeBlocking(call, false).andThen(done -> {
            storeCallsInFlight--;
            closeWorkerWhenIdle();
        });
    }

    private void closeWorkerWhenIdle() {
        if (workerClosed != null && storeCallsInFlight == 0 && !workerClosing) {
            workerClosing = true;
            worker.close().onComplete(workerClosed);
        }
    }

    /** Runs on the worker thread. Reads the whole store only when {@code force} is set or the version changed. */
    private Fetch fetch(boolean force) {
        long version = store.version();
        storeVersion = version;
        Rejection rejected = rejection;
        if (!force && version == current.version()) {
            LOG.debug("Configuration store version {} is unchanged", version);
            return new Fetch(version, null, null);
        }
        if (!force && version == rejected.version()) {
            LOG.debug("Configuration store version {} is unchanged and still invalid", version);
            return new Fetch(version, null, rejected.cause());
        }
        ConfigStore.StoreContents contents = store.read();
        storeVersion = contents.version();
        try {
            return new Fetch(contents.version(), ConfigSnapshot.of(contents.version(), contents.resources()), null);
        } catch (ValidationException e) {
            return new Fetch(contents.version(), null, e);
        }
    }

    private Future<ConfigSnapshot> apply(Fetch fetch) {
        Future<Void> published = lastPublished;
        if (fetch.invalid() != null) {
            reject(fetch);
        } else if (fetch.snapshot() != null) {
            published = publish(fetch.snapshot(), false);
        }
        if (failing) {
            failing = false;
            LOG.info("Configuration store {} is reachable again; this node serves configuration version {}",
                    store, current.version());
        }
        return published.transform(v -> fetch.invalid() == null ? Future.succeededFuture(current)
                : Future.failedFuture(fetch.invalid()));
    }

    private Future<ConfigSnapshot> readFailed(Throwable cause) {
        if (!failing && !stopped) {
            failing = true;
            if (cause instanceof StoreException) {
                LOG.warn("Configuration store is unreachable, so this node keeps serving configuration version {}"
                        + " and retries every {} ms: {}", current.version(), pollInterval.toMillis(),
                        cause.getMessage());
            } else {
                LOG.error("Polling the configuration store failed, so this node keeps serving configuration"
                        + " version {}", current.version(), cause);
            }
        }
        LOG.debug("Reading the configuration store failed", cause);
        return Future.failedFuture(cause);
    }

    /**
     * Passes {@code snapshot} to {@code onSnapshot}. Returns a future that completes once the snapshot is applied or
     * its failure is logged, so it never fails.
     */
    private Future<Void> publish(ConfigSnapshot snapshot, boolean first) {
        if (stopped) {
            return Future.succeededFuture();
        }
        if (!first && snapshot.version() == current.version()) {
            return lastPublished;
        }
        current = snapshot;
        rejection = NO_REJECTION;
        if (!first) {
            LOG.info("Applying configuration version {} with {} resources", snapshot.version(),
                    snapshot.resources().size());
        }
        Future<?> applied;
        try {
            applied = onSnapshot.apply(snapshot);
        } catch (RuntimeException e) {
            applied = Future.failedFuture(e);
        }
        lastPublished = applied.<Void>mapEmpty().recover(cause -> {
            LOG.error("Applying configuration version {} failed; check the configuration this node serves",
                    snapshot.version(), cause);
            return Future.succeededFuture();
        });
        return lastPublished;
    }

    private void reject(Fetch fetch) {
        if (fetch.version() == rejection.version()) {
            return;
        }
        rejection = new Rejection(fetch.version(), fetch.invalid());
        String fields = fetch.invalid().errors().stream()
                .map(error -> error.field() + ": " + error.message())
                .collect(Collectors.joining("; "));
        LOG.error("Configuration version {} in the store is invalid, so this node keeps serving version {}."
                + " Correct these fields: {}", fetch.version(), current.version(), fields);
    }

    private <T> Future<T> onContext(Supplier<Future<T>> action) {
        Promise<T> promise = Promise.promise();
        context.runOnContext(v -> {
            try {
                action.get().onComplete(promise);
            } catch (RuntimeException e) {
                promise.fail(e);
            }
        });
        return promise.future();
    }

    /**
     * Result of one poll: a new snapshot, an invalid configuration, or neither when the version was unchanged.
     */
    private record Fetch(long version, ConfigSnapshot snapshot, ValidationException invalid) {
    }

    /** The stored version that failed validation, so that it is neither read nor logged again. */
    private record Rejection(long version, ValidationException cause) {
    }
}

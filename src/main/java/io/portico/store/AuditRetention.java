package io.portico.store;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes audit entries older than the node's {@code store.auditRetention}, once at start and then every hour, on
 * a worker thread. Every node sharing a store runs it, and a deletion another node already made deletes nothing.
 */
public final class AuditRetention {

    /** How often old entries are deleted after the first run at start. */
    static final Duration INTERVAL = Duration.ofHours(1);

    private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);

    private final Vertx vertx;
    private final JdbcConfigStore store;
    private final Duration retention;
    private final Clock clock;
    private final AtomicBoolean running = new AtomicBoolean();
    private volatile boolean failing;
    private long timer = -1;

    public AuditRetention(Vertx vertx, JdbcConfigStore store, Duration retention, Clock clock) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.store = requireNonNull(store, "store");
        this.retention = requireNonNull(retention, "retention");
        this.clock = requireNonNull(clock, "clock");
    }

    /** Deletes old entries at once, then every {@link #INTERVAL}. */
    public void start() {
        purge();
        timer = vertx.setPeriodic(INTERVAL.toMillis(), id -> purge());
    }

    public void stop() {
        if (timer >= 0) {
            vertx.cancelTimer(timer);
        }
    }

    /** Deletes the entries older than the retention on a worker thread, unless a deletion is still running. */
    void purge() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        Instant cutoff = clock.instant().minus(retention);
        vertx.executeBlocking(() -> store.deleteAuditBefore(cutoff), false)
                .onComplete(done -> running.set(false))
                .onSuccess(deleted -> {
                    if (failing) {
                        failing = false;
                        LOG.info("Deleting old audit entries works again");
                    }
                    if (deleted > 0) {
                        LOG.info("Deleted {} audit entries older than {} (store.auditRetention {})", deleted,
                                cutoff, retention);
                    }
                })
                .onFailure(cause -> {
                    // One line per outage, because the next successful run logs the recovery.
                    if (!failing) {
                        failing = true;
                        LOG.warn("Deleting audit entries older than {} failed, retrying in {} min: {}", cutoff,
                                INTERVAL.toMinutes(), cause.getMessage());
                    }
                });
    }
}

package io.portico.net;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The timeouts of one event loop that all have one timeout value, such as the response-head timeouts of the upstream
 * requests that it sends to services with the same read timeout.
 *
 * <p>Every entry gets the same timeout from the moment it is added, so appending keeps the list sorted by
 * deadline. One timer, set for the earliest deadline, serves the whole list, which replaces a Vert.x timer per
 * request (a timer task, a map entry and a priority-queue insert and removal). Adding and removing an entry take
 * constant time. While requests keep completing in time, the timer fires about once per timeout period and
 * re-arms itself for the entry that is then the oldest.
 *
 * <p>Instances are confined to their event loop: {@link #current} returns the instance of the calling thread.
 */
public final class TimeoutList {

    private static final ThreadLocal<PerThread> INSTANCES = ThreadLocal.withInitial(PerThread::new);

    private final Vertx vertx;
    private final long timeoutNanos;
    private Entry head;
    private Entry tail;
    private long timer = -1;

    private TimeoutList(Vertx vertx, long timeoutMillis) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /**
     * Returns the list of the calling event loop for {@code timeoutMillis}.
     *
     * @throws IllegalStateException when the calling thread runs no Vert.x context
     */
    public static TimeoutList current(long timeoutMillis) {
        return INSTANCES.get().get(timeoutMillis);
    }

    /** Starts the timeout of {@code entry} now, first cancelling it when it is still running. */
    public void add(Entry entry) {
        entry.cancel();
        entry.deadlineNanos = System.nanoTime() + timeoutNanos;
        entry.owner = this;
        entry.previous = tail;
        if (tail == null) {
            head = entry;
        } else {
            tail.next = entry;
        }
        tail = entry;
        if (timer < 0) {
            arm(timeoutNanos);
        }
    }

    private void remove(Entry entry) {
        if (entry.previous == null) {
            head = entry.next;
        } else {
            entry.previous.next = entry.next;
        }
        if (entry.next == null) {
            tail = entry.previous;
        } else {
            entry.next.previous = entry.previous;
        }
        entry.previous = null;
        entry.next = null;
        entry.owner = null;
    }

    private void arm(long delayNanos) {
        long delayMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(delayNanos + 999_999));
        timer = vertx.setTimer(delayMillis, id -> expire());
    }

    private void expire() {
        timer = -1;
        long now = System.nanoTime();
        while (head != null && head.deadlineNanos - now <= 0) {
            Entry expired = head;
            remove(expired);
            // May add entries, for example when the timeout leads to a retry, and those expire later.
            expired.onTimeout.run();
        }
        if (head != null && timer < 0) {
            arm(head.deadlineNanos - now);
        }
    }

    /** One running timeout, reusable once it has been cancelled or has expired. */
    public static final class Entry {
        private final Runnable onTimeout;
        private TimeoutList owner;
        private Entry previous;
        private Entry next;
        private long deadlineNanos;

        public Entry(Runnable onTimeout) {
            this.onTimeout = requireNonNull(onTimeout, "onTimeout");
        }

        /** Returns true while this timeout runs: added, and neither cancelled nor expired. */
        public boolean running() {
            return owner != null;
        }

        /** Stops this timeout, or does nothing when it is not running. Call on the event loop that added it. */
        public void cancel() {
            if (owner != null) {
                owner.remove(this);
            }
        }
    }

    /** The lists of one event loop by timeout value. Most services share one value, so the last one is cached. */
    private static final class PerThread {
        private final Map<Long, TimeoutList> byTimeout = new HashMap<>();
        private long lastMillis = -1;
        private TimeoutList last;

        TimeoutList get(long timeoutMillis) {
            if (timeoutMillis == lastMillis) {
                return last;
            }
            Context context = Vertx.currentContext();
            if (context == null) {
                throw new IllegalStateException("response timeouts are used outside of a Vert.x context");
            }
            Vertx vertx = context.owner();
            TimeoutList timeouts = byTimeout.computeIfAbsent(timeoutMillis,
                    millis -> new TimeoutList(vertx, millis));
            lastMillis = timeoutMillis;
            last = timeouts;
            return timeouts;
        }
    }
}

package io.portico.redis;

import static java.util.Objects.requireNonNull;

import io.vertx.core.Vertx;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * The reply deadlines of the commands that one event loop sends on its established connection, all with the same
 * timeout.
 *
 * <p>Because every command gets the same timeout when it is sent, the queue in sending order is also the queue in
 * deadline order, and one timer armed for the oldest pending command serves all of them. That replaces a Vert.x
 * timer per command, which costs a timer task, a map entry and a priority-queue insertion and removal. A command
 * that completes stays in the queue until it reaches the head: replies on one connection arrive in sending order,
 * so the head is usually the next to complete and the queue stays short.
 *
 * <p>Instances are confined to the event loop that creates them.
 */
final class CommandDeadlines {

    private final Vertx vertx;
    private final long timeoutNanos;
    private final ArrayDeque<Entry> entries = new ArrayDeque<>();
    private long timer = -1;

    CommandDeadlines(Vertx vertx, long timeoutMillis) {
        this.vertx = requireNonNull(vertx, "vertx");
        this.timeoutNanos = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    }

    /** Starts the timeout of {@code entry} now. */
    void add(Entry entry) {
        long now = System.nanoTime();
        entry.deadlineNanos = now + timeoutNanos;
        dropCompleted();
        entries.addLast(entry);
        if (timer < 0) {
            arm(timeoutNanos);
        }
    }

    private void dropCompleted() {
        while (!entries.isEmpty() && entries.peekFirst().completed()) {
            entries.pollFirst();
        }
    }

    /** Sets the timer to fire after {@code delayNanos}, rounded up to whole milliseconds. */
    private void arm(long delayNanos) {
        timer = vertx.setTimer(Math.max(1, (delayNanos + 999_999) / 1_000_000), id -> expire());
    }

    private void expire() {
        long now = System.nanoTime();
        timer = -1;
        Entry head;
        while ((head = entries.peekFirst()) != null && (head.completed() || head.deadlineNanos - now <= 0)) {
            entries.pollFirst();
            if (!head.completed()) {
                head.expire();
            }
        }
        if (head != null) {
            arm(head.deadlineNanos - now);
        }
    }

    /** A command waiting for its reply. */
    abstract static class Entry {
        private long deadlineNanos;

        /** Returns whether the command has its reply or has failed, so its timeout no longer matters. */
        abstract boolean completed();

        /** Fails the command because its reply did not arrive in time. */
        abstract void expire();
    }
}

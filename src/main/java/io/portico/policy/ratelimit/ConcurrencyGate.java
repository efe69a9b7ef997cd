package io.portico.policy.ratelimit;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The requests in flight for one key of a {@code concurrency-limit} policy on this node, and the requests
 * waiting for a slot, first come first served.
 *
 * <p>Taking and returning a slot is a compare-and-set on one counter, and only queueing takes the gate's lock. A gate
 * whose last request ends while no request waits retires itself and leaves the map, so the map contains only keys
 * with requests in flight. A caller that finds a retired gate looks the key up again.
 */
final class ConcurrencyGate {

    /** The results of {@link #tryAcquire} and {@link #enqueue}. */
    enum Result { ACQUIRED, QUEUED, FULL, RETIRED }

    private static final int RETIRED = -1;

    private final String key;
    private final ConcurrentHashMap<String, ConcurrencyGate> gates;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Guarded by {@code this}. */
    private final Deque<Waiter> waiters = new ArrayDeque<>();
    private volatile int waiting;

    private ConcurrencyGate(String key, ConcurrentHashMap<String, ConcurrencyGate> gates) {
        this.key = key;
        this.gates = gates;
    }

    /** Returns the gate of {@code key} in {@code gates}, creating it when there is none. */
    static ConcurrencyGate of(String key, ConcurrentHashMap<String, ConcurrencyGate> gates) {
        ConcurrencyGate gate = gates.get(key);
        return gate != null ? gate : gates.computeIfAbsent(key, unused -> new ConcurrencyGate(key, gates));
    }

    /** Takes a slot when fewer than {@code max} requests are in flight: ACQUIRED, FULL or RETIRED. */
    Result tryAcquire(int max) {
        while (true) {
            int current = inFlight.get();
            if (current == RETIRED) {
                return Result.RETIRED;
            }
            if (current >= max) {
                return Result.FULL;
            }
            if (inFlight.compareAndSet(current, current + 1)) {
                return Result.ACQUIRED;
            }
        }
    }

    /**
     * Queues {@code waiter} unless {@code maxWaiting} requests wait already: QUEUED, FULL or RETIRED. A queued
     * waiter may be granted a slot at once, on this thread.
     */
    Result enqueue(Waiter waiter, int maxWaiting) {
        synchronized (this) {
            if (inFlight.get() == RETIRED) {
                return Result.RETIRED;
            }
            if (waiters.size() >= maxWaiting) {
                return Result.FULL;
            }
            waiters.addLast(waiter);
            waiting = waiters.size();
        }
        // A slot may have been returned between the failed tryAcquire and the enqueue.
        drain();
        return Result.QUEUED;
    }

    /** Removes {@code waiter}, which gave up waiting; no slot was taken for it. */
    void remove(Waiter waiter) {
        synchronized (this) {
            waiters.remove(waiter);
            waiting = waiters.size();
        }
        retireIfIdle();
    }

    /** Returns a slot, and hands it to the first waiter if there is one. */
    void release() {
        inFlight.decrementAndGet();
        if (waiting > 0) {
            drain();
        }
        retireIfIdle();
    }

    /** Requests in flight, for tests; 0 once retired. */
    int inFlight() {
        return Math.max(0, inFlight.get());
    }

    private void drain() {
        List<Waiter> granted = new ArrayList<>();
        synchronized (this) {
            while (!waiters.isEmpty()) {
                Waiter head = waiters.peekFirst();
                if (tryAcquire(head.max()) != Result.ACQUIRED) {
                    break;
                }
                waiters.pollFirst();
                granted.add(head);
            }
            waiting = waiters.size();
        }
        for (Waiter waiter : granted) {
            if (!waiter.grant()) {
                // The waiter gave up in the meantime: the slot taken for it goes to the next one.
                release();
            }
        }
    }

    private void retireIfIdle() {
        if (inFlight.get() != 0 || waiting > 0) {
            return;
        }
        boolean retired;
        synchronized (this) {
            retired = waiters.isEmpty() && inFlight.compareAndSet(0, RETIRED);
        }
        if (retired) {
            gates.remove(key, this);
        }
    }

    /** A request waiting for a slot of a gate. */
    interface Waiter {

        /** The maximum of the policy the request waits for; a slot is free for it below this count. */
        int max();

        /**
         * Hands the waiter a slot that was taken for it.
         *
         * @return false when the waiter gave up first, so the slot must be returned
         */
        boolean grant();
    }
}

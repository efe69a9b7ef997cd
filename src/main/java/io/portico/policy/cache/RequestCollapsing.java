package io.portico.policy.cache;

import io.portico.cache.CacheStore;
import io.portico.pipeline.RequestContext;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The request collapsing of one node's REST response caches. While one request that missed the cache fetches a
 * response from the upstream (the leader of its cache key), identical misses on this node wait for that response
 * instead of going to the upstream too. When the leader's response has been written to the store, each waiting
 * request looks the key up again. When it is not stored, the waiting requests go to the upstream themselves.
 *
 * <p>Each node collapses only its own requests: the map of leaders lives in the heap, even for the Redis store.
 * Leaders and waiting requests are both bounded per node ({@value #MAX_FLIGHTS} and {@value #MAX_WAITERS}): a
 * request beyond either bound goes to the upstream without waiting. A leader counts as gone once it has run for its
 * lock timeout, and the next miss then leads. So a stalled upstream holds back identical requests for that time
 * only.
 *
 * <p>The map is shared by every event loop. A waiting request is woken on its own context and never blocks one.
 */
final class RequestCollapsing {

    /** The key under which each node keeps its instance, in the per-node policy state. */
    static final String NODE_KEY = "cache.collapsing";
    /** The maximum number of keys being fetched by a leader at once on one node. */
    static final int MAX_FLIGHTS = 10_000;
    /** The maximum number of requests waiting for a leader at once on one node. */
    static final int MAX_WAITERS = 10_000;

    /** The end of a wait for a leader. */
    enum Outcome {
        /** The leader's response was written to the store, so the waiting request looks it up again. */
        STORED,
        /** The leader's response is not stored, or the leader failed, so the waiting request goes upstream. */
        NOT_STORED,
        /** The lock timeout passed first, so the waiting request goes upstream. */
        TIMED_OUT,
        /** The waiting request's client went away, and nothing more is done for it. */
        CANCELLED
    }

    private final ConcurrentHashMap<FlightKey, Flight> flights = new ConcurrentHashMap<>();
    private final AtomicInteger waiting = new AtomicInteger();

    /**
     * Returns the running flight of {@code key} in {@code store}, or starts one led by the caller when there is
     * none and {@code mayLead} is true. A flight older than its timeout is replaced.
     *
     * @param timeoutMillis the lock timeout of a flight the caller starts
     * @return the flight to lead, the flight to wait for, or null when the caller neither leads nor waits
     */
    Claim claim(CacheStore store, String key, long timeoutMillis, boolean mayLead) {
        long now = System.nanoTime();
        Flight[] started = new Flight[1];
        Flight current = flights.compute(new FlightKey(store, key), (flightKey, existing) -> {
            if (existing != null && !existing.expired(now)) {
                return existing;
            }
            if (!mayLead || existing == null && flights.size() >= MAX_FLIGHTS) {
                return existing;
            }
            started[0] = new Flight(flightKey, now, TimeUnit.MILLISECONDS.toNanos(timeoutMillis));
            return started[0];
        });
        if (started[0] != null) {
            return new Claim(started[0], true);
        }
        if (current == null || current.expired(now)) {
            return null;
        }
        return new Claim(current, false);
    }

    /**
     * Waits for {@code flight} until it ends, its lock timeout passes or {@code waitMillis} pass, whichever comes
     * first. It must be called on the request's event loop, and the returned future completes there. Returns null
     * when the caller runs on no Vert.x context or this node already has {@value #MAX_WAITERS} waiting requests.
     *
     * @param onExchangeEnd registers a hook that runs when the request's exchange ends, such as
     *     {@link RequestContext#onEnd}; the wait ends as {@link Outcome#CANCELLED} when it runs first
     */
    Future<Outcome> await(Flight flight, long waitMillis, Consumer<Runnable> onExchangeEnd) {
        Context context = Vertx.currentContext();
        if (context == null) {
            return null;
        }
        if (waiting.incrementAndGet() > MAX_WAITERS) {
            waiting.decrementAndGet();
            return null;
        }
        Waiter waiter = new Waiter(context, flight);
        if (!flight.join(waiter)) {
            waiting.decrementAndGet();
            return Future.succeededFuture(flight.outcome());
        }
        long flightMillis = TimeUnit.NANOSECONDS.toMillis(flight.startNanos + flight.timeoutNanos - System.nanoTime());
        // The resolution runs on this thread after this method returns, so the timer exists when it cancels it.
        waiter.timer = context.owner().setTimer(Math.max(1, Math.min(waitMillis, flightMillis)),
                id -> waiter.finish(Outcome.TIMED_OUT));
        onExchangeEnd.accept(() -> waiter.finish(Outcome.CANCELLED));
        return waiter.promise.future();
    }

    /** Returns the number of keys that a leader is fetching now. */
    int flights() {
        return flights.size();
    }

    /** Returns the number of requests waiting now. */
    int waiting() {
        return waiting.get();
    }

    /**
     * The result of {@link #claim}.
     *
     * @param flight the flight of the key
     * @param leader true when the caller started it and must resolve it, false when the caller may wait for it
     */
    record Claim(Flight flight, boolean leader) {
    }

    /** A key of one store, which compares stores by identity. */
    private record FlightKey(CacheStore store, String key) {
    }

    /**
     * The fetch of one key by its leader, with the requests that wait for it. The leader calls {@link #resolve}
     * once it has found out whether its response is stored. Waiting requests join and leave from any thread.
     */
    final class Flight {
        private final FlightKey key;
        private final long startNanos;
        private final long timeoutNanos;
        /** The waiting requests, or null once resolved. Guarded by this. */
        private Set<Waiter> waiters = new LinkedHashSet<>();
        /** Guarded by this. */
        private Outcome outcome;
        /** Whether the leader's response is being written to the store. Only the leader's event loop uses it. */
        private boolean storing;

        private Flight(FlightKey key, long startNanos, long timeoutNanos) {
            this.key = key;
            this.startNanos = startNanos;
            this.timeoutNanos = timeoutNanos;
        }

        private boolean expired(long nowNanos) {
            return nowNanos - startNanos >= timeoutNanos;
        }

        private synchronized boolean join(Waiter waiter) {
            if (waiters == null) {
                return false;
            }
            waiters.add(waiter);
            return true;
        }

        private synchronized void leave(Waiter waiter) {
            if (waiters != null) {
                waiters.remove(waiter);
            }
        }

        private synchronized Outcome outcome() {
            return outcome;
        }

        /** Records that the leader's response is being written, so that {@link #abandon} leaves the flight open. */
        void storing() {
            storing = true;
        }

        /**
         * Ends the flight as {@link Outcome#NOT_STORED} unless the leader's response is being written. The leader
         * calls it when its exchange ends, which covers every way to end without a response: a failed upstream, a
         * later policy that rejects the request, or a client that went away.
         */
        void abandon() {
            if (!storing) {
                resolve(Outcome.NOT_STORED);
            }
        }

        /**
         * Ends the flight: removes it from the map, so that the next miss leads again, and wakes every waiting
         * request with {@code result}. Only the first call has an effect.
         */
        void resolve(Outcome result) {
            List<Waiter> woken;
            synchronized (this) {
                if (waiters == null) {
                    return;
                }
                woken = new ArrayList<>(waiters);
                waiters = null;
                outcome = result;
            }
            flights.remove(key, this);
            for (Waiter waiter : woken) {
                waiter.context.runOnContext(ignored -> waiter.finish(result));
            }
        }
    }

    /** A request waiting for a flight; {@link #finish} runs on its context. */
    private final class Waiter {
        private final Context context;
        private final Flight flight;
        private final Promise<Outcome> promise = Promise.promise();
        private long timer = -1;
        private boolean finished;

        Waiter(Context context, Flight flight) {
            this.context = context;
            this.flight = flight;
        }

        /** Ends the wait with {@code outcome} unless it has ended already. */
        void finish(Outcome outcome) {
            if (finished) {
                return;
            }
            finished = true;
            if (timer >= 0) {
                context.owner().cancelTimer(timer);
            }
            flight.leave(this);
            waiting.decrementAndGet();
            promise.complete(outcome);
        }
    }
}

package io.portico.policy.cache;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.cache.CacheStore;
import io.portico.cache.LocalCacheStore;
import io.portico.policy.cache.RequestCollapsing.Claim;
import io.portico.policy.cache.RequestCollapsing.Outcome;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The map of leaders and waiting requests of {@link RequestCollapsing}, on real Vert.x event loops: every way a
 * wait or a flight ends leaves no entry behind.
 */
class RequestCollapsingTest {

    private static final CacheStore STORE = new LocalCacheStore(1024 * 1024);
    private static final long TIMEOUT_MILLIS = 5000;

    private static Vertx vertx;
    private static Context leaderLoop;
    private static Context waiterLoop;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        leaderLoop = vertx.getOrCreateContext();
        waiterLoop = vertx.getOrCreateContext();
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    /** Runs {@code action} on {@code context} and returns its result. */
    private static <T> T on(Context context, Supplier<T> action) {
        CompletableFuture<T> result = new CompletableFuture<>();
        context.runOnContext(ignored -> result.complete(action.get()));
        return join(result);
    }

    /** Returns once the tasks queued on {@code context} before this call have run. */
    private static void drain(Context context) {
        on(context, () -> null);
    }

    private static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Waits on the waiter loop for the flight of {@code claim}, and stores the outcome in {@code outcome}. Returns
     * the thread that received the outcome.
     */
    private static CompletableFuture<Thread> await(RequestCollapsing collapsing, Claim claim, long waitMillis,
                                                   AtomicReference<Outcome> outcome, List<Runnable> endHooks) {
        CompletableFuture<Thread> received = new CompletableFuture<>();
        waiterLoop.runOnContext(ignored -> {
            Future<Outcome> waited = collapsing.await(claim.flight(), waitMillis, endHooks::add);
            waited.onSuccess(result -> {
                outcome.set(result);
                received.complete(Thread.currentThread());
            });
        });
        return received;
    }

    @Test
    void storedFlightWakesWaiterOnItsOwnLoop() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /a", TIMEOUT_MILLIS, true));
        Claim waiter = on(waiterLoop, () -> collapsing.claim(STORE, "route GET /a", TIMEOUT_MILLIS, true));
        Thread waiterThread = on(waiterLoop, Thread::currentThread);
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        CompletableFuture<Thread> received = await(collapsing, waiter, TIMEOUT_MILLIS, outcome, new ArrayList<>());
        drain(waiterLoop);

        on(leaderLoop, () -> {
            leader.flight().resolve(Outcome.STORED);
            return null;
        });

        assertThat(leader.leader()).isTrue();
        assertThat(waiter.leader()).isFalse();
        assertThat(waiter.flight()).isSameAs(leader.flight());
        assertThat(join(received)).isSameAs(waiterThread);
        assertThat(outcome.get()).isEqualTo(Outcome.STORED);
        assertThat(collapsing.flights()).isZero();
        assertThat(collapsing.waiting()).isZero();
    }

    @Test
    void waiterTimesOutAndLeavesFlight() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /b", TIMEOUT_MILLIS, true));
        Claim waiter = on(waiterLoop, () -> collapsing.claim(STORE, "route GET /b", TIMEOUT_MILLIS, false));
        AtomicReference<Outcome> outcome = new AtomicReference<>();

        join(await(collapsing, waiter, 50, outcome, new ArrayList<>()));

        assertThat(outcome.get()).isEqualTo(Outcome.TIMED_OUT);
        assertThat(collapsing.waiting()).isZero();
        assertThat(collapsing.flights()).isEqualTo(1);
        on(leaderLoop, () -> {
            leader.flight().abandon();
            return null;
        });
        assertThat(collapsing.flights()).isZero();
    }

    @Test
    void endedExchangeCancelsWait() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /c", TIMEOUT_MILLIS, true));
        Claim waiter = on(waiterLoop, () -> collapsing.claim(STORE, "route GET /c", TIMEOUT_MILLIS, true));
        AtomicReference<Outcome> outcome = new AtomicReference<>();
        List<Runnable> endHooks = new ArrayList<>();
        CompletableFuture<Thread> received = await(collapsing, waiter, TIMEOUT_MILLIS, outcome, endHooks);
        drain(waiterLoop);

        on(waiterLoop, () -> {
            endHooks.forEach(Runnable::run);
            return null;
        });
        join(received);
        on(leaderLoop, () -> {
            leader.flight().resolve(Outcome.STORED);
            return null;
        });

        assertThat(outcome.get()).isEqualTo(Outcome.CANCELLED);
        assertThat(collapsing.waiting()).isZero();
        assertThat(collapsing.flights()).isZero();
    }

    @Test
    void storingLeaderKeepsFlightAtExchangeEnd() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /d", TIMEOUT_MILLIS, true));

        on(leaderLoop, () -> {
            leader.flight().storing();
            leader.flight().abandon();
            return null;
        });
        int whileStoring = collapsing.flights();
        on(leaderLoop, () -> {
            leader.flight().resolve(Outcome.STORED);
            return null;
        });

        assertThat(whileStoring).isEqualTo(1);
        assertThat(collapsing.flights()).isZero();
    }

    @Test
    void expiredFlightIsReplaced() throws InterruptedException {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim first = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /e", 50, true));
        Thread.sleep(80);

        Claim follower = on(waiterLoop, () -> collapsing.claim(STORE, "route GET /e", 50, false));
        Claim second = on(waiterLoop, () -> collapsing.claim(STORE, "route GET /e", 50, true));
        on(leaderLoop, () -> {
            first.flight().resolve(Outcome.NOT_STORED);
            return null;
        });

        assertThat(follower).isNull();
        assertThat(second.leader()).isTrue();
        assertThat(second.flight()).isNotSameAs(first.flight());
        assertThat(collapsing.flights()).isEqualTo(1);
    }

    @Test
    void flightsAreBounded() {
        RequestCollapsing collapsing = new RequestCollapsing();
        for (int i = 0; i < RequestCollapsing.MAX_FLIGHTS; i++) {
            assertThat(collapsing.claim(STORE, "route GET /f" + i, TIMEOUT_MILLIS, true)).isNotNull();
        }

        Claim beyond = collapsing.claim(STORE, "route GET /beyond", TIMEOUT_MILLIS, true);

        assertThat(beyond).isNull();
        assertThat(collapsing.flights()).isEqualTo(RequestCollapsing.MAX_FLIGHTS);
    }

    @Test
    void waitersAreBounded() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = on(leaderLoop, () -> collapsing.claim(STORE, "route GET /h", TIMEOUT_MILLIS, true));
        List<Future<Outcome>> waits = on(waiterLoop, () -> {
            List<Future<Outcome>> started = new ArrayList<>();
            for (int i = 0; i <= RequestCollapsing.MAX_WAITERS; i++) {
                started.add(collapsing.await(leader.flight(), TIMEOUT_MILLIS, hook -> { }));
            }
            return started;
        });
        int waitingAtLimit = collapsing.waiting();

        on(leaderLoop, () -> {
            leader.flight().resolve(Outcome.NOT_STORED);
            return null;
        });
        drain(waiterLoop);

        assertThat(waits.subList(0, RequestCollapsing.MAX_WAITERS)).doesNotContainNull();
        assertThat(waits.get(RequestCollapsing.MAX_WAITERS)).isNull();
        assertThat(waitingAtLimit).isEqualTo(RequestCollapsing.MAX_WAITERS);
        assertThat(waits.subList(0, RequestCollapsing.MAX_WAITERS))
                .allSatisfy(wait -> assertThat(wait.result()).isEqualTo(Outcome.NOT_STORED));
        assertThat(collapsing.waiting()).isZero();
        assertThat(collapsing.flights()).isZero();
    }

    @Test
    void awaitOutsideVertxDoesNotWait() {
        RequestCollapsing collapsing = new RequestCollapsing();
        Claim leader = collapsing.claim(STORE, "route GET /g", TIMEOUT_MILLIS, true);

        Future<Outcome> waited = collapsing.await(leader.flight(), TIMEOUT_MILLIS, hook -> { });

        assertThat(waited).isNull();
        assertThat(collapsing.waiting()).isZero();
    }
}

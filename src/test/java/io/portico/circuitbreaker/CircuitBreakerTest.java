package io.portico.circuitbreaker;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.circuitbreaker.CircuitBreaker.State;
import io.portico.config.CircuitBreakerSpec;
import io.portico.testing.LogCapture;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's state machine, driven by an injected clock. */
class CircuitBreakerTest {

    private static final long MS = 1_000_000L;

    private final AtomicLong nanos = new AtomicLong(1_000 * MS);
    private final AtomicLong millis = new AtomicLong(1_700_000_000_000L);

    private CircuitBreaker breaker(CircuitBreakerSpec spec) {
        return new CircuitBreaker("test target", spec, nanos::get, millis::get);
    }

    private static CircuitBreakerSpec spec(Integer minimumCalls, Integer halfOpenCalls, Duration slowCall) {
        return new CircuitBreakerSpec(50, 80, slowCall, Duration.ofSeconds(10), minimumCalls, Duration.ofSeconds(5),
                halfOpenCalls);
    }

    private void advance(long ms) {
        nanos.addAndGet(ms * MS);
        millis.addAndGet(ms);
    }

    @Test
    void staysClosedBelowMinimumCalls() {
        CircuitBreaker breaker = breaker(spec(4, 2, null));

        for (int i = 0; i < 3; i++) {
            assertThat(breaker.tryAcquire()).isTrue();
            breaker.onFailure(MS);
        }

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.status().failures()).isEqualTo(3);
    }

    @Test
    void opensAtFailureRate() {
        CircuitBreaker breaker = breaker(spec(4, 2, null));
        breaker.onSuccess(MS);
        breaker.onSuccess(MS);
        breaker.onFailure(MS);

        breaker.onFailure(MS);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.allows()).isFalse();
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.status().retryAtMillis()).isEqualTo(millis.get() + 5_000);
    }

    @Test
    void opensAtSlowCallRate() {
        CircuitBreaker breaker = breaker(spec(5, 2, Duration.ofMillis(100)));
        breaker.onSuccess(10 * MS);

        for (int i = 0; i < 4; i++) {
            breaker.onSuccess(150 * MS);
        }

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void forgetsCallsOutsideTheWindow() {
        CircuitBreaker breaker = breaker(spec(4, 2, null));
        breaker.onFailure(MS);
        breaker.onFailure(MS);
        breaker.onFailure(MS);
        advance(11_000);

        breaker.onFailure(MS);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.status().calls()).isEqualTo(1);
    }

    @Test
    void statusAfterOpenPeriodIsHalfOpen() {
        CircuitBreaker breaker = opened(spec(2, 2, null));
        long periodEnd = millis.get() + 5_000;
        advance(7_000);

        CircuitBreaker.Status status = breaker.status();

        assertThat(status.state()).isEqualTo(State.HALF_OPEN);
        assertThat(status.since()).isEqualTo(periodEnd);
        assertThat(status.retryAtMillis()).isZero();
        assertThat(status.calls()).isZero();
    }

    @Test
    void halfOpenLetsBoundedProbesThrough() {
        CircuitBreaker breaker = opened(spec(2, 2, null));
        advance(5_000);

        assertThat(breaker.allows()).isTrue();
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.tryAcquire()).isTrue();
        assertThat(breaker.tryAcquire()).isTrue();

        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.allows()).isFalse();
    }

    @Test
    void releasedProbeFreesItsPermit() {
        CircuitBreaker breaker = opened(spec(2, 1, null));
        advance(5_000);
        assertThat(breaker.tryAcquire()).isTrue();

        breaker.release();

        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void closesWhenProbesSucceed() {
        CircuitBreaker breaker = opened(spec(2, 2, null));
        advance(5_000);
        breaker.tryAcquire();
        breaker.tryAcquire();

        breaker.onSuccess(MS);
        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        breaker.onSuccess(MS);

        assertThat(breaker.state()).isEqualTo(State.CLOSED);
        assertThat(breaker.status().calls()).isZero();
    }

    @Test
    void reopensWhenProbesFail() {
        CircuitBreaker breaker = opened(spec(2, 2, null));
        advance(5_000);
        breaker.tryAcquire();

        breaker.onFailure(MS);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
        assertThat(breaker.tryAcquire()).isFalse();
        assertThat(breaker.status().transitions()).isEqualTo(3);
    }

    @Test
    void callFromBeforeOpeningIsNoProbe() {
        CircuitBreaker breaker = opened(spec(2, 2, null));
        advance(5_000);
        breaker.tryAcquire();

        // Admitted 6 s ago, before the breaker opened, and ending now while it is half-open.
        breaker.onFailure(6_000 * MS);
        breaker.onSuccess(6_000 * MS);

        assertThat(breaker.state()).isEqualTo(State.HALF_OPEN);
        assertThat(breaker.status().calls()).isZero();
    }

    @Test
    void releaseFromBeforeOpeningKeepsProbe() {
        CircuitBreaker breaker = opened(spec(2, 1, null));
        advance(5_000);
        assertThat(breaker.tryAcquire()).isTrue();

        breaker.release(6_000 * MS);

        assertThat(breaker.tryAcquire()).isFalse();
        breaker.release(MS);
        assertThat(breaker.tryAcquire()).isTrue();
    }

    @Test
    void ignoresResultsWhileOpen() {
        CircuitBreaker breaker = opened(spec(2, 2, null));

        breaker.onSuccess(MS);
        breaker.onSuccess(MS);

        assertThat(breaker.state()).isEqualTo(State.OPEN);
    }

    @Test
    void logsEachTransitionOnce() {
        try (LogCapture log = new LogCapture(CircuitBreaker.class)) {
            CircuitBreaker breaker = opened(spec(2, 1, null));
            breaker.onFailure(MS);
            advance(5_000);
            breaker.tryAcquire();
            breaker.tryAcquire();
            breaker.onSuccess(MS);

            assertThat(log.messages(Level.INFO)).containsExactly(
                    "Circuit breaker of test target opened for 5s: 2 of 2 calls in the last 10s failed and 0 "
                            + "were slow",
                    "Circuit breaker of test target is half-open: up to 1 probe call may go through",
                    "Circuit breaker of test target closed: 0 of 1 probe call failed and 0 were slow");
        }
    }

    @Test
    void transitionLogsCountEveryProbe() {
        try (LogCapture log = new LogCapture(CircuitBreaker.class)) {
            CircuitBreaker breaker = opened(spec(2, 3, Duration.ofMillis(100)));
            advance(5_000);
            for (int i = 0; i < 3; i++) {
                breaker.tryAcquire();
            }
            breaker.onFailure(MS);
            breaker.onSuccess(200 * MS);
            breaker.onSuccess(MS);
            advance(1_000);
            breaker.onFailure(MS);
            breaker.onFailure(MS);
            advance(5_000);
            breaker.tryAcquire();
            breaker.tryAcquire();
            breaker.onFailure(MS);
            breaker.onFailure(MS);

            assertThat(log.messages(Level.INFO)).containsExactly(
                    "Circuit breaker of test target opened for 5s: 2 of 2 calls in the last 10s failed and 0 "
                            + "were slow",
                    "Circuit breaker of test target is half-open: up to 3 probe calls may go through",
                    "Circuit breaker of test target closed: 1 of 3 probe calls failed and 1 was slow",
                    "Circuit breaker of test target opened for 5s: 2 of 2 calls in the last 10s failed and 0 "
                            + "were slow",
                    "Circuit breaker of test target is half-open: up to 3 probe calls may go through",
                    "Circuit breaker of test target opened again for 5s: 2 of 2 probe calls failed and 0 were slow");
        }
    }

    private CircuitBreaker opened(CircuitBreakerSpec spec) {
        CircuitBreaker breaker = breaker(spec);
        breaker.onFailure(MS);
        breaker.onFailure(MS);
        assertThat(breaker.state()).isEqualTo(State.OPEN);
        return breaker;
    }
}

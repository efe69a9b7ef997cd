package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The counting of failed admin sign-ins, with a clock the test moves. */
class SignInThrottleTest {

    private static final Duration WINDOW = Duration.ofMinutes(1);

    private final AtomicLong now = new AtomicLong(1_000_000);
    private final SignInThrottle throttle = new SignInThrottle(3, 5, WINDOW, now::get);

    @Test
    void accountLocksAtLimit() {
        throttle.failed("lena", "192.0.2.1");
        throttle.failed("lena", "192.0.2.1");
        assertThat(throttle.lockedFor("lena", "192.0.2.1")).isZero();

        throttle.failed("lena", "192.0.2.2");

        assertThat(throttle.lockedFor("lena", "192.0.2.3")).isEqualTo(WINDOW);
        assertThat(throttle.lockedFor("otto", "192.0.2.3")).isZero();
    }

    @Test
    void lockExpiresWithWindow() {
        for (int i = 0; i < 3; i++) {
            throttle.failed("lena", "192.0.2.1");
            now.addAndGet(10_000);
        }
        assertThat(throttle.lockedFor("lena", "192.0.2.1")).isEqualTo(Duration.ofSeconds(30));

        now.addAndGet(30_000);

        assertThat(throttle.lockedFor("lena", "192.0.2.1")).isZero();
        throttle.failed("lena", "192.0.2.1");
        assertThat(throttle.lockedFor("lena", "192.0.2.1")).as("a new window starts at the next failure").isZero();
    }

    @Test
    void addressLocksAcrossAccounts() {
        for (int i = 0; i < 5; i++) {
            throttle.failed("name-" + i, "192.0.2.9");
        }

        assertThat(throttle.lockedFor("otto", "192.0.2.9")).isEqualTo(WINDOW);
        assertThat(throttle.lockedFor("otto", "192.0.2.10")).isZero();
    }

    @Test
    void successClearsAccountCount() {
        throttle.failed("lena", "192.0.2.1");
        throttle.failed("lena", "192.0.2.1");

        throttle.succeeded("lena");
        throttle.failed("lena", "192.0.2.1");

        assertThat(throttle.lockedFor("lena", "192.0.2.1")).isZero();
    }
}

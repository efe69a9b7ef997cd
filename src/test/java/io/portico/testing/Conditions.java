package io.portico.testing;

import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.function.BooleanSupplier;

/** Waits for conditions that other threads make true. */
public final class Conditions {

    private static final Duration WAIT = Duration.ofSeconds(10);

    private Conditions() {
    }

    /** Polls {@code condition} every 20 ms until it holds, failing the test after 10 seconds. */
    public static void eventually(String description, BooleanSupplier condition) {
        eventually(description, WAIT, condition);
    }

    /** Polls {@code condition} every 20 ms until it holds, failing the test after {@code wait}. */
    public static void eventually(String description, Duration wait, BooleanSupplier condition) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + wait + " waiting until " + description);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }
}

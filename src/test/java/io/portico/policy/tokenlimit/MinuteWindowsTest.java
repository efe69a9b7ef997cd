package io.portico.policy.tokenlimit;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The local minute windows of one node, which forget subjects that stopped sending requests. */
class MinuteWindowsTest {

    private final AtomicLong nanos = new AtomicLong();
    private final Map<String, MinuteWindow> windows = TokenLimitPolicyFactory.windows(nanos::get);

    @Test
    void idleWindowIsRemoved() {
        windows.computeIfAbsent("route\nconsumer\nalice", key -> new MinuteWindow());

        nanos.addAndGet(Duration.ofMinutes(3).toNanos());

        assertThat(windows.containsKey("route\nconsumer\nalice")).isFalse();
    }

    @Test
    void usedWindowIsKept() {
        MinuteWindow first = windows.computeIfAbsent("route\nconsumer\nbob", key -> new MinuteWindow());

        nanos.addAndGet(Duration.ofSeconds(90).toNanos());
        MinuteWindow again = windows.computeIfAbsent("route\nconsumer\nbob", key -> new MinuteWindow());
        nanos.addAndGet(Duration.ofSeconds(90).toNanos());

        assertThat(again).isSameAs(first);
        assertThat(windows.get("route\nconsumer\nbob")).isSameAs(first);
    }
}

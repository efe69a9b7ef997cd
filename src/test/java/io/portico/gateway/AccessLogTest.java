package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The duration field of access-log lines. */
class AccessLogTest {

    @Test
    void durationMatchesFormatter() {
        long[] samples = {0, 1, 499, 500, 999, 1_000, 1_499, 1_500, 9_999, 10_000, 99_500, 123_456, 1_000_000,
            1_234_567, 12_345_678_901L, 999_999_499, 999_999_500};
        for (long nanos : samples) {
            StringBuilder line = new StringBuilder();

            AccessLog.appendMillis(line, nanos);

            assertThat(line.toString()).as("%d ns", nanos)
                    .isEqualTo(String.format(Locale.ROOT, "%.3f", java.math.BigDecimal.valueOf(nanos, 6)));
        }
    }

    @Test
    void negativeDurationIsZero() {
        StringBuilder line = new StringBuilder();

        AccessLog.appendMillis(line, -5);

        assertThat(line.toString()).isEqualTo("0.000");
    }
}

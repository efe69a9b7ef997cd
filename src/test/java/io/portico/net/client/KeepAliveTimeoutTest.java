package io.portico.net.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class KeepAliveTimeoutTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "timeout=5                | 5",
        "timeout=5, max=100       | 5",
        "max=100, timeout=15      | 15",
        "Timeout = 7              | 7",
        "timeout=\"3\"            | 3",
        "timeout=0                | 0",
        "timeout=99999999999      | 1000000",
        "max=100                  | -1",
        "timeout=                 | -1",
        "timeout=-1               | -1",
        "timeout=1.5              | -1",
        "timeouts=5               | -1",
        "''                       | -1",
    })
    void announcedSecondsParsesTimeout(String value, long expected) {
        assertThat(KeepAliveTimeout.announcedSeconds(List.of(value))).isEqualTo(expected);
    }

    @Test
    void announcedSecondsTakesSmallestOfSeveralValues() {
        assertThat(KeepAliveTimeout.announcedSeconds(List.of("timeout=10", "timeout=4, max=5"))).isEqualTo(4);
    }

    @ParameterizedTest
    @CsvSource({
        "timeout=5,    60000, 4000",
        "timeout=5,     2000, 2000",
        "timeout=2,    60000, 1000",
        "timeout=1,    60000, 0",
        "timeout=0,    60000, 0",
        "max=100,      60000, 60000",
        "timeout=3600, 60000, 60000",
    })
    void reuseLimitKeepsMarginBelowAnnouncedTimeout(String value, long configuredMillis, long expected) {
        assertThat(KeepAliveTimeout.reuseLimitMillis(List.of(value), configuredMillis)).isEqualTo(expected);
    }
}

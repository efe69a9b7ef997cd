package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HeaderNamesTest {

    /** The tchar set of RFC 9110 section 5.6.2, written out. */
    private static final String TCHARS = "!#$%&'*+-.^_`|~0123456789"
            + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

    @Test
    void tokenAcceptsEveryTchar() {
        for (char c : TCHARS.toCharArray()) {
            assertThat(HeaderNames.isToken(String.valueOf(c))).as("character %s", c).isTrue();
        }
        assertThat(HeaderNames.isToken("X-Request-Id")).isTrue();
    }

    @Test
    void tokenRejectsEveryOtherCharacter() {
        for (char c = 0; c < 256; c++) {
            if (TCHARS.indexOf(c) < 0) {
                assertThat(HeaderNames.isToken("x" + c)).as("character U+%04X", (int) c).isFalse();
            }
        }
        assertThat(HeaderNames.isToken("x\u0130")).isFalse();
    }

    @Test
    void tokenRejectsEmptyAndNull() {
        assertThat(HeaderNames.isToken("")).isFalse();
        assertThat(HeaderNames.isToken(null)).isFalse();
    }
}

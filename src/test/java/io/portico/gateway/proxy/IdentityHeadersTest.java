package io.portico.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Identity header values with control characters are never sent. */
class IdentityHeadersTest {

    @Test
    void controlCharactersAreUnsafe() {
        assertThat(IdentityHeaders.isSafe("alice")).isTrue();
        assertThat(IdentityHeaders.isSafe("gold\ttier")).isTrue();
        assertThat(IdentityHeaders.isSafe("a\r\nX-Injected: 1")).isFalse();
        assertThat(IdentityHeaders.isSafe("a\nb")).isFalse();
        assertThat(IdentityHeaders.isSafe("a\u0000b")).isFalse();
        assertThat(IdentityHeaders.isSafe("a\u007fb")).isFalse();
    }
}

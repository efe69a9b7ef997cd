package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Path normalisation before routing. */
class PathNormalizerTest {

    @ParameterizedTest
    @CsvSource({
        "/, /",
        "/a/b, /a/b",
        "//a///b, /a/b",
        "/a/./b, /a/b",
        "/a/../b, /b",
        "/../../etc/passwd, /etc/passwd",
        "/%2e%2e/%2E%2e/etc/passwd, /etc/passwd",
        "/a/%2e/b, /a/b",
        "/a/b/.., /a/",
        "/a/b/, /a/b/",
        "/a%20b, /a%20b",
    })
    void normalizes(String path, String expected) {
        assertThat(PathNormalizer.normalize(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a/b", "*", "/a%2fb", "/a%2F..%2Fb", "/a%5cb", "/a\\b", "/a\u0000b", "/a\nb"})
    void rejects(String path) {
        assertThat(PathNormalizer.normalize(path)).isNull();
    }
}

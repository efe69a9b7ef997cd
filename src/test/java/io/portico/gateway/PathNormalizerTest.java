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
        "/%61dmin, /admin",
        "/%7Euser/%2D%5F, /~user/-_",
        "/a%2ab, /a%2Ab",
        "/caf%c3%a9, /caf%C3%A9",
        "/a;b/c, /a;b/c",
        "/a/b;v=1, /a/b;v=1",
        "/a/...;x, /a/...;x",
    })
    void normalizes(String path, String expected) {
        assertThat(PathNormalizer.normalize(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "", "a/b", "*", "http://a/b",
        "/a%2fb", "/a%2F..%2Fb", "/a%5cb", "/a%5Cb", "/a\\b",
        "/a\u0000b", "/a\nb", "/a\rb", "/a\tb", "/a\u007fb",
        "/a%00b", "/a%0ab", "/a%0D%0Ab", "/a%09", "/a%7f", "/a%1F",
        "/a%", "/a%2", "/a%zz", "/a%2g", "/a%%41", "/a%\u0661\u0661",
        "/%c0%ae%c0%ae/etc", "/a%C1%9C",
        "/a/..;/b", "/a/.;/b", "/..;/admin", "/a/;x/../b", "/;jsessionid=1", "/a/%2e%2e;x/b", "/a/..;",
    })
    void rejects(String path) {
        assertThat(PathNormalizer.normalize(path)).isNull();
    }

    @ParameterizedTest
    @CsvSource({
        "/a%2fb, /a%2Fb",
        "/v1/models/oa1%2Fgpt-4o, /v1/models/oa1%2Fgpt-4o",
        "/a%2F..%2Fb, /a%2F..%2Fb",
        "/a%2F%2e%2e/../b, /b",
        "/%61/x%2f%2e, /a/x%2F.",
    })
    void keepsEncodedSlashes(String path, String expected) {
        assertThat(PathNormalizer.normalizeKeepingEncodedSlashes(path)).isEqualTo(expected);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/a%2Fb%5cc", "/a%2Fb\\c", "/a%2F%00", "/a%2F%", "/a%2F/..;/b", "/a%2F%c0%ae", "a%2Fb"})
    void keepingEncodedSlashesRejectsOthers(String path) {
        assertThat(PathNormalizer.normalizeKeepingEncodedSlashes(path)).isNull();
    }
}

package io.portico.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.RouteSpec.HeaderOperations;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The guards that keep control characters other than HTAB (CR, LF and NUL included), empty names, names that are not
 * tokens and pseudo-headers out of every header Portico writes.
 */
class ProxyHeadersTest {

    @Test
    void safeValueRejectsLineBreaksAndNul() {
        assertThat(ProxyHeaders.isSafeValue("plain value, with; punctuation")).isTrue();
        assertThat(ProxyHeaders.isSafeValue("")).isTrue();
        assertThat(ProxyHeaders.isSafeValue("a\r\nX-Injected: yes")).isFalse();
        assertThat(ProxyHeaders.isSafeValue("a\nb")).isFalse();
        assertThat(ProxyHeaders.isSafeValue("a\rb")).isFalse();
        assertThat(ProxyHeaders.isSafeValue("a\u0000b")).isFalse();
    }

    @Test
    void safeValueRejectsOtherControlCharacters() {
        for (char c : new char[] {0x01, 0x08, 0x0b, 0x0c, 0x1b, 0x1f, 0x7f, 0x100}) {
            assertThat(ProxyHeaders.isSafeValue("a" + c + "b")).as("value with U+%04X", (int) c).isFalse();
        }
        assertThat(ProxyHeaders.isSafeValue("a\tb")).isTrue();
        assertThat(ProxyHeaders.isSafeValue("caf\u00e9 \u00ff~")).isTrue();
    }

    @Test
    void headerOperationsWithControlCharactersAreSkipped() {
        HeaderOperations operations = new HeaderOperations(Map.of("X-Added", "a\u0001b", "X-Good", "a\tb"),
                Map.of("X-Set", "c\u007fd"), List.of());
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("X-Set", "old");

        ProxyHeaders.apply(operations, headers);

        assertThat(headers.contains("X-Added")).isFalse();
        assertThat(headers.get("X-Good")).isEqualTo("a\tb");
        assertThat(headers.get("X-Set")).isEqualTo("old");
    }

    @Test
    void responseHeadersWithLineBreaksAreDropped() {
        // A multimap without validation stands for fields that reach Portico unchecked, as HTTP/2 fields can.
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap()
                .add("X-Ok", "fine")
                .add("X-Split", "a\r\nSet-Cookie: session=stolen")
                .add("X-Nul", "a\u0000b");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();

        ProxyHeaders.copyResponseHeaders(upstream, out);

        assertThat(out.get("X-Ok")).isEqualTo("fine");
        assertThat(out.contains("X-Split")).isFalse();
        assertThat(out.contains("X-Nul")).isFalse();
        assertThat(out.contains("Set-Cookie")).isFalse();
    }

    @Test
    void headerOperationsWithLineBreaksAreSkipped() {
        HeaderOperations operations = new HeaderOperations(Map.of("X-Added", "a\nb", "X-Good", "yes"),
                Map.of("X-Set", "c\r\nd"), List.of());
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add("X-Set", "old");

        ProxyHeaders.apply(operations, headers);

        assertThat(headers.contains("X-Added")).isFalse();
        assertThat(headers.get("X-Good")).isEqualTo("yes");
        assertThat(headers.get("X-Set")).isEqualTo("old");
    }

    @Test
    void emptyHeaderNamesAreDropped() {
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("", "a").add(":status", "200").add("X-Ok", "fine");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();

        ProxyHeaders.copyResponseHeaders(upstream, out);

        assertThat(out.names()).containsExactly("X-Ok");
    }

    @Test
    void namesThatAreNoTokensAreDropped() {
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("x-a:b", "1").add("x a", "2").add("x@a", "3")
                .add("X-Ok", "fine");
        MultiMap out = MultiMap.caseInsensitiveMultiMap();

        ProxyHeaders.copyResponseHeaders(upstream, out);

        assertThat(out.names()).containsExactly("X-Ok");
        assertThat(ProxyHeaders.hasValidFieldNames(upstream)).isFalse();
    }

    @Test
    void pseudoHeadersAndTokensAreValidFieldNames() {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap().add(":status", "200").add("x-ok!#$%&'*+-.^_`|~", "1");

        assertThat(ProxyHeaders.hasValidFieldNames(headers)).isTrue();
    }
}

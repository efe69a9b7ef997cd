package io.portico.gateway.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.RouteSpec.HeaderOperations;
import io.vertx.core.MultiMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the header guard: no header Portico writes carries a control character other than HTAB (CR, LF, NUL
 * and DEL included), whatever its name or value.
 */
class HeaderValidationPropertiesTest {

    /** Strings that often contain CR, LF, NUL and DEL, among other characters. */
    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.strings().withChars('a', 'Z', ' ', ':', ';', '\t', '\r', '\n', '\u0000', '\u007f', 'é')
                .ofMaxLength(16);
    }

    @Property(tries = 2_000)
    void copiedResponseHeadersAreSafe(@ForAll("hostile") String name, @ForAll("hostile") String value) {
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap();
        if (!name.isEmpty()) {
            upstream.add(name, value);
        }
        MultiMap out = MultiMap.caseInsensitiveMultiMap();

        ProxyHeaders.copyResponseHeaders(upstream, out);

        out.forEach(header -> {
            assertThat(ProxyHeaders.isSafeValue(header.getKey())).isTrue();
            assertThat(ProxyHeaders.isSafeValue(header.getValue())).isTrue();
        });
    }

    @Property(tries = 2_000)
    void configuredOperationsWriteOnlySafeHeaders(@ForAll("hostile") String name, @ForAll("hostile") String value) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        Map<String, String> operation = name.isEmpty() ? Map.of() : Map.of(name, value);

        ProxyHeaders.apply(new HeaderOperations(operation, operation, List.of()), headers);

        headers.forEach(header -> {
            assertThat(ProxyHeaders.isSafeValue(header.getKey())).isTrue();
            assertThat(ProxyHeaders.isSafeValue(header.getValue())).isTrue();
        });
    }

    @Property(tries = 2_000)
    void safeValuesAreCopiedUnchanged(@ForAll("hostile") String value) {
        MultiMap upstream = MultiMap.caseInsensitiveMultiMap().add("X-Value", value);
        MultiMap out = MultiMap.caseInsensitiveMultiMap();

        ProxyHeaders.copyResponseHeaders(upstream, out);

        boolean safe = value.chars().noneMatch(c -> c < ' ' && c != '\t' || c == 0x7f);
        assertThat(out.get("X-Value")).isEqualTo(safe ? value : null);
    }
}

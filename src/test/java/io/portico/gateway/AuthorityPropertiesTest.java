package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of the Host header check that the request head rules apply. */
class AuthorityPropertiesTest {

    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.strings().withChars('a', 'Z', '0', '9', '.', ':', '[', ']', '@', '/', ' ', '\t', '\r',
                '\n', '\u0000', '%', '?', '#', '\\').ofMaxLength(20);
    }

    @Property(tries = 3_000)
    void acceptedHostHasNoSeparatorOrControlCharacter(@ForAll("hostile") String host) {
        if (Authority.isValid(host)) {
            assertThat(host).doesNotContain("@", "/", "\\", "?", "#", " ", "\t", "\r", "\n", "\u0000");
        }
    }

    @Property
    void nameWithPortIsAccepted(@ForAll("names") String name, @ForAll @IntRange(max = 65_535) int port) {
        assertThat(Authority.isValid(name + ":" + port)).isTrue();
    }

    @Property
    void portAboveRangeIsRejected(@ForAll("names") String name,
                                  @ForAll @IntRange(min = 65_536, max = 99_999) int port) {
        assertThat(Authority.isValid(name + ":" + port)).isFalse();
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withCharRange('a', 'z').withChars('-', '.').ofMinLength(1).ofMaxLength(30);
    }
}

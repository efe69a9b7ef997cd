package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

import io.vertx.core.net.HostAndPort;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Properties of the Host and {@code :authority} check that the gateway and admin listeners apply. */
class AuthorityPropertiesTest {

    @Provide
    Arbitrary<String> hostile() {
        return Arbitraries.strings().withChars('a', 'Z', '0', '9', '.', ':', '[', ']', '@', '/', ' ', '\t', '\r',
                '\n', '\u0000', '%', '?', '#', '\\').ofMaxLength(20);
    }

    @Property(tries = 3_000)
    void acceptedHostHasNoSeparatorOrControlCharacter(@ForAll("hostile") String host) {
        if (Authority.isValid(host)) {
            assertThat(host).doesNotContain("@", "/", "\\", "?", "#", " ", "\t", "\r", "\n", "\u0000", "%");
        }
    }

    /** Returns registered names with any of the characters RFC 3986 allows in one, and an optional port. */
    @Provide
    Arbitrary<String> registeredNames() {
        Arbitrary<String> names = Arbitraries.strings().withChars("aZ09-._~!$&'()*+,;=%").ofMinLength(1)
                .ofMaxLength(60);
        return Arbitraries.oneOf(names, names.map(name -> name + ":8080"));
    }

    @Property(tries = 3_000)
    void acceptedHostParsesInVertx(@ForAll("registeredNames") String host) {
        if (Authority.isValid(host)) {
            assertThatNoException().as(host).isThrownBy(() -> HostAndPort.parseAuthority(host, -1));
        }
    }

    @Property
    void hostWithPercentIsRejected(@ForAll("names") String before, @ForAll("names") String after) {
        assertThat(Authority.isValid(before + "%" + after)).isFalse();
        assertThat(Authority.isValid(before + "%41" + after + ":80")).isFalse();
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

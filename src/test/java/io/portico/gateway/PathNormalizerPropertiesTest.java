package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** Properties of path normalisation that must hold for every path, not only the listed examples. */
class PathNormalizerPropertiesTest {

    /** Path pieces that exercise every rule: separators, dot segments, escapes, parameters and control bytes. */
    @Provide
    Arbitrary<String> paths() {
        Arbitrary<String> pieces = Arbitraries.of("/", "//", "a", "b", "~", ".", "..", "%2e", "%2E", "%2e%2e", "%61",
                "%7e", "%2f", "%2F", "%5c", "\\", ";", ";x", "%00", "%0d", "%0a", "\u0000", "\t", "%25", "%", "%zz",
                "%c0", "%c3%a9", "%20", "-", "_");
        return pieces.list().ofMaxSize(12).map(parts -> "/" + String.join("", parts));
    }

    @Property(tries = 2_000)
    void normalisingTwiceChangesNothing(@ForAll("paths") String path) {
        String once = PathNormalizer.normalize(path);

        if (once != null) {
            assertThat(PathNormalizer.normalize(once)).isEqualTo(once);
        }
    }

    @Property(tries = 2_000)
    void normalisedPathHasNoAmbiguousParts(@ForAll("paths") String path) {
        String normalised = PathNormalizer.normalize(path);

        if (normalised != null) {
            assertThat(normalised).startsWith("/");
            assertThat(normalised).doesNotContain("//");
            assertThat(List.of(normalised.split("/"))).doesNotContain(".", "..");
            assertThat(normalised).doesNotContain("\\").doesNotContainIgnoringCase("%2f")
                    .doesNotContainIgnoringCase("%5c").doesNotContainIgnoringCase("%2e");
            assertThat(normalised.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).isTrue();
            for (String segment : normalised.split("/")) {
                int semicolon = segment.indexOf(';');
                String name = semicolon < 0 ? segment : segment.substring(0, semicolon);
                assertThat(semicolon >= 0 && (name.isEmpty() || name.equals(".") || name.equals("..")))
                        .as("segment %s is a dot segment with a parameter", segment).isFalse();
            }
        }
    }

    @Property(tries = 2_000)
    void encodedSeparatorsAndControlBytesAreRejected(@ForAll("paths") String prefix,
                                                    @ForAll("forbidden") String forbidden) {
        assertThat(PathNormalizer.normalize(prefix + forbidden)).isNull();
    }

    @Provide
    Arbitrary<String> forbidden() {
        return Arbitraries.of("%2f", "%2F", "%5c", "%5C", "\\", "%00", "%0a", "%0D", "%7f", "\u0000", "\n",
                "/..;/", "/.;/", "%c0%ae", "%zz", "%4");
    }

    @Property(tries = 1_000)
    void unreservedEscapesMeanTheirCharacter(@ForAll("unreserved") char c) {
        String escaped = String.format("/x/%%%02X/y", (int) c);

        assertThat(PathNormalizer.normalize(escaped)).isEqualTo(PathNormalizer.normalize("/x/" + c + "/y"));
    }

    @Provide
    Arbitrary<Character> unreserved() {
        return Arbitraries.chars().range('a', 'z').range('A', 'Z').range('0', '9').with('-', '.', '_', '~');
    }
}

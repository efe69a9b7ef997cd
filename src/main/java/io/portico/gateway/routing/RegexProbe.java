package io.portico.gateway.routing;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks at compile time which groups a regular expression defines, since {@link Pattern} in Java 17 does not
 * list its named groups.
 */
final class RegexProbe {

    private RegexProbe() {
    }

    /**
     * Returns a matcher of {@code regex} that reports a successful match in which no group took part. Its
     * {@code group(name)} returns null for a group of {@code regex} and throws {@link IllegalArgumentException}
     * for any other name, and {@code appendReplacement} rejects references to groups that do not exist.
     */
    static Matcher emptyMatch(Pattern regex) {
        Matcher probe = Pattern.compile("").matcher("");
        probe.find();
        // Matcher.usePattern keeps the position of the last match but discards its groups.
        probe.usePattern(regex);
        return probe;
    }
}

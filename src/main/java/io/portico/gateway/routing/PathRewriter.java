package io.portico.gateway.routing;

import io.portico.config.RouteSpec;
import io.portico.net.RequestTargets;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Computes the path forwarded upstream for one route: {@code stripPrefix} first, then {@code rewrite}. */
final class PathRewriter {

    private final boolean stripPrefix;
    private final Pattern regex;
    private final String replacement;

    private PathRewriter(boolean stripPrefix, Pattern regex, String replacement) {
        this.stripPrefix = stripPrefix;
        this.regex = regex;
        this.replacement = replacement;
    }

    /**
     * Compiles the path rewriting of {@code route}.
     *
     * @throws IllegalArgumentException when the rewrite has no regular expression or replacement, or an invalid
     *     regular expression
     */
    static PathRewriter of(RouteSpec route) {
        RouteSpec.Rewrite rewrite = route.rewrite();
        if (rewrite == null) {
            return new PathRewriter(route.stripPrefix(), null, null);
        }
        if (rewrite.regex() == null || rewrite.replacement() == null) {
            throw new IllegalArgumentException("rewrite needs both a regex and a replacement");
        }
        Pattern regex;
        try {
            regex = Pattern.compile(rewrite.regex());
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("rewrite regex is not a valid regular expression: "
                    + e.getDescription(), e);
        }
        checkReplacement(regex, rewrite.replacement());
        return new PathRewriter(route.stripPrefix(), regex, rewrite.replacement());
    }

    private static void checkReplacement(Pattern regex, String replacement) {
        try {
            RegexProbe.emptyMatch(regex).appendReplacement(new StringBuilder(), replacement);
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("rewrite replacement '" + replacement + "' is invalid for regex '"
                    + regex.pattern() + "': " + e.getMessage(), e);
        }
    }

    /**
     * Returns the path to forward for a request whose path {@code requestPath} matched with {@code matchedPrefix}.
     * The result always starts with {@code /}. A rewrite applies to the path without segment parameters, the form
     * that the route matched, so a parameter can never keep the regular expression from matching.
     *
     * @throws InvalidForwardedPathException when the rewrite produces a path that {@link RequestTargets#pathProblem}
     *     rejects. Validation keeps such characters out of the replacement, but a group may still capture part of a
     *     percent-escape, as {@code (.{4})} does in {@code /ab%20}. Removing a prefix never does this, because it
     *     removes whole segments.
     */
    String apply(String matchedPrefix, String requestPath) {
        String path = regex == null ? requestPath : PathParameters.strip(requestPath);
        if (stripPrefix && !matchedPrefix.isEmpty()) {
            int end = PathParameters.prefixEnd(path, matchedPrefix);
            if (end >= 0) {
                path = path.substring(end);
            }
        }
        if (regex != null) {
            path = regex.matcher(path).replaceFirst(replacement);
            String problem = RequestTargets.pathProblem(path);
            if (problem != null) {
                throw new InvalidForwardedPathException("the rewritten path " + problem);
            }
        }
        return path.startsWith("/") ? path : "/" + path;
    }
}

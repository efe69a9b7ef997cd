package io.portico.gateway.routing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One path of a route, parsed into the form that the {@link Router} indexes.
 *
 * <p>{@link Kind} lists the kinds from the most to the least specific. Prefixes and templates are split into
 * segments: a prefix {@code /api/v1} becomes {@code [api, v1]}, a template {@code /pets/{id}} becomes
 * {@code [pets, null]} with the parameter name {@code id} at index 1.
 */
final class PathPattern {

    /** Path kinds, from the one that ranks first to the one that ranks last. */
    enum Kind { EXACT, TEMPLATE, PREFIX, REGEX, ANY }

    static final PathPattern ANY = new PathPattern(Kind.ANY, "", "", new String[0], new String[0], false, null,
            List.of());

    private static final Pattern GROUP_NAME = Pattern.compile("\\(\\?<([a-zA-Z][a-zA-Z0-9]*)>");

    private final Kind kind;
    private final String text;
    private final String matchedPrefix;
    private final String[] segments;
    private final String[] parameterNames;
    private final boolean trailingSlash;
    private final Pattern regex;
    private final List<String> groupNames;

    private PathPattern(Kind kind, String text, String matchedPrefix, String[] segments, String[] parameterNames,
            boolean trailingSlash, Pattern regex, List<String> groupNames) {
        this.kind = kind;
        this.text = text;
        this.matchedPrefix = matchedPrefix;
        this.segments = segments;
        this.parameterNames = parameterNames;
        this.trailingSlash = trailingSlash;
        this.regex = regex;
        this.groupNames = groupNames;
    }

    /**
     * Parses a path as {@link io.portico.config.RouteSpec} documents it.
     *
     * @throws IllegalArgumentException when the path is empty, a regular expression is invalid or a template
     *     parameter does not fill a whole segment
     */
    static PathPattern parse(String path) {
        if (path == null || path.isEmpty()) {
            throw new IllegalArgumentException("path must not be empty");
        }
        if (path.startsWith("~")) {
            return regex(path);
        }
        if (path.startsWith("=/")) {
            return new PathPattern(Kind.EXACT, path, "", null, null, false, null, List.of());
        }
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("path '" + path
                    + "' must start with '/', '=/' (exact) or '~' (regular expression)");
        }
        return path.indexOf('{') >= 0 ? template(path) : prefix(path);
    }

    private static PathPattern prefix(String path) {
        boolean trailingSlash = path.endsWith("/");
        String body = trailingSlash ? path.substring(0, path.length() - 1) : path;
        String[] segments = body.isEmpty() ? new String[0] : body.substring(1).split("/", -1);
        return new PathPattern(Kind.PREFIX, path, path, segments, null, trailingSlash, null, List.of());
    }

    private static PathPattern template(String path) {
        String[] segments = path.substring(1).split("/", -1);
        String[] names = new String[segments.length];
        Set<String> seen = new HashSet<>();
        int literalEnd = 0;
        boolean leadingLiterals = true;
        for (int i = 0; i < segments.length; i++) {
            String segment = segments[i];
            if (segment.startsWith("{") && segment.endsWith("}")
                    && segment.indexOf('{', 1) < 0 && segment.indexOf('}') == segment.length() - 1) {
                names[i] = segment.substring(1, segment.length() - 1);
                segments[i] = null;
                leadingLiterals = false;
                if (names[i].isEmpty()) {
                    throw new IllegalArgumentException("template '" + path + "' has a parameter without a name");
                }
                if (!seen.add(names[i])) {
                    throw new IllegalArgumentException("template '" + path + "' repeats the parameter " + segment);
                }
            } else if (segment.indexOf('{') >= 0 || segment.indexOf('}') >= 0) {
                throw new IllegalArgumentException("template '" + path
                        + "' has a parameter that is not a whole segment, as in /pets/{id}");
            } else if (leadingLiterals) {
                literalEnd += 1 + segment.length();
            }
        }
        return new PathPattern(Kind.TEMPLATE, path, path.substring(0, literalEnd), segments, names, false, null,
                List.of());
    }

    private static PathPattern regex(String path) {
        Pattern regex;
        try {
            regex = Pattern.compile(path.substring(1));
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException("path '" + path + "' is not a valid regular expression: "
                    + e.getDescription(), e);
        }
        return new PathPattern(Kind.REGEX, path, "", null, null, false, regex, groupNames(regex));
    }

    /**
     * Returns the names of the named groups of {@code regex}. Candidates are found textually, then kept only if
     * the pattern really defines them, which drops look-alikes inside quotes or character classes.
     */
    private static List<String> groupNames(Pattern regex) {
        List<String> names = new ArrayList<>();
        Matcher candidates = GROUP_NAME.matcher(regex.pattern());
        Matcher probe = RegexProbe.emptyMatch(regex);
        while (candidates.find()) {
            try {
                probe.group(candidates.group(1));
                names.add(candidates.group(1));
            } catch (IllegalArgumentException notAGroup) {
                continue;
            }
        }
        return List.copyOf(names);
    }

    Kind kind() {
        return kind;
    }

    /** Returns the path as written in the route. */
    String text() {
        return text;
    }

    /** Returns the path that an exact pattern matches, without its {@code =}. */
    String exactPath() {
        return text.substring(1);
    }

    /** Returns the literal segments of a prefix or template, with null where a template has a parameter. */
    String[] segments() {
        return segments;
    }

    /** Returns whether a prefix was written with a trailing slash, so that it requires one after its segments. */
    boolean trailingSlash() {
        return trailingSlash;
    }

    /** Returns the text that {@code stripPrefix} removes, see {@link RouteMatch#matchedPrefix()}. */
    String matchedPrefix() {
        return matchedPrefix;
    }

    /** Returns whether the regular expression of a regex pattern is found in {@code path}. */
    boolean find(String path) {
        return regex.matcher(path).find();
    }

    /** Returns what this pattern captures from {@code path}, which it is known to match. */
    Map<String, String> parameters(String path) {
        if (kind == Kind.TEMPLATE) {
            return templateParameters(path);
        }
        if (kind == Kind.REGEX && !groupNames.isEmpty()) {
            return groupParameters(path);
        }
        return Map.of();
    }

    private Map<String, String> templateParameters(String path) {
        Map<String, String> parameters = new HashMap<>();
        int start = 1;
        for (int i = 0; i < segments.length; i++) {
            int end = path.indexOf('/', start);
            end = end < 0 ? path.length() : end;
            if (parameterNames[i] != null) {
                parameters.put(parameterNames[i], path.substring(start, end));
            }
            start = end + 1;
        }
        return parameters;
    }

    private Map<String, String> groupParameters(String path) {
        Map<String, String> parameters = new HashMap<>();
        Matcher matcher = regex.matcher(path);
        if (matcher.find()) {
            for (String name : groupNames) {
                String value = matcher.group(name);
                if (value != null) {
                    parameters.put(name, value);
                }
            }
        }
        return parameters;
    }

    /**
     * Compares the specificity of two patterns of the same kind: negative when this one ranks first. Longer
     * prefixes rank first. Templates are compared segment by segment from the left, and at the first segment
     * where one has a literal and the other a parameter, the literal ranks first.
     */
    int compareWithinKind(PathPattern other) {
        if (kind == Kind.PREFIX) {
            return Integer.compare(other.text.length(), text.length());
        }
        if (kind == Kind.TEMPLATE) {
            int common = Math.min(segments.length, other.segments.length);
            for (int i = 0; i < common; i++) {
                boolean literal = segments[i] != null;
                if (literal != (other.segments[i] != null)) {
                    return literal ? -1 : 1;
                }
            }
            // Templates with different segment counts never match the same path, so this only keeps the order
            // total.
            return Integer.compare(segments.length, other.segments.length);
        }
        return 0;
    }

    @Override
    public String toString() {
        return kind + " " + text + (segments == null ? "" : " " + Arrays.toString(segments));
    }
}

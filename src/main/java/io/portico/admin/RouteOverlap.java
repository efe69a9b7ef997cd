package io.portico.admin;

import io.portico.config.RouteSpec;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * Decides whether two routes could match the same request, erring towards yes. Two routes overlap when their
 * hosts, paths and methods all overlap; header and query conditions are ignored, because a client can send
 * whatever headers another route asks for.
 *
 * <ul>
 *   <li>Hosts overlap when either route has none, when two names are equal, or when a {@code *.} wildcard covers
 *       the other name or wildcard.</li>
 *   <li>Paths overlap when either route has none, or when two patterns do. An exact path ({@code =/a}) is a
 *       literal. A template or regular expression counts as a prefix: its literal start up to the first variable
 *       part, and the empty prefix for a regular expression not anchored with {@code ^} or with a {@code |}. A
 *       literal and a prefix overlap when the literal starts with the prefix, and two prefixes when one starts with
 *       the other.</li>
 *   <li>Methods overlap when either route has none, or when both name one method.</li>
 * </ul>
 */
final class RouteOverlap {

    /** Characters that end the literal start of a regular expression. */
    private static final String REGEX_SPECIAL = "\\.[]{}()*+?^$|";
    /** Characters that make the character before them optional or repeated. */
    private static final String QUANTIFIERS = "?*{";

    private RouteOverlap() {
    }

    /** Returns true when some request could match both {@code first} and {@code second}. */
    static boolean overlaps(RouteSpec first, RouteSpec second) {
        return hostsOverlap(first.hosts(), second.hosts())
                && pathsOverlap(first.paths(), second.paths())
                && methodsOverlap(first.methods(), second.methods());
    }

    static boolean hostsOverlap(List<String> first, List<String> second) {
        return anyPair(first, second, RouteOverlap::hostOverlaps);
    }

    /** Compares two lower-case host patterns, where {@code *.d} matches every name that ends with {@code .d}. */
    private static boolean hostOverlaps(String a, String b) {
        boolean wildA = a.startsWith("*.");
        boolean wildB = b.startsWith("*.");
        String suffixA = wildA ? a.substring(1) : null;
        String suffixB = wildB ? b.substring(1) : null;
        if (wildA && wildB) {
            return suffixA.endsWith(suffixB) || suffixB.endsWith(suffixA);
        }
        if (wildA) {
            return b.endsWith(suffixA);
        }
        if (wildB) {
            return a.endsWith(suffixB);
        }
        return a.equals(b);
    }

    static boolean pathsOverlap(List<String> first, List<String> second) {
        return anyPair(first, second, RouteOverlap::pathOverlaps);
    }

    /** Returns true when either list is empty, which means any value, or when some pair of entries overlaps. */
    private static boolean anyPair(List<String> first, List<String> second, BiPredicate<String, String> overlap) {
        if (first.isEmpty() || second.isEmpty()) {
            return true;
        }
        for (String a : first) {
            for (String b : second) {
                if (overlap.test(a, b)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean pathOverlaps(String a, String b) {
        boolean exactA = a.startsWith("=");
        boolean exactB = b.startsWith("=");
        String literalA = literalStart(a);
        String literalB = literalStart(b);
        if (exactA && exactB) {
            return literalA.equals(literalB);
        }
        if (exactA) {
            return literalA.startsWith(literalB);
        }
        if (exactB) {
            return literalB.startsWith(literalA);
        }
        return literalA.startsWith(literalB) || literalB.startsWith(literalA);
    }

    /**
     * Returns the literal an exact path matches, or the prefix every path matched by another pattern starts with.
     */
    static String literalStart(String path) {
        if (path.startsWith("=")) {
            return path.substring(1);
        }
        if (path.startsWith("~")) {
            return regexLiteralStart(path.substring(1));
        }
        int parameter = path.indexOf('{');
        return parameter < 0 ? path : path.substring(0, parameter);
    }

    private static String regexLiteralStart(String regex) {
        // An alternation may start with any of its branches, so only its common start, the empty string, is certain.
        if (!regex.startsWith("^") || regex.contains("|")) {
            return "";
        }
        StringBuilder literal = new StringBuilder();
        for (int i = 1; i < regex.length(); i++) {
            char c = regex.charAt(i);
            if (REGEX_SPECIAL.indexOf(c) >= 0) {
                // A quantifier applies to the character before it, which is therefore not certain to be present.
                if (QUANTIFIERS.indexOf(c) >= 0 && !literal.isEmpty()) {
                    literal.setLength(literal.length() - 1);
                }
                break;
            }
            literal.append(c);
        }
        return literal.toString();
    }

    static boolean methodsOverlap(List<String> first, List<String> second) {
        return first.isEmpty() || second.isEmpty() || first.stream().anyMatch(second::contains);
    }
}

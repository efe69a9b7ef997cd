package io.portico.policy.cors;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The origins a CORS policy allows: {@code *} for any origin, exact origins ({@code https://app.example.com}),
 * and patterns with a wildcard first label or a wildcard port ({@code https://*.example.com},
 * {@code http://localhost:*}).
 *
 * <p>Origins are compared as the browser serialises them (RFC 6454 section 6.2): lower-case scheme and host,
 * the port only when it is not the scheme's default. Patterns are matched by comparing parts of the text,
 * never by a regular expression built from configuration, so no character in a pattern has a meaning beyond
 * the one documented.
 */
final class Origins {

    private final boolean any;
    private final Set<String> exact;
    private final List<Pattern> patterns;

    private Origins(boolean any, Set<String> exact, List<Pattern> patterns) {
        this.any = any;
        this.exact = Set.copyOf(exact);
        this.patterns = List.copyOf(patterns);
    }

    /** Returns the origins that allow every origin. */
    static Origins any() {
        return new Origins(true, Set.of(), List.of());
    }

    /**
     * Parses exact origins and patterns.
     *
     * @throws IllegalArgumentException naming the first invalid entry and what to fix
     */
    static Origins of(List<String> entries) {
        Set<String> exact = new HashSet<>();
        List<Pattern> patterns = new ArrayList<>();
        for (String entry : entries) {
            Pattern pattern = Pattern.parse(entry);
            if (pattern.isExact()) {
                exact.add(pattern.serialized());
            } else {
                patterns.add(pattern);
            }
        }
        return new Origins(false, exact, patterns);
    }

    /** Checks one entry of a list of origins, throwing IllegalArgumentException with the reason when invalid. */
    static void check(String entry) {
        Pattern.parse(entry);
    }

    /** Returns true when every origin is allowed. */
    boolean isAny() {
        return any;
    }

    /** Returns true when {@code origin}, the value of a request's {@code Origin} header, is allowed. */
    boolean allows(String origin) {
        if (any) {
            return true;
        }
        if (exact.contains(origin)) {
            return true;
        }
        String lower = hasUpperCase(origin) ? origin.toLowerCase(Locale.ROOT) : origin;
        if (lower != origin && exact.contains(lower)) {
            return true;
        }
        for (Pattern pattern : patterns) {
            if (pattern.matches(lower)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasUpperCase(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c >= 'A' && c <= 'Z') {
                return true;
            }
        }
        return false;
    }

    /**
     * One configured origin: {@code scheme://host[:port]}, where the host may start with the label {@code *} and
     * the port may be {@code *}.
     */
    private static final class Pattern {
        /** No port in the origin: the scheme's default. */
        private static final int DEFAULT_PORT = -1;
        /** Any port, or none. */
        private static final int ANY_PORT = -2;

        /** {@code scheme://}, lower case. */
        private final String schemePrefix;
        /** The host, or for a wildcard host the suffix after {@code *}, starting with a dot. */
        private final String host;
        private final boolean wildcardHost;
        private final int port;

        private Pattern(String schemePrefix, String host, boolean wildcardHost, int port) {
            this.schemePrefix = schemePrefix;
            this.host = host;
            this.wildcardHost = wildcardHost;
            this.port = port;
        }

        static Pattern parse(String text) {
            if (text.equals("null")) {
                throw new IllegalArgumentException("'null' cannot be allowed: sandboxed documents, local files and "
                        + "redirected requests of any site send it");
            }
            int separator = text.indexOf("://");
            if (separator <= 0) {
                throw invalid(text, "it must have the form scheme://host or scheme://host:port");
            }
            String scheme = text.substring(0, separator).toLowerCase(Locale.ROOT);
            if (!isScheme(scheme)) {
                throw invalid(text, "the scheme must be a letter followed by letters, digits, '+', '-' or '.'");
            }

            String authority = text.substring(separator + 3);
            if (authority.endsWith("/")) {
                throw invalid(text, "an origin has no path, so remove the trailing '/'");
            }
            if (authority.isEmpty()) {
                throw invalid(text, "the host is missing");
            }
            if (authority.contains("/") || authority.contains("?")
                    || authority.contains("#") || authority.contains("@")) {
                throw invalid(text, "an origin is only scheme://host[:port], without user, path, query or fragment");
            }

            int colon = authority.startsWith("[") ? authority.indexOf(':', authority.indexOf(']'))
                    : authority.indexOf(':');
            String hostText = colon < 0 ? authority : authority.substring(0, colon);
            int port = colon < 0 ? DEFAULT_PORT : parsePort(text, authority.substring(colon + 1), scheme);
            String host = hostText.toLowerCase(Locale.ROOT);
            boolean wildcard = host.startsWith("*.");
            checkHost(text, wildcard ? host.substring(2) : host, wildcard);
            return new Pattern(scheme + "://", wildcard ? host.substring(1) : host, wildcard, port);
        }

        boolean isExact() {
            return !wildcardHost && port != ANY_PORT;
        }

        /** Returns the origin as a browser serialises it; only for exact origins. */
        String serialized() {
            return port == DEFAULT_PORT ? schemePrefix + host : schemePrefix + host + ":" + port;
        }

        /** Matches a lower-case origin. */
        boolean matches(String origin) {
            if (!origin.startsWith(schemePrefix)) {
                return false;
            }
            int hostStart = schemePrefix.length();
            int bracket = origin.charAt(Math.min(hostStart, origin.length() - 1)) == '[' ? origin.indexOf(']') : -1;
            int colon = origin.indexOf(':', bracket < 0 ? hostStart : bracket);
            int hostEnd = colon < 0 ? origin.length() : colon;
            return hostMatches(origin, hostStart, hostEnd) && portMatches(origin, colon);
        }

        private boolean hostMatches(String origin, int start, int end) {
            if (!wildcardHost) {
                return end - start == host.length() && origin.startsWith(host, start);
            }
            int labelsEnd = end - host.length();
            if (labelsEnd <= start || !origin.startsWith(host, labelsEnd)) {
                return false;
            }
            // The wildcard stands for one or more whole labels: letters, digits and '-', separated by dots.
            char previous = '.';
            for (int i = start; i < labelsEnd; i++) {
                char c = origin.charAt(i);
                boolean label = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-';
                if (!label && !(c == '.' && previous != '.')) {
                    return false;
                }
                previous = c;
            }
            return previous != '.';
        }

        private boolean portMatches(String origin, int colon) {
            if (colon < 0) {
                return port == DEFAULT_PORT || port == ANY_PORT;
            }
            int digits = origin.length() - colon - 1;
            if (digits < 1 || digits > 5) {
                return false;
            }
            int value = 0;
            for (int i = colon + 1; i < origin.length(); i++) {
                char c = origin.charAt(i);
                if (c < '0' || c > '9') {
                    return false;
                }
                value = value * 10 + c - '0';
            }
            return port == ANY_PORT ? value <= 65_535 : value == port;
        }

        private static int parsePort(String text, String port, String scheme) {
            if (port.equals("*")) {
                return ANY_PORT;
            }
            if (port.isEmpty() || port.length() > 5 || !port.chars().allMatch(c -> c >= '0' && c <= '9')) {
                throw invalid(text, "the port must be a number from 1 to 65535, or '*' for any port");
            }
            int value = Integer.parseInt(port);
            if (value < 1 || value > 65_535) {
                throw invalid(text, "the port must be a number from 1 to 65535, or '*' for any port");
            }
            boolean defaultPort = scheme.equals("http") && value == 80 || scheme.equals("https") && value == 443;
            return defaultPort ? DEFAULT_PORT : value;
        }

        private static void checkHost(String text, String host, boolean wildcard) {
            if (host.contains("*")) {
                throw invalid(text, "'*' may only stand for the first labels of the host, as in "
                        + "https://*.example.com, or for the port, as in http://localhost:*");
            }
            if (host.startsWith("[") && host.endsWith("]") && !wildcard) {
                if (host.length() < 4 || !host.substring(1, host.length() - 1).chars().allMatch(
                        c -> c == ':' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                    throw invalid(text, "the IPv6 address in brackets is invalid");
                }
                return;
            }
            if (!host.chars().allMatch(c -> c < 0x80)) {
                throw invalid(text, "write internationalised host names in their ASCII form (xn--...), as browsers "
                        + "send them");
            }
            String[] labels = host.split("\\.", -1);
            for (String label : labels) {
                if (label.isEmpty() || !label.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                        || c == '-' || c == '_')) {
                    throw invalid(text, "the host must be a domain name or an IP address");
                }
            }
            if (wildcard && labels.length < 2) {
                throw invalid(text, "a wildcard must be followed by at least two labels, as in *.example.com, so that "
                        + "it cannot cover a whole top-level domain");
            }
        }

        private static boolean isScheme(String scheme) {
            if (scheme.isEmpty() || scheme.charAt(0) < 'a' || scheme.charAt(0) > 'z') {
                return false;
            }
            return scheme.chars().allMatch(c -> c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+'
                    || c == '-' || c == '.');
        }

        private static IllegalArgumentException invalid(String text, String reason) {
            return new IllegalArgumentException("'" + text + "' is not a valid origin: " + reason);
        }
    }
}

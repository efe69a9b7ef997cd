package io.portico.net;

/**
 * Checks the paths and origin-form targets ({@code /path?query}) that Portico sends to upstreams and that it builds
 * from configuration or from parts of a request. The rule is the one that the gateway applies to the targets it
 * receives: US-ASCII without control characters, spaces or a fragment (RFC 9112 section 3.2, RFC 3986 section 3.5),
 * and no backslash, which upstreams read as {@code /} or as data. In addition, every {@code %} must start a
 * percent-escape of two hex digits (RFC 3986 section 2.1), because upstreams reject or guess at an incomplete one.
 */
public final class RequestTargets {

    /**
     * An origin-form request target that starts with {@code /} and passes {@link #originFormProblem}, as a regular
     * expression that Java and ECMA-262 read alike: visible US-ASCII characters other than {@code #}, {@code %} and
     * {@code \}, and percent-escapes of two hex digits.
     */
    public static final String ORIGIN_FORM_PATTERN = "^/([!\"$&-\\[\\]-~]|%[0-9A-Fa-f]{2})*$";

    private RequestTargets() {
    }

    /**
     * Returns why {@code path} cannot be sent as the path of a request target, or null when it can. A {@code ?} is
     * rejected because it would start a query. The text need not start with {@code /}.
     */
    public static String pathProblem(String path) {
        return problem(path, path.length());
    }

    /**
     * Returns why {@code target}, a path with an optional {@code ?query}, cannot be sent as an origin-form request
     * target, or null when it can. The text need not start with {@code /}.
     */
    public static String originFormProblem(String target) {
        int query = target.indexOf('?');
        return problem(target, query < 0 ? target.length() : query);
    }

    /** Checks {@code target}, whose path ends at {@code pathEnd}; a {@code ?} before that index is rejected. */
    private static String problem(String target, int pathEnd) {
        for (int i = 0; i < target.length(); i++) {
            char c = target.charAt(i);
            if (c <= 0x20 || c == 0x7f) {
                return "contains a space or a control character; percent-encode it, as %20 for a space";
            }
            if (c > 0x7f) {
                return "contains the character '" + c + "' outside US-ASCII; percent-encode its UTF-8 bytes";
            }
            if (c == '#') {
                return "contains '#', which starts a fragment that upstreams cut off; write %23 for a literal '#'";
            }
            if (c == '?' && i < pathEnd) {
                return "contains '?', which would start the query; write %3F for a literal '?'";
            }
            if (c == '\\') {
                return "contains a backslash, which upstreams read differently; write %5C for a literal backslash";
            }
            if (c == '%' && !(isHexDigit(target, i + 1) && isHexDigit(target, i + 2))) {
                return "contains a '%' that is not followed by two hex digits; write %25 for a literal '%'";
            }
        }
        return null;
    }

    private static boolean isHexDigit(String text, int index) {
        if (index >= text.length()) {
            return false;
        }
        char c = text.charAt(index);
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}

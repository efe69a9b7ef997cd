package io.portico.gateway;

/**
 * Normalises request paths before routing, so that routes, policies and the upstream all see one spelling of a
 * path. Percent-encoded unreserved characters are decoded and the hex digits of other escapes upper-cased
 * (RFC 3986 section 6.2.2), repeated slashes are merged and dot segments removed (section 5.2.4).
 *
 * <p>A path is rejected when it is not in origin form or contains any of: a control character, raw or
 * percent-encoded; a backslash, raw or encoded; an encoded slash; an invalid percent escape; an encoded byte
 * 0xC0 or 0xC1, which only occur in overlong UTF-8 forms of ASCII; or a segment with a {@code ;} parameter whose
 * name is empty, {@code .} or {@code ..}. Upstreams disagree about all of these, so forwarding them would let a
 * client reach a path that the route and its policies never saw.
 */
public final class PathNormalizer {

    private static final String HEX = "0123456789ABCDEF";

    private PathNormalizer() {
    }

    /** Returns the normalised form of {@code path}, or null when the path is invalid. */
    public static String normalize(String path) {
        return normalize(path, false);
    }

    /**
     * Returns the normalised form of {@code path} as {@link #normalize} does, but keeps each encoded slash as
     * {@code %2F} instead of rejecting the path; null when the path is invalid for another reason. The caller must
     * make sure that no upstream receives such a path: only a backend that reads the path itself may serve it.
     */
    public static String normalizeKeepingEncodedSlashes(String path) {
        return normalize(path, true);
    }

    private static String normalize(String path, boolean keepEncodedSlashes) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return null;
        }
        String decoded = path.indexOf('%') >= 0 ? decodeUnreserved(path, keepEncodedSlashes) : path;
        if (decoded == null || !hasValidCharacters(decoded) || hasDotSegmentParameter(decoded)) {
            return null;
        }
        return needsDotSegmentRemoval(decoded) ? removeDotSegments(decoded) : decoded;
    }

    /**
     * Decodes percent-encoded unreserved characters, so that {@code /%2e%2e/} is removed like {@code /../} and
     * {@code /%61dmin} routes like {@code /admin}, and upper-cases the hex digits of the escapes it keeps.
     * Returns null for an invalid escape or an encoded byte that {@link #normalize} rejects, except an encoded
     * slash when {@code keepEncodedSlashes} is true.
     */
    private static String decodeUnreserved(String path, boolean keepEncodedSlashes) {
        StringBuilder decoded = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c != '%') {
                decoded.append(c);
                continue;
            }
            int high = i + 2 < path.length() ? hexValue(path.charAt(i + 1)) : -1;
            int low = high >= 0 ? hexValue(path.charAt(i + 2)) : -1;
            if (low < 0) {
                return null;
            }
            int octet = high << 4 | low;
            if (isRejectedOctet(octet) && !(keepEncodedSlashes && octet == '/')) {
                return null;
            }
            if (isUnreserved(octet)) {
                decoded.append((char) octet);
            } else {
                decoded.append('%').append(HEX.charAt(high)).append(HEX.charAt(low));
            }
            i += 2;
        }
        return decoded.toString();
    }

    /** Returns the value of an ASCII hex digit, or -1; unlike {@link Character#digit} it accepts no other digits. */
    private static int hexValue(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
    }

    private static boolean isRejectedOctet(int octet) {
        return octet < 0x20 || octet == 0x7f || octet == '/' || octet == '\\' || octet == 0xc0 || octet == 0xc1;
    }

    /** Returns true for the unreserved characters of RFC 3986 section 2.3. */
    private static boolean isUnreserved(int c) {
        return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                || c == '-' || c == '.' || c == '_' || c == '~';
    }

    private static boolean hasValidCharacters(String path) {
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns true when a segment carries a {@code ;} parameter after an empty, {@code .} or {@code ..} name.
     * Servlet containers strip such parameters before they resolve dot segments, so {@code /a/..;/b} reaches
     * {@code /b} on them while every other component reads a segment named {@code ..;}.
     */
    private static boolean hasDotSegmentParameter(String path) {
        for (int semicolon = path.indexOf(';'); semicolon >= 0; semicolon = path.indexOf(';', semicolon + 1)) {
            int start = path.lastIndexOf('/', semicolon) + 1;
            String name = path.substring(start, semicolon);
            if (name.isEmpty() || name.equals(".") || name.equals("..")) {
                return true;
            }
        }
        return false;
    }

    private static boolean needsDotSegmentRemoval(String path) {
        for (int i = 0; i + 1 < path.length(); i++) {
            if (path.charAt(i) == '/' && (path.charAt(i + 1) == '/' || path.charAt(i + 1) == '.')) {
                return true;
            }
        }
        return false;
    }

    private static String removeDotSegments(String path) {
        String[] segments = path.split("/", -1);
        StringBuilder out = new StringBuilder(path.length());
        int[] starts = new int[segments.length];
        int depth = 0;
        for (int i = 1; i < segments.length; i++) {
            String segment = segments[i];
            boolean last = i == segments.length - 1;
            if (segment.equals(".") || segment.isEmpty() && !last) {
                continue;
            }
            if (segment.equals("..")) {
                if (depth > 0) {
                    depth--;
                    out.setLength(starts[depth]);
                }
                continue;
            }
            starts[depth++] = out.length();
            out.append('/').append(segment);
        }
        boolean trailingSlash = path.endsWith("/") || path.endsWith("/.") || path.endsWith("/..");
        if (out.length() == 0 || trailingSlash && out.charAt(out.length() - 1) != '/') {
            out.append('/');
        }
        return out.toString();
    }
}

package io.portico.gateway;

/**
 * Normalises request paths before routing: decodes percent-encoded dots, merges repeated slashes and removes
 * dot segments (RFC 3986 section 5.2.4). Paths that are not in origin form, or that contain control characters,
 * backslashes or percent-encoded slashes or backslashes, are rejected.
 */
public final class PathNormalizer {

    private PathNormalizer() {
    }

    /** Returns the normalised form of {@code path}, or null when the path is invalid. */
    public static String normalize(String path) {
        if (path == null || path.isEmpty() || path.charAt(0) != '/') {
            return null;
        }
        if (path.indexOf('%') >= 0 || path.indexOf('\\') >= 0) {
            path = decodeDots(path);
            if (path == null) {
                return null;
            }
        }
        boolean clean = true;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return null;
            }
            if (c == '/' && i + 1 < path.length()) {
                char next = path.charAt(i + 1);
                if (next == '/' || next == '.') {
                    clean = false;
                }
            }
        }
        return clean ? path : removeDotSegments(path);
    }

    /**
     * Decodes percent-encoded dots, so that {@code /%2e%2e/} is removed like {@code /../}, and rejects encoded
     * slashes and backslashes, which upstreams disagree about. Returns null for a rejected path.
     */
    private static String decodeDots(String path) {
        StringBuilder decoded = new StringBuilder(path.length());
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (c == '\\') {
                return null;
            }
            if (c == '%' && i + 2 < path.length()) {
                String escape = path.substring(i + 1, i + 3);
                if (escape.equalsIgnoreCase("2e")) {
                    decoded.append('.');
                    i += 2;
                    continue;
                }
                if (escape.equalsIgnoreCase("2f") || escape.equalsIgnoreCase("5c")) {
                    return null;
                }
            }
            decoded.append(c);
        }
        return decoded.toString();
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

package io.portico.gateway.routing;

/**
 * Reads paths without the {@code ;parameters} of their segments (RFC 3986 section 3.3), the form in which route
 * matching compares them. Servlet containers (Tomcat, Jetty) and Spring MVC remove everything from a segment's
 * first {@code ;} up to the next {@code /} before they map a request, so {@code /api/secret;x=1} is
 * {@code /api/secret} to them. A router that compared the path with its parameters would let that request pass a
 * route with fewer policies than the one that serves {@code /api/secret}.
 *
 * <p>An encoded semicolon ({@code %3B}) is data inside a segment, as RFC 3986 section 2.2 defines, and starts no
 * parameter.
 */
final class PathParameters {

    private PathParameters() {
    }

    /** Returns {@code path} without the parameters of its segments, or {@code path} itself when it has no {@code ;}. */
    static String strip(String path) {
        int semicolon = path.indexOf(';');
        if (semicolon < 0) {
            return path;
        }
        StringBuilder stripped = new StringBuilder(path.length());
        int start = 0;
        while (semicolon >= 0) {
            stripped.append(path, start, semicolon);
            int slash = path.indexOf('/', semicolon);
            if (slash < 0) {
                return stripped.toString();
            }
            start = slash;
            semicolon = path.indexOf(';', slash);
        }
        return stripped.append(path, start, path.length()).toString();
    }

    /**
     * Returns the index in {@code path} just after the segments that {@code prefix} spells, including the parameters
     * of each of them, or -1 when {@code path} does not start with those segments. {@code prefix} has no
     * parameters and ends at a segment boundary, as the matched prefix of a route does: {@code /api} spans
     * {@code /api;v=2} in {@code /api;v=2/pets}, and {@code /api/} spans {@code /api;v=2/}.
     */
    static int prefixEnd(String path, String prefix) {
        int at = 0;
        for (int i = 0; i < prefix.length(); i++) {
            char c = prefix.charAt(i);
            if (c == '/') {
                at = skipParameters(path, at);
            }
            if (at >= path.length() || path.charAt(at) != c) {
                return -1;
            }
            at++;
        }
        return prefix.endsWith("/") ? at : skipParameters(path, at);
    }

    /** Returns the index of the {@code /} or end that follows the parameters starting at {@code at}, if any. */
    private static int skipParameters(String path, int at) {
        if (at >= path.length() || path.charAt(at) != ';') {
            return at;
        }
        int slash = path.indexOf('/', at);
        return slash < 0 ? path.length() : slash;
    }
}

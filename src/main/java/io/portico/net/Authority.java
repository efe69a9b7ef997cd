package io.portico.net;

/**
 * Checks {@code host [":" port]} values such as the Host header and the HTTP/2 {@code :authority} against RFC 3986
 * section 3.2, minus percent-encoding.
 */
public final class Authority {

    private static final int MAX_PORT = 65_535;

    private Authority() {
    }

    /**
     * Returns true when {@code value} is a bracketed IPv6 literal, or a registered name or IPv4 address, followed
     * by an optional port. An empty host is valid, as RFC 9110 section 7.2 allows; user information is not. A colon
     * with an empty port is valid too, because RFC 3986 section 3.2.3 defines port as {@code *DIGIT}, where an
     * empty port means the scheme's default. A percent sign is rejected, although RFC 3986 allows percent-encoded
     * octets in a registered name: no DNS name contains one, and Vert.x 5.0.7 cannot parse it
     * ({@code HostAndPortImpl.parseRegName} indexes the string by the code of '%' and throws
     * {@link StringIndexOutOfBoundsException} for a short value, or misreads a long one). Vert.x parses every value
     * accepted here without an exception.
     */
    public static boolean isValid(String value) {
        int portColon;
        if (value.startsWith("[")) {
            int close = value.indexOf(']');
            if (close < 0 || !isIpLiteral(value, 1, close)) {
                return false;
            }
            portColon = close + 1;
            if (portColon < value.length() && value.charAt(portColon) != ':') {
                return false;
            }
        } else {
            portColon = value.indexOf(':');
            portColon = portColon < 0 ? value.length() : portColon;
            if (!isRegisteredName(value, 0, portColon)) {
                return false;
            }
        }
        return portColon >= value.length() || isPort(value, portColon + 1);
    }

    private static boolean isIpLiteral(String value, int start, int end) {
        if (start == end) {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.')) {
                return false;
            }
        }
        return true;
    }

    /** Accepts the unreserved characters and sub-delimiters of a reg-name. */
    private static boolean isRegisteredName(String value, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || "-._~!$&'()*+,;=".indexOf(c) >= 0;
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns {@code value} without the colon of an empty port, so that {@code example.com:} and {@code example.com}
     * name the same authority. {@code value} must be valid by {@link #isValid}.
     */
    public static String withoutEmptyPort(String value) {
        return value.endsWith(":") ? value.substring(0, value.length() - 1) : value;
    }

    private static boolean isPort(String value, int start) {
        int length = value.length() - start;
        if (length > 5) {
            return false;
        }
        int port = 0;
        for (int i = start; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
            port = port * 10 + c - '0';
        }
        return port <= MAX_PORT;
    }
}

package io.portico.gateway;

import io.portico.config.HeaderNames;
import io.portico.gateway.ClientAddressResolver.Entry;
import io.portico.gateway.ClientAddressResolver.Node;
import io.portico.net.IpAddress;

/**
 * Parsers for the entries of {@code X-Forwarded-For} and the elements of {@code Forwarded} (RFC 7239). They
 * work on index ranges of the header value, so that the resolver can read a header from the right, one entry
 * at a time, without splitting it.
 *
 * <p>Accepted nodes: an IPv4 address, an IPv6 address bare or in brackets, either with an optional port
 * ({@code 192.0.2.43:47011}, {@code [2001:db8::17]:4711}), {@code unknown}, and obfuscated identifiers
 * ({@code _hidden}, RFC 7239 section 6.3).
 */
final class ForwardedValues {

    private ForwardedValues() {
    }

    /**
     * Returns where the {@code Forwarded} element that ends at {@code end} starts: just after the previous comma
     * outside a quoted string, or 0. Returns -1 when a quoted string in it has no opening quote.
     */
    static int elementStart(String value, int end) {
        boolean quoted = false;
        for (int i = end - 1; i >= 0; i--) {
            char c = value.charAt(i);
            if (c == '"') {
                // Scanning backwards, a quote inside a quoted string is escaped when an odd number of
                // backslashes precedes it; otherwise it opens the string.
                quoted = !quoted || escaped(value, i);
            } else if (c == ',' && !quoted) {
                return i + 1;
            }
        }
        return quoted ? -1 : 0;
    }

    /**
     * Parses the {@code for} parameter of the {@code Forwarded} element in {@code value[start, end)}. An element
     * without {@code for} is {@link Node#UNKNOWN}; a repeated parameter or a syntax error is
     * {@link Node#MALFORMED}.
     */
    static Node forNode(String value, int start, int end, Entry entry) {
        int i = skipSpace(value, start, end);
        if (i == trimEnd(value, i, end)) {
            return Node.EMPTY;
        }
        Node found = null;
        while (i < end) {
            if (value.charAt(i) == ';') {
                // RFC 7239 allows empty pairs: for=192.0.2.60;;proto=http
                i = skipSpace(value, i + 1, end);
                continue;
            }
            int nameStart = i;
            while (i < end && HeaderNames.isTokenChar(value.charAt(i))) {
                i++;
            }
            if (i == nameStart || i == end || value.charAt(i) != '=') {
                return Node.MALFORMED;
            }
            boolean isFor = i - nameStart == 3 && value.regionMatches(true, nameStart, "for", 0, 3);
            i++;
            int valueStart;
            int valueEnd;
            if (i < end && value.charAt(i) == '"') {
                valueStart = i + 1;
                valueEnd = closingQuote(value, valueStart, end);
                if (valueEnd < 0) {
                    return Node.MALFORMED;
                }
                i = valueEnd + 1;
            } else {
                valueStart = i;
                while (i < end && HeaderNames.isTokenChar(value.charAt(i))) {
                    i++;
                }
                valueEnd = i;
            }
            if (isFor) {
                if (found != null) {
                    return Node.MALFORMED;
                }
                found = node(value, valueStart, valueEnd, entry);
                if (found == Node.EMPTY) {
                    return Node.MALFORMED;
                }
            }
            i = skipSpace(value, i, end);
            if (i < end && value.charAt(i) != ';') {
                return Node.MALFORMED;
            }
        }
        return found == null ? Node.UNKNOWN : found;
    }

    /** Parses one node: an {@code X-Forwarded-For} entry, or the value of a {@code Forwarded for} parameter. */
    static Node node(String value, int start, int end, Entry entry) {
        start = skipSpace(value, start, end);
        end = trimEnd(value, start, end);
        if (start == end) {
            return Node.EMPTY;
        }

        if (end - start == 7 && value.regionMatches(true, start, "unknown", 0, 7)) {
            return Node.UNKNOWN;
        }
        char first = value.charAt(start);
        if (first == '_') {
            return isObfuscated(value, start, end) ? Node.UNKNOWN : Node.MALFORMED;
        }

        int addressEnd = end;
        int portStart = -1;
        if (first == '[') {
            int close = value.indexOf(']', start);
            int colon = value.indexOf(':', start);
            if (close < 0 || close >= end || colon < 0 || colon > close) {
                return Node.MALFORMED;
            }
            start++;
            addressEnd = close;
            portStart = close + 1;
        } else {
            int colon = value.indexOf(':', start);
            if (colon >= 0 && colon < end && value.lastIndexOf(':', end - 1) == colon) {
                // A single colon separates an IPv4 address from its port; IPv6 addresses have several.
                addressEnd = colon;
                portStart = colon;
            }
        }
        if (portStart >= 0 && portStart < end && !isPort(value, portStart, end)) {
            return Node.MALFORMED;
        }

        IpAddress address = IpAddress.parse(value, start, addressEnd);
        if (address == null) {
            return Node.MALFORMED;
        }
        entry.address = address;
        return Node.ADDRESS;
    }

    /** Returns true for {@code :} followed by 1 to 5 digits or an obfuscated port ({@code :_abc}). */
    private static boolean isPort(String value, int colon, int end) {
        if (value.charAt(colon) != ':' || colon + 1 == end) {
            return false;
        }
        if (value.charAt(colon + 1) == '_') {
            return isObfuscated(value, colon + 1, end);
        }
        if (end - colon - 1 > 5) {
            return false;
        }
        for (int i = colon + 1; i < end; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** Returns true for {@code _} followed by letters, digits, {@code .}, {@code _} or {@code -}. */
    private static boolean isObfuscated(String value, int start, int end) {
        if (end - start < 2) {
            return false;
        }
        for (int i = start + 1; i < end; i++) {
            char c = value.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
                    || c == '.' || c == '_' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns the index of the quote that closes a quoted string whose content starts at {@code start}, or -1.
     * A backslash escapes the next character.
     */
    private static int closingQuote(String value, int start, int end) {
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            if (c == '\\') {
                i++;
            } else if (c == '"') {
                return i;
            }
        }
        return -1;
    }

    private static boolean escaped(String value, int quote) {
        int backslashes = 0;
        for (int i = quote - 1; i >= 0 && value.charAt(i) == '\\'; i--) {
            backslashes++;
        }
        return backslashes % 2 == 1;
    }

    private static int skipSpace(String value, int start, int end) {
        while (start < end && (value.charAt(start) == ' ' || value.charAt(start) == '\t')) {
            start++;
        }
        return start;
    }

    private static int trimEnd(String value, int start, int end) {
        while (end > start && (value.charAt(end - 1) == ' ' || value.charAt(end - 1) == '\t')) {
            end--;
        }
        return end;
    }
}

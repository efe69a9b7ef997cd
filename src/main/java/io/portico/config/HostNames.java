package io.portico.config;

import io.portico.net.IpAddress;

/** The syntax of the host names and address literals that routes match and services connect to. */
final class HostNames {

    /** Longest DNS name in text form, without the final dot. */
    private static final int MAX_NAME_LENGTH = 253;
    private static final int MAX_LABEL_LENGTH = 63;

    private HostNames() {
    }

    /**
     * Returns whether {@code host} is a DNS name of RFC 1123 labels: 1 to 63 letters, digits, {@code -} or
     * {@code _} each, not starting or ending with {@code -}, joined by single dots, without a final dot. The
     * underscore is outside RFC 1123, but container and service-discovery names such as {@code orders_api} use it and
     * resolvers return addresses for them. The last label must not be all digits, so that a mistyped IPv4 address
     * such as {@code 999.1.1.1} is not taken for a name.
     */
    static boolean isDnsName(String host) {
        if (host == null || host.isEmpty() || host.length() > MAX_NAME_LENGTH) {
            return false;
        }
        int start = 0;
        while (true) {
            int dot = host.indexOf('.', start);
            int end = dot < 0 ? host.length() : dot;
            if (!isLabel(host, start, end)) {
                return false;
            }
            if (dot < 0) {
                return !allDigits(host, start, end);
            }
            start = dot + 1;
        }
    }

    /**
     * Returns whether {@code host} can be a target host: a DNS name as {@link #isDnsName} reads it, an IPv4
     * address in dotted-quad form, or an IPv6 address with or without brackets. A port is never part of it.
     */
    static boolean isTargetHost(String host) {
        if (host == null) {
            return false;
        }
        if (host.startsWith("[") && host.endsWith("]")) {
            return isIpv6(host.substring(1, host.length() - 1));
        }
        if (host.indexOf(':') >= 0) {
            return isIpv6(host);
        }
        return IpAddress.parse(host) != null || isDnsName(host);
    }

    /** Returns whether {@code host} is an IPv4 address in dotted-quad form. */
    static boolean isIpv4(String host) {
        return host.indexOf(':') < 0 && IpAddress.parse(host) != null;
    }

    private static boolean isIpv6(String literal) {
        return literal.indexOf(':') >= 0 && IpAddress.parse(literal) != null;
    }

    private static boolean isLabel(String host, int start, int end) {
        int length = end - start;
        if (length < 1 || length > MAX_LABEL_LENGTH || host.charAt(start) == '-' || host.charAt(end - 1) == '-') {
            return false;
        }
        for (int i = start; i < end; i++) {
            char c = host.charAt(i);
            boolean valid = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-'
                    || c == '_';
            if (!valid) {
                return false;
            }
        }
        return true;
    }

    private static boolean allDigits(String host, int start, int end) {
        for (int i = start; i < end; i++) {
            if (host.charAt(i) < '0' || host.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }
}

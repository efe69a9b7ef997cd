package io.portico.net;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Parses the URLs that Portico fetches from: key sets, introspection endpoints, AI providers and image URLs.
 * Schemes are case-insensitive (RFC 3986 section 3.1), so {@code HTTP://} is read as {@code http://}. A host written
 * as an IPv4 address with a trailing dot, {@code 127.0.0.1.}, is read as the address without it, as the WHATWG URL
 * standard does; {@link URI} would otherwise report no host at all. Address checks (loopback, private) run on the
 * host that this class returns, so neither form passes them.
 *
 * <p>A host that ends in a number but is not four decimal octets without leading zeros ({@code 0177.0.0.1},
 * {@code 0x7f000001}, {@code 127.1}, {@code 2130706433}) is rejected as ambiguous. {@link java.net.InetAddress}
 * reads {@code 0177.0.0.1} as the decimal 177.0.0.1 and looks {@code 0x7f000001} up in DNS, while the WHATWG URL
 * standard, and browsers and curl with it, read both as 127.0.0.1, so an address check and the reader of the URL
 * could disagree on where it leads.
 */
public final class HttpUrls {

    /** Four decimal labels followed by a dot, the form that {@link URI} does not accept as a host. */
    private static final Pattern IPV4_TRAILING_DOT = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}\\.");

    /** A decimal number without leading zeros, of at most three digits. */
    private static final Pattern DECIMAL_OCTET = Pattern.compile("0|[1-9][0-9]{0,2}");

    private HttpUrls() {
    }

    /**
     * Parses {@code text} as a URI with a lower-case scheme, and with the trailing dot dropped from an IPv4 host.
     * Other URIs are returned as {@link URI} parses them.
     *
     * @throws URISyntaxException when {@code text} is not a URI
     */
    public static URI parse(String text) throws URISyntaxException {
        URI uri = new URI(text);
        String scheme = uri.getScheme();
        if (scheme == null) {
            return uri;
        }
        String authority = uri.getRawAuthority();
        if (authority != null && isAmbiguousIpv4(hostOf(authority))) {
            throw new URISyntaxException(text, "the host " + hostOf(authority) + " is an ambiguous IPv4 address"
                    + " form, which programs read as different addresses; write the address as four decimal"
                    + " numbers without leading zeros, such as 127.0.0.1");
        }
        String fixedAuthority = authority == null || uri.getHost() != null ? authority : withoutIpv4Dot(authority);
        String lowerScheme = scheme.toLowerCase(Locale.ROOT);
        if (lowerScheme.equals(scheme) && (fixedAuthority == null || fixedAuthority.equals(authority))) {
            return uri;
        }
        String rest = text.substring(scheme.length());
        if (fixedAuthority != null && !fixedAuthority.equals(authority)) {
            // The text is scheme "://" authority path..., and the raw authority appears in it unchanged.
            rest = "://" + fixedAuthority + rest.substring(3 + authority.length());
        }
        return new URI(lowerScheme + rest);
    }

    /** Returns true when {@code uri} has the scheme {@code http} or {@code https}, in any case, and a host. */
    public static boolean isHttp(URI uri) {
        String scheme = uri.getScheme();
        return ("http".equalsIgnoreCase(scheme) || "https".equalsIgnoreCase(scheme)) && uri.getHost() != null;
    }

    /**
     * Returns true when {@code host} ends in a number, so the WHATWG URL standard reads it as an IPv4 address, but is
     * not four decimal octets from 0 to 255 without leading zeros. A single trailing dot is ignored. Bracketed IPv6
     * literals and names whose last label is not a number return false.
     */
    public static boolean isAmbiguousIpv4(String host) {
        if (host.startsWith("[")) {
            return false;
        }
        String name = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
        String[] labels = name.split("\\.", -1);
        if (!isNumber(labels[labels.length - 1])) {
            return false;
        }
        if (labels.length != 4) {
            return true;
        }
        for (String label : labels) {
            if (!DECIMAL_OCTET.matcher(label).matches() || Integer.parseInt(label) > 255) {
                return true;
            }
        }
        return false;
    }

    /** Returns true for a label that the WHATWG URL standard reads as a number: decimal digits, or 0x and hex. */
    private static boolean isNumber(String label) {
        if (label.isEmpty()) {
            return false;
        }
        String digits = label;
        String allowed = "0123456789";
        if (label.length() >= 2 && label.charAt(0) == '0' && (label.charAt(1) == 'x' || label.charAt(1) == 'X')) {
            digits = label.substring(2);
            allowed = "0123456789abcdefABCDEF";
        }
        for (int i = 0; i < digits.length(); i++) {
            if (allowed.indexOf(digits.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }

    /** Returns the host of a raw authority: without user information and port, IPv6 literals with brackets. */
    private static String hostOf(String authority) {
        String hostPort = authority.substring(authority.lastIndexOf('@') + 1);
        if (hostPort.startsWith("[")) {
            int close = hostPort.indexOf(']');
            return close < 0 ? hostPort : hostPort.substring(0, close + 1);
        }
        int colon = hostPort.lastIndexOf(':');
        return colon < 0 ? hostPort : hostPort.substring(0, colon);
    }

    private static String withoutIpv4Dot(String authority) {
        int at = authority.lastIndexOf('@');
        String userInfo = at < 0 ? "" : authority.substring(0, at + 1);
        String hostPort = authority.substring(at + 1);
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? hostPort : hostPort.substring(0, colon);
        String port = colon < 0 ? "" : hostPort.substring(colon);
        if (!IPV4_TRAILING_DOT.matcher(host).matches()) {
            return authority;
        }
        return userInfo + host.substring(0, host.length() - 1) + port;
    }
}

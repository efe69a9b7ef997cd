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
 */
public final class HttpUrls {

    /** Four decimal labels followed by a dot, the form that {@link URI} does not accept as a host. */
    private static final Pattern IPV4_TRAILING_DOT = Pattern.compile("[0-9]{1,3}(\\.[0-9]{1,3}){3}\\.");

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

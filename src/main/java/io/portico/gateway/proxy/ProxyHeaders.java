package io.portico.gateway.proxy;

import io.portico.config.HeaderNames;
import io.portico.config.HeaderValues;
import io.portico.config.RouteSpec.HeaderOperations;
import io.portico.net.IpAddress;
import io.portico.net.IpRangeSet;
import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Copies headers between the client and the upstream the way a reverse proxy must (RFC 9110 section 7.6):
 * hop-by-hop headers and every header named in {@code Connection} are dropped, and the forwarding headers
 * {@code X-Forwarded-For/Proto/Host/Port} and {@code Forwarded} (RFC 7239) are set.
 *
 * <p>No name or value written here contains a control character other than HTAB (CR, LF and NUL included),
 * whatever its source: {@link #isSafeValue} drops copied headers and configured operations that do, and leaves out
 * the parts of forwarding headers that would. A
 * copied name is always a token, so it contains no colon or space either. HTTP/1.x decoding already rejects such
 * request headers, but HTTP/2 fields and upstream responses reach this class unchecked.
 */
final class ProxyHeaders {

    // Names as AsciiString keep their hash code, so the header maps do not hash them again for every request.
    private static final CharSequence X_FORWARDED_FOR = HttpHeaders.createOptimized("X-Forwarded-For");
    private static final CharSequence X_FORWARDED_PROTO = HttpHeaders.createOptimized("X-Forwarded-Proto");
    private static final CharSequence X_FORWARDED_HOST = HttpHeaders.createOptimized("X-Forwarded-Host");
    private static final CharSequence X_FORWARDED_PORT = HttpHeaders.createOptimized("X-Forwarded-Port");
    private static final CharSequence FORWARDED = HttpHeaders.createOptimized("Forwarded");

    private ProxyHeaders() {
    }

    /**
     * Copies the client's request headers to {@code out}, without Host, Expect, hop-by-hop headers and the
     * {@code underscoreAliases} of headers Portico sets. The gateway meets the client's {@code Expect: 100-continue}
     * itself, by sending 100 Continue when it reads the body, and sends the upstream a request whose body follows at
     * once, with no expectation for the upstream to meet.
     */
    static void copyRequestHeaders(HttpServerRequest request, MultiMap out, UnderscoreAliases underscoreAliases) {
        MultiMap in = request.headers();
        Set<String> connectionTokens = connectionTokens(in);
        // forEach walks the map's own entries; its iterator would allocate a wrapper for each header.
        in.forEach((name, value) -> {
            boolean forwarded = !isHopByHop(name, connectionTokens) && !name.equalsIgnoreCase("host")
                    && !name.equalsIgnoreCase("expect") && HeaderNames.isToken(name)
                    && !underscoreAliases.matches(name);
            if (forwarded && isSafeValue(value)) {
                out.add(name, value);
            }
        });
    }

    /**
     * Writes the headers of the request forwarded for {@code ctx} to {@code out}, all but Host. The route's header
     * operations run before Portico sets the identity, forwarding and request id headers. Validation already rejects
     * operations on those names, and this order keeps Portico's values even for an operation that validation missed.
     */
    static void writeRequestHeaders(RequestContext ctx, ProxySettings settings, CharSequence requestIdHeader,
                                    MultiMap out) {
        copyRequestHeaders(ctx.request(), out, settings.underscoreAliases());
        apply(ctx.route().spec().requestHeaders(), out);
        settings.identityHeaders().apply(ctx, out);
        addForwardingHeaders(ctx, out, settings.trustedProxies());
        out.set(requestIdHeader, ctx.requestId());
    }

    /**
     * Copies the upstream's response headers to {@code out}, without hop-by-hop headers. A name that is not a token,
     * such as an HTTP/2 pseudo-header like {@code :status}, is not copied.
     */
    static void copyResponseHeaders(MultiMap in, MultiMap out) {
        Set<String> connectionTokens = connectionTokens(in);
        in.forEach((name, value) -> {
            if (!isHopByHop(name, connectionTokens) && HeaderNames.isToken(name) && isSafeValue(value)) {
                out.add(name, value);
            }
        });
    }

    /**
     * Returns false when a field name of {@code headers}, other than an HTTP/2 pseudo-header, is not a token: it
     * contains a colon, a space or another character RFC 9110 section 5.6.2 does not allow. RFC 9113 section 8.2.1
     * makes an HTTP/2 message with such a name malformed, and HTTP/1.1 cannot carry the name at all.
     */
    static boolean hasValidFieldNames(MultiMap headers) {
        for (Map.Entry<String, String> header : headers) {
            String name = header.getKey();
            boolean pseudo = !name.isEmpty() && name.charAt(0) == ':';
            if (!pseudo && !HeaderNames.isToken(name)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Sets the forwarding headers that tell the upstream who the client is and what it requested. The client's
     * own {@code X-Forwarded-For} and {@code Forwarded} values are replaced: both list the addresses of
     * {@link RequestContext#forwardedFor()}, the resolved client first and the socket peer last, so entries that
     * no trusted proxy vouched for never reach the upstream.
     */
    static void addForwardingHeaders(RequestContext ctx, MultiMap out, IpRangeSet trustedProxies) {
        HttpServerRequest request = ctx.request();
        List<IpAddress> hops = ctx.forwardedFor();
        if (hops.isEmpty()) {
            out.remove(X_FORWARDED_FOR);
        } else {
            out.set(X_FORWARDED_FOR, hops.size() == 1 ? hops.get(0).toString() : join(hops));
        }
        HostAndPort authority = request.authority();
        String host = authority == null || !isSafeValue(authority.host()) ? null
                : authority.port() > 0 ? authority.host() + ":" + authority.port() : authority.host();
        String proto = ctx.scheme();
        String forwardedHost = host;
        String port = request.localAddress() == null ? null : Integer.toString(request.localAddress().port());
        if (!trustedProxies.isEmpty() && !hops.isEmpty() && trustedProxies.contains(hops.get(hops.size() - 1))) {
            // A trusted proxy in front, such as a load balancer that ends TLS, saw the client's own scheme and host.
            proto = trustedValue(request.getHeader(X_FORWARDED_PROTO), ProxyHeaders::isScheme, proto);
            forwardedHost = trustedValue(request.getHeader(X_FORWARDED_HOST), ProxyHeaders::isHost, forwardedHost);
            port = trustedValue(request.getHeader(X_FORWARDED_PORT), ProxyHeaders::isPort, port);
        }
        out.set(X_FORWARDED_PROTO, proto);
        // The client's own values of these headers are never passed on, even when Portico has none to put instead.
        out.remove(X_FORWARDED_HOST);
        out.remove(X_FORWARDED_PORT);
        if (forwardedHost != null) {
            out.set(X_FORWARDED_HOST, forwardedHost);
        }
        if (port != null) {
            out.set(X_FORWARDED_PORT, port);
        }
        StringBuilder forwarded = new StringBuilder(64);
        for (int i = 0; i < hops.size() - 1; i++) {
            forwarded.append("for=").append(forwardedNode(hops.get(i))).append(", ");
        }
        String peer = hops.isEmpty() ? "unknown" : forwardedNode(hops.get(hops.size() - 1));
        forwarded.append("for=").append(peer).append(";proto=").append(ctx.scheme());
        if (host != null) {
            forwarded.append(";host=\"").append(host).append('"');
        }
        // Every part is an address, a scheme or a checked host, so the value is always safe to write.
        out.set(FORWARDED, forwarded.toString());
    }

    /**
     * Returns the value a trusted proxy sent, lower-cased, when it is one valid value. Otherwise, for a list such as
     * {@code https, http} too, returns {@code own}.
     */
    private static String trustedValue(String sent, Predicate<String> valid, String own) {
        if (sent == null) {
            return own;
        }
        String value = sent.trim().toLowerCase(Locale.ROOT);
        return valid.test(value) ? value : own;
    }

    private static boolean isScheme(String value) {
        return value.equals("https") || value.equals("http");
    }

    /** Returns true for a host name, an IPv4 address or a bracketed IPv6 address, with an optional port. */
    private static boolean isHost(String value) {
        if (value.isEmpty() || value.length() > 261) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            boolean allowed = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == ':'
                    || c == '[' || c == ']' || c == '_';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }

    private static boolean isPort(String value) {
        if (value.isEmpty() || value.length() > 5) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return false;
            }
        }
        int port = Integer.parseInt(value);
        return port >= 1 && port <= 65_535;
    }

    private static String join(List<IpAddress> hops) {
        StringBuilder joined = new StringBuilder(16 * hops.size());
        for (IpAddress hop : hops) {
            if (joined.length() > 0) {
                joined.append(", ");
            }
            joined.append(hop);
        }
        return joined.toString();
    }

    /** Applies a route's header operations: removals first, then replacements, then additions. */
    static void apply(HeaderOperations operations, MultiMap headers) {
        if (operations == null) {
            return;
        }
        for (String name : operations.remove()) {
            headers.remove(name);
        }
        operations.set().forEach((name, value) -> setIfSafe(headers, name, value));
        operations.add().forEach((name, value) -> {
            if (isSafeValue(name) && isSafeValue(value)) {
                headers.add(name, value);
            }
        });
    }

    /**
     * Returns true when {@code value} is a valid header value ({@link HeaderValues#isValid}): it contains no control
     * character other than HTAB. CR, LF and NUL would end a header line or the header section on the wire and let a
     * value inject headers of its own. Vert.x throws on the other control characters when it writes the header, which
     * would leave the exchange without a response.
     */
    static boolean isSafeValue(CharSequence value) {
        return HeaderValues.isValid(value);
    }

    private static void setIfSafe(MultiMap headers, CharSequence name, String value) {
        if (isSafeValue(name) && isSafeValue(value)) {
            headers.set(name, value);
        }
    }

    /**
     * Returns true when the request is a WebSocket opening handshake (RFC 6455 section 4.1): a GET that requests
     * {@code Upgrade: websocket} in {@code Connection}. A request with another method is no handshake, whatever its
     * headers, and is forwarded without {@code Upgrade} like any other request.
     */
    static boolean isWebSocketUpgrade(HttpServerRequest request) {
        if (request.method() != HttpMethod.GET) {
            return false;
        }
        String upgrade = request.getHeader(HttpHeaders.UPGRADE);
        return upgrade != null && upgrade.equalsIgnoreCase("websocket")
                && connectionTokens(request.headers()).contains("upgrade");
    }

    private static boolean isHopByHop(String name, Set<String> connectionTokens) {
        if (isStandardHopByHop(name)) {
            return true;
        }
        return !connectionTokens.isEmpty() && connectionTokens.contains(name.toLowerCase(Locale.ROOT));
    }

    /**
     * Returns true for the hop-by-hop headers of RFC 9110 section 7.6.1 and the non-standard ones proxies also
     * drop ({@code Keep-Alive}, {@code Proxy-Connection}, {@code HTTP2-Settings}). Compares without lower-casing,
     * because this runs for every header of every request.
     */
    private static boolean isStandardHopByHop(String name) {
        switch (name.length()) {
            case 2:
                return name.equalsIgnoreCase("te");
            case 7:
                return name.equalsIgnoreCase("upgrade") || name.equalsIgnoreCase("trailer");
            case 10:
                return name.equalsIgnoreCase("connection") || name.equalsIgnoreCase("keep-alive");
            case 14:
                return name.equalsIgnoreCase("http2-settings");
            case 16:
                return name.equalsIgnoreCase("proxy-connection");
            case 17:
                return name.equalsIgnoreCase("transfer-encoding");
            case 18:
                return name.equalsIgnoreCase("proxy-authenticate");
            case 19:
                return name.equalsIgnoreCase("proxy-authorization");
            default:
                return false;
        }
    }

    private static Set<String> connectionTokens(MultiMap headers) {
        String connection = headers.get(HttpHeaders.CONNECTION);
        if (connection == null) {
            return Set.of();
        }
        List<String> values = headers.getAll(HttpHeaders.CONNECTION);
        boolean common = connection.equalsIgnoreCase("keep-alive") || connection.equalsIgnoreCase("close");
        if (values.size() == 1 && common) {
            // The common values name no header beyond the standard hop-by-hop ones.
            return Set.of();
        }
        Set<String> tokens = new HashSet<>();
        for (String value : values) {
            for (String token : value.split(",")) {
                String trimmed = token.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty()) {
                    tokens.add(trimmed);
                }
            }
        }
        return tokens;
    }

    /** Formats an address as a Forwarded node: IPv6 addresses are bracketed and quoted (RFC 7239 section 6). */
    private static String forwardedNode(IpAddress address) {
        return address.isIpv4() ? address.toString() : "\"[" + address + "]\"";
    }
}

package io.portico.admin;

import io.portico.declarative.DocumentFormat;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Set;

/**
 * Rejects state-changing admin requests (POST, PUT, PATCH, DELETE) that a browser may send for a page of another
 * site (cross-site request forgery). A browser keeps Basic credentials after the admin API's challenge and sends
 * them with such requests, so the check runs before authentication.
 *
 * <ul>
 *   <li>A request with a body, or with any {@code Content-Type}, must declare JSON or YAML, which a page of
 *       another origin can send only after a CORS preflight that the admin API never grants. Anything else,
 *       {@code text/plain} and form encodings included, gets 415 even when the body is empty.</li>
 *   <li>A request that {@code Sec-Fetch-Site} marks as {@code cross-site} or {@code same-site}, or whose
 *       {@code Origin} differs from the admin API's own, gets 403. The own origin is the one whose host and port
 *       equal the {@code Host} header. {@code Sec-Fetch-Site: same-origin} or {@code none} is accepted whatever the
 *       {@code Host}, so a reverse proxy that rewrites {@code Host} does not lock out a browser.</li>
 * </ul>
 *
 * <p>Clients that are not browsers, such as the {@code portico} command line and curl, send neither header and
 * pass. Reads (GET, HEAD, OPTIONS) change nothing and are not checked: a page of another origin cannot read
 * their responses, because the admin API sends no CORS headers.
 */
final class CrossOriginProtection implements Handler<RoutingContext> {

    private static final Set<HttpMethod> STATE_CHANGING =
            Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE);
    private static final String SEC_FETCH_SITE = "Sec-Fetch-Site";

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest request = ctx.request();
        if (STATE_CHANGING.contains(request.method())) {
            checkSite(request);
            checkContentType(request);
        }
        ctx.next();
    }

    private static void checkSite(HttpServerRequest request) {
        String site = request.getHeader(SEC_FETCH_SITE);
        if (site != null) {
            String value = site.trim().toLowerCase(Locale.ROOT);
            if (value.equals("same-origin") || value.equals("none")) {
                return;
            }
        }
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin == null && site == null) {
            return;
        }
        if (origin == null || !isOwnOrigin(origin, request.authority())) {
            throw new Problem(ProblemType.FORBIDDEN, request.method() + " from a page of another origin ("
                    + (origin == null ? SEC_FETCH_SITE + ": " + site : "Origin: " + origin) + ") is rejected to"
                    + " prevent cross-site request forgery; send admin requests from the command line, a script or"
                    + " a page served by this admin API");
        }
    }

    /** Returns true when {@code origin} has the host and port of the {@code Host} header, {@code authority}. */
    private static boolean isOwnOrigin(String origin, HostAndPort authority) {
        if (authority == null) {
            return false;
        }
        URI uri;
        try {
            uri = new URI(origin.trim());
        } catch (URISyntaxException e) {
            return false;
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        int defaultPort = switch (scheme) {
            case "http" -> 80;
            case "https" -> 443;
            default -> -1;
        };
        if (defaultPort < 0 || uri.getHost() == null) {
            return false;
        }
        int originPort = uri.getPort() < 0 ? defaultPort : uri.getPort();
        int hostPort = authority.port() < 0 ? defaultPort : authority.port();
        return hostName(uri.getHost()).equals(hostName(authority.host())) && originPort == hostPort;
    }

    /** Returns a host name in lower case, and an IPv6 literal without its brackets. */
    private static String hostName(String host) {
        String name = host.toLowerCase(Locale.ROOT);
        return name.startsWith("[") && name.endsWith("]") ? name.substring(1, name.length() - 1) : name;
    }

    private static void checkContentType(HttpServerRequest request) {
        String contentType = request.getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType == null) {
            if (hasBody(request)) {
                throw new Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "the request has a body without a"
                        + " Content-Type; send it as application/json");
            }
            return;
        }
        if (DocumentFormat.of(contentType).isEmpty() || !contentType.contains("/")) {
            throw new Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, request.method() + " requests must be"
                    + " application/json (or application/yaml for a configuration document), even without a body,"
                    + " not " + contentType);
        }
    }

    private static boolean hasBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        return request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null
                || length != null && !length.trim().equals("0");
    }
}

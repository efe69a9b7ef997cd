package io.portico.policy.cors;

import static java.util.Objects.requireNonNull;

import io.portico.config.HeaderNames;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.List;
import java.util.Locale;

/**
 * The {@code cors} policy: responds to CORS preflight requests itself and adds the CORS headers to the other
 * responses of its route, following the CORS protocol of the Fetch standard.
 *
 * <table>
 *   <caption>Responses by kind of request</caption>
 *   <tr><th>request</th><th>origin allowed</th><th>origin not allowed</th></tr>
 *   <tr><td>preflight: {@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method}</td>
 *       <td>204 with the allowed methods and headers and {@code Access-Control-Max-Age}, answered without the
 *       upstream; 403 {@code cors-rejected} when the method or a header is not allowed</td>
 *       <td>403 {@code cors-rejected} without CORS headers</td></tr>
 *   <tr><td>any other request with {@code Origin}</td>
 *       <td>forwarded; the response gets {@code Access-Control-Allow-Origin}, and the credentials and exposed
 *       headers when configured</td>
 *       <td>forwarded; the response gets no CORS headers, so the browser hides it from the page</td></tr>
 *   <tr><td>request without {@code Origin}</td><td colspan="2">forwarded; the response gets no CORS
 *       headers</td></tr>
 * </table>
 *
 * <p>Every response that passes the policy gets {@code Vary: Origin}, because whether it carries CORS headers
 * depends on the origin. CORS headers the upstream sent are removed first, so the client never sees two
 * conflicting sets. With {@code allowOrigins: ["*"]} the policy answers {@code Access-Control-Allow-Origin: *}
 * and never sends credentials; validation rejects that list together with {@code allowCredentials: true}.
 */
final class CorsPolicy implements Policy {

    static final String NAME = "cors";
    /** Every CORS response header, removed from upstream responses. */
    private static final List<CharSequence> RESPONSE_HEADERS = List.of(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN,
            HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS,
            HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS,
            HttpHeaders.ACCESS_CONTROL_MAX_AGE, HttpHeaders.ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK);
    private static final String PREFLIGHT_VARY = "Origin, Access-Control-Request-Method, "
            + "Access-Control-Request-Headers";
    private static final String PREFLIGHT_VARY_PRIVATE_NETWORK = PREFLIGHT_VARY
            + ", Access-Control-Request-Private-Network";
    private static final String ORIGIN = "Origin";

    private final CorsSettings settings;

    CorsPolicy(CorsSettings settings) {
        this.settings = requireNonNull(settings, "settings");
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        HttpServerRequest request = ctx.request();
        String origin = request.getHeader(HttpHeaders.ORIGIN);
        if (origin != null && request.method() == HttpMethod.OPTIONS
                && request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD) != null) {
            preflight(ctx, origin);
            return;
        }
        String allowed = origin != null && settings.origins().allows(origin) ? origin : null;
        ctx.onResponseHeaders(headers -> setResponseHeaders(headers, allowed));
        chain.proceed(ctx);
    }

    /** Replaces the CORS headers of a response; {@code origin} is the allowed request origin, or null. */
    private void setResponseHeaders(MultiMap headers, String origin) {
        for (CharSequence name : RESPONSE_HEADERS) {
            headers.remove(name);
        }
        addVary(headers);
        if (origin == null) {
            return;
        }
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, settings.origins().isAny() ? "*" : origin);
        if (settings.allowCredentials()) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        if (settings.exposeHeadersValue() != null) {
            headers.set(HttpHeaders.ACCESS_CONTROL_EXPOSE_HEADERS, settings.exposeHeadersValue());
        }
    }

    private void preflight(RequestContext ctx, String origin) {
        HttpServerRequest request = ctx.request();
        String method = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD).trim();
        String requested = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_HEADERS);
        String rejection = preflightRejection(origin, method, requested);
        if (rejection != null) {
            ctx.fail(ProblemType.CORS_REJECTED, rejection);
            return;
        }

        HttpServerResponse response = ctx.response();
        MultiMap headers = response.headers();
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_ORIGIN, settings.origins().isAny() ? "*" : origin);
        if (settings.allowCredentials()) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_CREDENTIALS, "true");
        }
        headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_METHODS, settings.anyMethod() ? method
                : settings.allowMethodsValue());
        String allowHeaders = settings.anyHeader() ? echoedHeaders(requested) : settings.allowHeadersValue();
        if (allowHeaders != null) {
            headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_HEADERS, allowHeaders);
        }
        headers.set(HttpHeaders.ACCESS_CONTROL_MAX_AGE, settings.maxAgeValue());
        if (settings.allowPrivateNetwork()) {
            if ("true".equalsIgnoreCase(request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_PRIVATE_NETWORK))) {
                headers.set(HttpHeaders.ACCESS_CONTROL_ALLOW_PRIVATE_NETWORK, "true");
            }
            headers.set(HttpHeaders.VARY, PREFLIGHT_VARY_PRIVATE_NETWORK);
        } else {
            headers.set(HttpHeaders.VARY, PREFLIGHT_VARY);
        }
        ctx.logField("cors", "preflight");
        ctx.applyResponseHeaderHooks(headers);
        response.setStatusCode(204).end();
    }

    /** Returns why the preflight is rejected, or null when its origin, method and headers are all allowed. */
    private String preflightRejection(String origin, String method, String requestedHeaders) {
        if (!settings.origins().allows(origin)) {
            return "the origin is not allowed";
        }
        if (!HeaderNames.isToken(method)) {
            return "Access-Control-Request-Method is not a method";
        }
        if (!settings.anyMethod() && !settings.methods().contains(method)) {
            return "method " + method + " is not allowed";
        }
        return requestedHeaders == null ? null : rejectedHeader(requestedHeaders);
    }

    /**
     * Returns why {@code requested}, the comma-separated {@code Access-Control-Request-Headers} value, is
     * rejected, or null when every header in it is allowed.
     */
    private String rejectedHeader(String requested) {
        int start = 0;
        while (start <= requested.length()) {
            int comma = requested.indexOf(',', start);
            int end = comma < 0 ? requested.length() : comma;
            String name = requested.substring(start, end).trim();
            if (!name.isEmpty()) {
                if (!HeaderNames.isToken(name)) {
                    return "Access-Control-Request-Headers is not a list of header names";
                }
                if (!settings.anyHeader() && !settings.headers().contains(name.toLowerCase(Locale.ROOT))) {
                    return "header " + name + " is not allowed";
                }
            }
            start = end + 1;
        }
        return null;
    }

    /** Returns the requested headers to allow when any header is: the request's list, or null when empty. */
    private static String echoedHeaders(String requested) {
        if (requested == null || requested.isBlank()) {
            return null;
        }
        return requested.trim();
    }

    /** Adds {@code Origin} to the {@code Vary} header, unless it lists it already or is {@code *}. */
    private static void addVary(MultiMap headers) {
        if (!headers.contains(HttpHeaders.VARY)) {
            headers.set(HttpHeaders.VARY, ORIGIN);
            return;
        }
        List<String> values = headers.getAll(HttpHeaders.VARY);
        for (String value : values) {
            for (String token : value.split(",")) {
                String trimmed = token.trim();
                if (trimmed.equals("*") || trimmed.equalsIgnoreCase(ORIGIN)) {
                    return;
                }
            }
        }
        headers.set(HttpHeaders.VARY, String.join(", ", values) + ", " + ORIGIN);
    }
}

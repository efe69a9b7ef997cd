package io.portico.policy.auth.bearer;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Errors;
import io.portico.pipeline.RequestContext;
import io.portico.policy.auth.QueryParameters;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where a policy reads the bearer token: the {@code Authorization: Bearer} header by default (RFC 6750 section
 * 2.1), or the configured {@code header}, {@code query} parameter or {@code cookie}, looked up in that order. A
 * configured header other than {@code Authorization} carries the token alone or after {@code Bearer }.
 */
public final class TokenSource {

    private static final String AUTHORIZATION = "authorization";
    private static final String BEARER = "bearer ";

    private final String header;
    private final String query;
    private final String cookie;

    private TokenSource(String header, String query, String cookie) {
        this.header = header;
        this.query = query;
        this.cookie = cookie;
    }

    /** Where a token was found: in a header, a query parameter or a cookie. */
    public enum Location { HEADER, QUERY, COOKIE }

    /** A token and where it was found. */
    public record Token(String value, Location location) {
    }

    /** Reads the {@code token} object of a policy configuration; absent means the Authorization header. */
    public static TokenSource parse(JsonNode config, Errors errors) {
        if (config == null || config.isMissingNode() || config.isNull()) {
            return new TokenSource(AUTHORIZATION, null, null);
        }
        if (!config.isObject()) {
            errors.add("", "must be an object with header, query or cookie");
            return new TokenSource(AUTHORIZATION, null, null);
        }
        config.fieldNames().forEachRemaining(name -> errors.check(List.of("header", "query", "cookie")
                .contains(name), name, "unknown field; expected header, query or cookie"));
        String header = text(config, "header", errors);
        String query = text(config, "query", errors);
        String cookie = text(config, "cookie", errors);
        if (header == null && query == null && cookie == null) {
            errors.add("", "must name a header, a query parameter or a cookie");
        }
        return new TokenSource(header == null ? null : header.toLowerCase(Locale.ROOT), query, cookie);
    }

    private static String text(JsonNode config, String field, Errors errors) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank() || !value.asText().matches("[A-Za-z0-9!#$%&'*+.^_`|~-]+")) {
            errors.add(field, "must be a header, parameter or cookie name");
            return null;
        }
        return value.asText();
    }

    /** Returns the token of the request, or null when it carries none at the configured places. */
    public Token find(RequestContext ctx) {
        HttpServerRequest request = ctx.request();
        if (header != null) {
            String value = request.getHeader(header);
            if (value != null) {
                String token = header.equals(AUTHORIZATION) ? afterBearer(value) : withoutBearer(value);
                if (token != null && !token.isEmpty()) {
                    return new Token(token, Location.HEADER);
                }
            }
        }
        if (query != null) {
            String value = QueryParameters.first(request.uri(), query);
            if (value != null && !value.isEmpty()) {
                return new Token(value, Location.QUERY);
            }
        }
        if (cookie != null) {
            String value = cookieValue(request.headers(), cookie);
            if (value != null && !value.isEmpty()) {
                return new Token(value, Location.COOKIE);
            }
        }
        return null;
    }

    /** Returns the credentials after the {@code Bearer} scheme, or null for another scheme. */
    private static String afterBearer(String value) {
        if (value.length() > BEARER.length() && value.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return value.substring(BEARER.length()).trim();
        }
        return null;
    }

    private static String withoutBearer(String value) {
        String token = afterBearer(value);
        return token == null ? value.trim() : token;
    }

    private static String cookieValue(MultiMap headers, String name) {
        for (String line : headers.getAll("cookie")) {
            for (String pair : line.split(";")) {
                int equals = pair.indexOf('=');
                if (equals > 0 && pair.substring(0, equals).trim().equals(name)) {
                    String value = pair.substring(equals + 1).trim();
                    return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"")
                            ? value.substring(1, value.length() - 1) : value;
                }
            }
        }
        return null;
    }

    /**
     * Removes every token at the configured places from the request forwarded upstream, not only the token that
     * authenticated it: the header, every query parameter with the name and the cookie. An {@code Authorization}
     * header with another scheme than {@code Bearer} stays, because another policy may read it.
     */
    public void remove(RequestContext ctx) {
        MultiMap headers = ctx.request().headers();
        if (header != null) {
            String value = headers.get(header);
            if (value != null && (!header.equals(AUTHORIZATION) || afterBearer(value) != null)) {
                headers.remove(header);
                ctx.credentialHeaderRemoved(header);
            }
        }
        if (query != null) {
            ctx.forwardedUri(QueryParameters.remove(ctx.forwardedUri(), query));
        }
        if (cookie != null && removeCookie(headers, cookie)) {
            ctx.credentialHeaderRemoved("cookie");
        }
    }

    /**
     * Removes every cookie named {@code name} and returns true, or returns false and leaves the Cookie headers as sent
     * when there is none.
     */
    private static boolean removeCookie(MultiMap headers, String name) {
        List<String> rewritten = new ArrayList<>();
        boolean found = false;
        for (String line : headers.getAll("cookie")) {
            List<String> kept = new ArrayList<>();
            for (String pair : line.split(";")) {
                int equals = pair.indexOf('=');
                String cookieName = equals < 0 ? pair.trim() : pair.substring(0, equals).trim();
                if (cookieName.equals(name)) {
                    found = true;
                } else if (!pair.isBlank()) {
                    kept.add(pair.trim());
                }
            }
            if (!kept.isEmpty()) {
                rewritten.add(String.join("; ", kept));
            }
        }
        if (!found) {
            return false;
        }
        headers.remove("cookie");
        rewritten.forEach(line -> headers.add("cookie", line));
        return true;
    }
}

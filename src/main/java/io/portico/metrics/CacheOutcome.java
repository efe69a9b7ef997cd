package io.portico.metrics;

import java.util.Locale;

/**
 * The outcome of a request at a response cache, read from the {@code Cache-Status} header (RFC 9211) that the
 * cache adds. It is a hit, a miss served by an identical request's response, or the {@code fwd} reason the cache
 * forwarded the request for, with the RFC's three kinds of miss folded into one.
 */
public enum CacheOutcome {
    /** Served from the cache. */
    HIT,
    /**
     * A miss that waited for an identical request and was served with its response: {@code collapsed} (or
     * {@code collapsed=?1}) after any {@code fwd}.
     */
    COLLAPSED,
    /** Nothing was stored for the request: {@code fwd=uri-miss}, {@code vary-miss} or {@code miss}. */
    MISS,
    /** A stored response was no longer fresh: {@code fwd=stale}. */
    STALE,
    /** The request cannot be cached: {@code fwd=bypass} or {@code fwd=method}. */
    BYPASS,
    /** The request's own directives, such as {@code no-cache}, ruled out the stored response: {@code fwd=request}. */
    REQUEST,
    /** Any other {@code fwd} value. */
    OTHER;

    private final String label = name().toLowerCase(Locale.ROOT);

    /** The value of the {@code outcome} tag. */
    public String label() {
        return label;
    }

    /**
     * Returns the outcome that {@code cacheStatus} reports, such as {@code Portico; hit; ttl=30},
     * {@code Portico; fwd=uri-miss; collapsed} or {@code Portico; fwd=stale}, or null when the header contains
     * neither {@code hit} nor {@code fwd}.
     */
    public static CacheOutcome parse(String cacheStatus) {
        if (cacheStatus == null) {
            return null;
        }
        String reason = null;
        boolean collapsed = false;
        for (String part : cacheStatus.split(";")) {
            String parameter = part.trim().toLowerCase(Locale.ROOT);
            if (parameter.equals("hit")) {
                return HIT;
            }
            if (parameter.startsWith("fwd=") && reason == null) {
                reason = parameter.substring(4);
            } else if (parameter.equals("collapsed") || parameter.equals("collapsed=?1")) {
                collapsed = true;
            }
        }
        if (reason == null) {
            return null;
        }
        return collapsed ? COLLAPSED : forwarded(reason);
    }

    private static CacheOutcome forwarded(String reason) {
        return switch (reason) {
            case "uri-miss", "vary-miss", "miss" -> MISS;
            case "stale" -> STALE;
            case "bypass", "method" -> BYPASS;
            case "request" -> REQUEST;
            default -> OTHER;
        };
    }
}

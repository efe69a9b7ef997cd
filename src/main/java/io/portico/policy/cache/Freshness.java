package io.portico.policy.cache;

import io.portico.cache.CacheControl;
import io.vertx.core.MultiMap;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Set;

/**
 * Whether a shared cache may store a response, and for how long it stays fresh, after RFC 9111 sections 3 and 4.2.
 * A response is stored when none of these rules rejects it, and each rule's name is the reason reported in the
 * {@code detail} of the {@code Cache-Status} header:
 *
 * <table>
 *   <caption>Rules</caption>
 *   <tr><th>reason</th><th>the response is not stored when</th></tr>
 *   <tr><td>{@code request-no-store}</td><td>the request says {@code no-store}</td></tr>
 *   <tr><td>{@code status}</td><td>its status is 206, 304 or 1xx, or is not cacheable by default (200, 203, 204,
 *       300, 301, 308, 404, 405, 410, 414, 501) and the response states no lifetime</td></tr>
 *   <tr><td>{@code no-store}, {@code private}, {@code no-cache}</td><td>it has that directive; a
 *       {@code no-cache} response would need revalidation on every use, which this cache does not do</td></tr>
 *   <tr><td>{@code authorization}</td><td>the request carried {@code Authorization} and the response has none of
 *       {@code public}, {@code s-maxage} and {@code must-revalidate} (section 3.5)</td></tr>
 *   <tr><td>{@code vary}</td><td>it has {@code Vary: *}, or its {@code Vary} names {@code Host}, whose value the
 *       upstream request gets only when a target is picked, after the look-up. {@link ResponseCapture} gives the
 *       same reason for a {@code Vary} that names a header whose credential authentication removed</td></tr>
 *   <tr><td>{@code set-cookie}</td><td>it sets a cookie, which is most likely meant for one client</td></tr>
 *   <tr><td>{@code no-lifetime}</td><td>it has no lifetime: no {@code s-maxage}, {@code max-age} or
 *       {@code Expires}, no configured {@code defaultTtl}, no {@code Last-Modified} for the heuristic</td></tr>
 *   <tr><td>{@code stale}</td><td>its age already exceeds its lifetime</td></tr>
 * </table>
 * The lifetime is {@code s-maxage}, else {@code max-age}, else {@code Expires} minus {@code Date}, else the
 * configured {@code defaultTtl}, else a tenth of the time between {@code Last-Modified} and {@code Date}; it is
 * capped at {@code maxTtl}. The first of these that the response has decides: an {@code s-maxage} or
 * {@code max-age} whose argument is not a non-negative integer, or an {@code Expires} that is not a date, gives a
 * lifetime of 0, so the response is rejected as {@code stale}.
 */
final class Freshness {

    private static final Set<Integer> CACHEABLE_BY_DEFAULT = Set.of(200, 203, 204, 300, 301, 308, 404, 405, 410,
            414, 501);

    /**
     * The verdict on one response.
     *
     * @param reason why it is not stored, or null when it is
     * @param lifetimeMillis how long it is fresh from its creation at the origin
     * @param initialAgeSeconds its age when received
     */
    record Verdict(String reason, long lifetimeMillis, long initialAgeSeconds) {

        static Verdict reject(String reason) {
            return new Verdict(reason, 0, 0);
        }

        boolean storable() {
            return reason == null;
        }

        /** Returns how long the response stays fresh after it was received, in milliseconds. */
        long remainingMillis() {
            return lifetimeMillis - initialAgeSeconds * 1000;
        }
    }

    private Freshness() {
    }

    /**
     * Judges a response.
     *
     * @param request the request's {@code Cache-Control}
     * @param authorized whether the client's request carried {@code Authorization}, which authentication may have
     *     removed since
     * @param status the response status
     * @param headers the response headers
     * @param nowMillis when the response headers arrived
     */
    static Verdict judge(CacheSettings settings, CacheControl request, boolean authorized, int status,
                         MultiMap headers, long nowMillis) {
        if (request.has("no-store")) {
            return Verdict.reject("request-no-store");
        }
        CacheControl response = CacheControl.parse(headers.getAll("cache-control"));
        boolean explicit = response.has("s-maxage") || response.has("max-age") || headers.contains("expires");
        if (status == 206 || status == 304 || status < 200
                || !CACHEABLE_BY_DEFAULT.contains(status) && !explicit) {
            return Verdict.reject("status");
        }
        for (String directive : new String[] {"no-store", "private", "no-cache"}) {
            if (response.has(directive)) {
                return Verdict.reject(directive);
            }
        }
        if (authorized && !response.has("public") && !response.has("s-maxage") && !response.has("must-revalidate")) {
            return Verdict.reject("authorization");
        }
        for (String vary : headers.getAll("vary")) {
            if (vary.contains("*") || namesHost(vary)) {
                return Verdict.reject("vary");
            }
        }
        if (headers.contains("set-cookie")) {
            return Verdict.reject("set-cookie");
        }
        long date = date(headers.get("date"), nowMillis);
        long lifetime = lifetimeMillis(settings, response, headers, date);
        if (lifetime < 0) {
            return Verdict.reject("no-lifetime");
        }
        lifetime = Math.min(lifetime, settings.maxTtl().toMillis());
        long apparentAge = Math.max(0, nowMillis - date) / 1000;
        long ageValue = deltaSeconds(headers.get("age"));
        long initialAge = Math.max(apparentAge, ageValue);
        Verdict verdict = new Verdict(null, lifetime, initialAge);
        return verdict.remainingMillis() > 0 ? verdict : Verdict.reject("stale");
    }

    private static boolean namesHost(String vary) {
        for (String name : vary.split(",")) {
            if (name.trim().equalsIgnoreCase("host")) {
                return true;
            }
        }
        return false;
    }

    /** Returns the lifetime in milliseconds, or -1 when the response has none. */
    private static long lifetimeMillis(CacheSettings settings, CacheControl response, MultiMap headers, long date) {
        for (String directive : new String[] {"s-maxage", "max-age"}) {
            if (response.has(directive)) {
                // An argument that is not delta-seconds, such as abc, -5 or none, means already expired (RFC 9111
                // section 4.2.1), as an invalid Expires does. The next directive and defaultTtl are not consulted.
                long seconds = response.seconds(directive);
                if (seconds < 0) {
                    return 0;
                }
                return seconds > Long.MAX_VALUE / 1000 ? Long.MAX_VALUE : seconds * 1000;
            }
        }
        String expires = headers.get("expires");
        if (expires != null) {
            // An invalid Expires, such as 0, means already expired (RFC 9111 section 5.3).
            long at = date(expires, Long.MIN_VALUE);
            return at == Long.MIN_VALUE ? 0 : Math.max(0, at - date);
        }
        if (settings.defaultTtl() != null) {
            return settings.defaultTtl().toMillis();
        }
        long lastModified = date(headers.get("last-modified"), Long.MIN_VALUE);
        if (lastModified != Long.MIN_VALUE && lastModified < date) {
            return (date - lastModified) / 10;
        }
        return -1;
    }

    /** Returns the delta-seconds in {@code value}, such as an {@code Age} header, or 0 when absent or invalid. */
    private static long deltaSeconds(String value) {
        if (value == null) {
            return 0;
        }
        try {
            return Math.max(0, Long.parseLong(value.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Parses an HTTP date in the IMF-fixdate form (RFC 9110 section 5.6.7); returns {@code fallback} if invalid. */
    static long date(String value, long fallback) {
        if (value == null) {
            return fallback;
        }
        try {
            return ZonedDateTime.parse(value.trim(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return fallback;
        }
    }

    /** Formats {@code millis} as an IMF-fixdate, for {@code Date} headers. */
    static String format(long millis) {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(
                java.time.Instant.ofEpochMilli(millis).atZone(java.time.ZoneOffset.UTC));
    }
}

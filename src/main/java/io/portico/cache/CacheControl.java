package io.portico.cache;

import io.vertx.core.MultiMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of {@code Cache-Control} header fields (RFC 9111 section 5.2): lower-case names, each with its
 * argument unquoted, or an empty string when it has none. Several fields, or one field with a list, are read as
 * one list; the first occurrence of a directive wins. The {@code cache} policy reads them on REST routes, and the
 * AI gateway on chat requests, so both caches give a request's directives the same meaning.
 */
public final class CacheControl {

    /** No directives. */
    public static final CacheControl NONE = new CacheControl(Map.of());

    private final Map<String, String> directives;

    private CacheControl(Map<String, String> directives) {
        this.directives = directives;
    }

    /** Parses the values of every {@code Cache-Control} field of a message. */
    public static CacheControl parse(List<String> fields) {
        if (fields.isEmpty()) {
            return NONE;
        }
        Map<String, String> directives = new HashMap<>();
        for (String field : fields) {
            parseField(field, directives);
        }
        return new CacheControl(directives);
    }

    private static void parseField(String field, Map<String, String> directives) {
        int i = 0;
        int length = field.length();
        while (i < length) {
            while (i < length && (field.charAt(i) == ',' || field.charAt(i) == ' ' || field.charAt(i) == '\t')) {
                i++;
            }
            int nameStart = i;
            while (i < length && field.charAt(i) != '=' && field.charAt(i) != ',') {
                i++;
            }
            String name = field.substring(nameStart, i).trim().toLowerCase(Locale.ROOT);
            String value = "";
            if (i < length && field.charAt(i) == '=') {
                i++;
                if (i < length && field.charAt(i) == '"') {
                    StringBuilder quoted = new StringBuilder();
                    i++;
                    while (i < length && field.charAt(i) != '"') {
                        if (field.charAt(i) == '\\' && i + 1 < length) {
                            i++;
                        }
                        quoted.append(field.charAt(i));
                        i++;
                    }
                    i++;
                    value = quoted.toString();
                    while (i < length && field.charAt(i) != ',') {
                        i++;
                    }
                } else {
                    int valueStart = i;
                    while (i < length && field.charAt(i) != ',') {
                        i++;
                    }
                    value = field.substring(valueStart, i).trim();
                }
            }
            if (!name.isEmpty()) {
                directives.putIfAbsent(name, value);
            }
        }
    }

    /**
     * Parses the directives of a request with {@code headers}. {@code Pragma: no-cache} counts as
     * {@code Cache-Control: no-cache} when the request has no {@code Cache-Control} field (RFC 9111 section 5.4).
     */
    public static CacheControl request(MultiMap headers) {
        List<String> fields = headers.getAll("cache-control");
        if (fields.isEmpty() && "no-cache".equalsIgnoreCase(headers.get("pragma"))) {
            return parse(List.of("no-cache"));
        }
        return parse(fields);
    }

    /** Returns whether the directive {@code name} is present, with or without an argument. */
    public boolean has(String name) {
        return directives.containsKey(name);
    }

    /**
     * Returns the delta-seconds argument of {@code name} (RFC 9111 section 1.2.2), or -1 when the directive is
     * absent or its argument is not a non-negative integer. Values too large for a long are read as the largest
     * long.
     */
    public long seconds(String name) {
        String value = directives.get(name);
        if (value == null || value.isEmpty()) {
            return -1;
        }
        for (int i = 0; i < value.length(); i++) {
            if (value.charAt(i) < '0' || value.charAt(i) > '9') {
                return -1;
            }
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Returns whether a fresh stored response, {@code ageSeconds} old and fresh for {@code freshMillis} more,
     * satisfies these request directives' {@code max-age} and {@code min-fresh} (RFC 9111 section 5.2.1). A
     * directive whose argument is not delta-seconds, such as {@code max-age=abc} or a bare {@code min-fresh}, is read
     * as the most restrictive value, so no stored response satisfies it. {@code max-stale} is not read: Portico's
     * caches never serve a stale response, so it cannot widen what they serve.
     */
    public boolean accepts(long ageSeconds, long freshMillis) {
        if (has("max-age")) {
            long maxAge = seconds("max-age");
            if (maxAge < 0 || ageSeconds > maxAge) {
                return false;
            }
        }
        if (has("min-fresh")) {
            long minFresh = seconds("min-fresh");
            return minFresh >= 0 && freshMillis / 1000 >= minFresh;
        }
        return true;
    }
}

package io.portico.policy.cache;

import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The directives of {@code Cache-Control} header fields (RFC 9111 section 5.2): lower-case names, each with its
 * argument unquoted, or an empty string when it has none. Several fields, or one field with a list, are read as
 * one list; the first occurrence of a directive wins.
 */
final class CacheControl {

    static final CacheControl NONE = new CacheControl(Map.of());

    private final Map<String, String> directives;

    private CacheControl(Map<String, String> directives) {
        this.directives = directives;
    }

    /** Parses the values of every {@code Cache-Control} field of a message. */
    static CacheControl parse(List<String> fields) {
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

    /** Returns whether the directive {@code name} is present, with or without an argument. */
    boolean has(String name) {
        return directives.containsKey(name);
    }

    /**
     * Returns the delta-seconds argument of {@code name} (RFC 9111 section 1.2.2), or -1 when the directive is
     * absent or its argument is not a non-negative integer. Values too large for a long are read as the largest
     * long.
     */
    long seconds(String name) {
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
}

package io.portico.policy.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/**
 * Reads and edits the query string of a request URI as sent, leaving the encoding of every other parameter
 * unchanged. Parameters are separated by {@code &} only, and names are compared exactly after percent-decoding, so
 * {@code API_KEY} is not {@code api_key}. Look-up and removal share these rules, so a credential that was found is
 * always the one removed.
 */
public final class QueryParameters {

    private QueryParameters() {
    }

    /**
     * Returns the decoded value of the first query parameter of {@code uri} whose decoded name is {@code name}: the
     * empty string for a name without {@code =}, null when there is no such parameter.
     */
    public static String first(String uri, String name) {
        int question = uri.indexOf('?');
        if (question < 0) {
            return null;
        }
        for (String pair : uri.substring(question + 1).split("&", -1)) {
            int equals = pair.indexOf('=');
            String encodedName = equals < 0 ? pair : pair.substring(0, equals);
            if (decode(encodedName).equals(name)) {
                return equals < 0 ? "" : decode(pair.substring(equals + 1));
            }
        }
        return null;
    }

    /**
     * Returns {@code uri} (path and query) without every query parameter whose decoded name is {@code name}. The
     * {@code ?} goes too when no parameter is left.
     */
    public static String remove(String uri, String name) {
        int question = uri.indexOf('?');
        if (question < 0) {
            return uri;
        }
        StringBuilder kept = new StringBuilder(uri.length());
        for (String pair : uri.substring(question + 1).split("&", -1)) {
            int equals = pair.indexOf('=');
            String encodedName = equals < 0 ? pair : pair.substring(0, equals);
            if (!decode(encodedName).equals(name)) {
                kept.append(kept.length() == 0 ? "" : "&").append(pair);
            }
        }
        String path = uri.substring(0, question);
        return kept.length() == 0 ? path : path + "?" + kept;
    }

    private static String decode(String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            // A malformed escape cannot spell the parameter name, so it is kept as it is.
            return text;
        }
    }
}

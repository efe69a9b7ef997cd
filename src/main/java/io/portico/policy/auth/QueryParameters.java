package io.portico.policy.auth;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;

/** Edits the query string of a request URI as sent, leaving the encoding of every other parameter unchanged. */
public final class QueryParameters {

    private QueryParameters() {
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

package io.portico.policy.cors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import io.portico.config.HeaderNames;
import io.portico.policy.PolicySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The configuration of a {@code cors} policy, validated, with the response header values computed once.
 *
 * @param origins the allowed origins
 * @param anyMethod whether {@code allowMethods} is {@code *}: every requested method is allowed and echoed
 * @param methods the allowed methods
 * @param allowMethodsValue the value of {@code Access-Control-Allow-Methods} when {@code anyMethod} is false
 * @param anyHeader whether {@code allowHeaders} is {@code *}: every requested header is allowed and echoed
 * @param headers the allowed request headers, lower case
 * @param allowHeadersValue the value of {@code Access-Control-Allow-Headers}, or null for none
 * @param exposeHeadersValue the value of {@code Access-Control-Expose-Headers}, or null for none
 * @param allowCredentials whether responses carry {@code Access-Control-Allow-Credentials: true}
 * @param maxAgeValue the value of {@code Access-Control-Max-Age}, in seconds
 * @param allowPrivateNetwork whether preflights that ask for private network access get it
 */
record CorsSettings(
        Origins origins,
        boolean anyMethod,
        Set<String> methods,
        String allowMethodsValue,
        boolean anyHeader,
        Set<String> headers,
        String allowHeadersValue,
        String exposeHeadersValue,
        boolean allowCredentials,
        String maxAgeValue,
        boolean allowPrivateNetwork) {

    static final String ALLOW_ORIGINS = "allowOrigins";
    static final String ALLOW_METHODS = "allowMethods";
    static final String ALLOW_HEADERS = "allowHeaders";
    static final String EXPOSE_HEADERS = "exposeHeaders";
    static final String ALLOW_CREDENTIALS = "allowCredentials";
    static final String MAX_AGE = "maxAge";
    static final String ALLOW_PRIVATE_NETWORK = "allowPrivateNetwork";
    private static final Set<String> FIELDS = Set.of(ALLOW_ORIGINS, ALLOW_METHODS, ALLOW_HEADERS, EXPOSE_HEADERS,
            ALLOW_CREDENTIALS, MAX_AGE, ALLOW_PRIVATE_NETWORK);
    private static final List<String> DEFAULT_METHODS = List.of("GET", "HEAD", "POST");
    private static final Duration DEFAULT_MAX_AGE = Duration.ofMinutes(10);
    /** Methods that Fetch upper-cases before sending (Fetch standard, "normalize a method"). */
    private static final Set<String> NORMALISED_METHODS = Set.of("DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT");
    private static final String WILDCARD = "*";

    /** Parses {@code config}, recording each invalid field in {@code errors}; returns null when any is invalid. */
    static CorsSettings parse(ObjectNode config, Errors errors) {
        int before = errors.list().size();
        PolicySettings.rejectUnknownFields(config, FIELDS, errors);
        boolean credentials = PolicySettings.bool(config, ALLOW_CREDENTIALS, false, errors);
        Origins origins = origins(config, credentials, errors);

        List<String> methods = PolicySettings.strings(config, ALLOW_METHODS, errors);
        if (!config.hasNonNull(ALLOW_METHODS)) {
            methods = DEFAULT_METHODS;
        }
        methods = tokens(methods, ALLOW_METHODS, true, errors);
        List<String> headers = tokens(PolicySettings.strings(config, ALLOW_HEADERS, errors), ALLOW_HEADERS, false,
                errors);
        List<String> exposed = tokens(PolicySettings.strings(config, EXPOSE_HEADERS, errors), EXPOSE_HEADERS, false,
                errors);
        if (credentials && exposed.contains(WILDCARD)) {
            errors.at(EXPOSE_HEADERS, exposed.indexOf(WILDCARD)).add("", "'*' cannot be used with allowCredentials: "
                    + "true, because browsers then read it as a header named '*'; list the headers instead");
        }
        Duration maxAge = maxAge(config, errors);
        boolean privateNetwork = PolicySettings.bool(config, ALLOW_PRIVATE_NETWORK, false, errors);
        if (errors.list().size() > before) {
            return null;
        }

        boolean anyMethod = methods.contains(WILDCARD);
        boolean anyHeader = headers.contains(WILDCARD);
        Set<String> lowerHeaders = new HashSet<>();
        headers.forEach(header -> lowerHeaders.add(header.toLowerCase(Locale.ROOT)));
        return new CorsSettings(origins, anyMethod, Set.copyOf(methods), String.join(", ", methods), anyHeader,
                Set.copyOf(lowerHeaders), headers.isEmpty() ? null : String.join(", ", headers),
                exposed.isEmpty() ? null : String.join(", ", exposed), credentials,
                Long.toString(maxAge.toSeconds()), privateNetwork);
    }

    private static Origins origins(ObjectNode config, boolean credentials, Errors errors) {
        List<String> entries = PolicySettings.strings(config, ALLOW_ORIGINS, errors);
        if (entries.isEmpty()) {
            errors.add(ALLOW_ORIGINS, "must list at least one origin, pattern, or '*' for any origin");
            return null;
        }
        int wildcard = entries.indexOf(WILDCARD);
        if (wildcard >= 0) {
            if (entries.size() > 1) {
                errors.at(ALLOW_ORIGINS, wildcard).add("", "'*' allows every origin, so it must be the only entry");
            }
            if (credentials) {
                errors.at(ALLOW_ORIGINS, wildcard).add("", "'*' cannot be used with allowCredentials: true, because "
                        + "browsers reject a wildcard answer to a request with credentials; list the origins or "
                        + "patterns instead");
            }
            return Origins.any();
        }
        boolean valid = true;
        for (int i = 0; i < entries.size(); i++) {
            try {
                Origins.check(entries.get(i));
            } catch (IllegalArgumentException e) {
                errors.at(ALLOW_ORIGINS, i).add("", e.getMessage());
                valid = false;
            }
        }
        return valid ? Origins.of(entries) : null;
    }

    /**
     * Checks that each entry is {@code *} alone or an HTTP token, and returns the entries, with the methods that
     * browsers normalise written in upper case.
     */
    private static List<String> tokens(List<String> entries, String field, boolean methods, Errors errors) {
        List<String> result = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            String entry = entries.get(i);
            if (entry.equals(WILDCARD) && entries.size() > 1) {
                errors.at(field, i).add("", "'*' allows everything, so it must be the only entry");
            } else if (!entry.equals(WILDCARD) && !HeaderNames.isToken(entry)) {
                errors.at(field, i).add("", "'" + entry + "' is not a valid " + (methods ? "method" : "header name"));
            }
            String upper = entry.toUpperCase(Locale.ROOT);
            result.add(methods && NORMALISED_METHODS.contains(upper) ? upper : entry);
        }
        return result;
    }

    private static Duration maxAge(ObjectNode config, Errors errors) {
        String text = PolicySettings.text(config, MAX_AGE, errors);
        if (text == null) {
            return DEFAULT_MAX_AGE;
        }
        try {
            return Durations.parse(text);
        } catch (IllegalArgumentException e) {
            errors.add(MAX_AGE, e.getMessage());
            return DEFAULT_MAX_AGE;
        }
    }
}

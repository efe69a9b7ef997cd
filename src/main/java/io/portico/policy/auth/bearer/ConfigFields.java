package io.portico.policy.auth.bearer;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import io.portico.net.HttpUrls;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** Reads the fields of a policy configuration, recording each invalid one. */
public final class ConfigFields {

    private ConfigFields() {
    }

    /**
     * Parses an absolute http or https URL without user information, recording errors under {@code field}. The
     * scheme may be in any case and an IPv4 host may end with a dot ({@link HttpUrls#parse}).
     */
    public static URI httpUrl(String text, String field, Errors errors) {
        try {
            URI uri = HttpUrls.parse(text);
            if (!HttpUrls.isHttp(uri)) {
                errors.add(field, "must be an absolute http or https URL");
                return null;
            }
            if (uri.getUserInfo() != null) {
                errors.add(field, "must not contain user information");
                return null;
            }
            return uri;
        } catch (URISyntaxException e) {
            errors.add(field, "is not a valid URL: " + e.getReason());
            return null;
        }
    }

    /** Reads a string or a list of strings as a list. */
    public static List<String> strings(JsonNode node, String field, Errors errors) {
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (node.isTextual()) {
            return List.of(node.asText());
        }
        List<String> values = new ArrayList<>();
        if (!node.isArray()) {
            errors.add(field, "must be a string or a list of strings");
            return values;
        }
        for (int i = 0; i < node.size(); i++) {
            JsonNode value = node.get(i);
            if (value.isTextual() && !value.asText().isBlank()) {
                values.add(value.asText());
            } else {
                errors.add(field + "[" + i + "]", "must be a non-empty string");
            }
        }
        return List.copyOf(values);
    }

    public static String optionalText(JsonNode config, String field, Errors errors) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual() || value.asText().isBlank()) {
            errors.add(field, "must be a non-empty string");
            return null;
        }
        return value.asText();
    }

    public static boolean bool(JsonNode config, String field, boolean fallback, Errors errors) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        if (!value.isBoolean()) {
            errors.add(field, "must be true or false");
            return fallback;
        }
        return value.asBoolean();
    }

    public static Duration duration(JsonNode config, String field, Duration fallback, Errors errors) {
        JsonNode value = config.get(field);
        if (value == null || value.isNull()) {
            return fallback;
        }
        try {
            return Durations.parse(value);
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
            return fallback == null ? Duration.ZERO : fallback;
        }
    }

    /** Reads the {@code scopes} a policy requires: scope tokens of RFC 6749 section 3.3. */
    public static List<String> requiredScopes(JsonNode node, Errors errors) {
        List<String> scopes = strings(node, "scopes", errors);
        for (int i = 0; i < scopes.size(); i++) {
            errors.check(scopes.get(i).matches("[\\x21\\x23-\\x5B\\x5D-\\x7E]+"), "scopes[" + i + "]",
                    "must be a scope token: printable ASCII without spaces, '\"' or '\\'");
        }
        return scopes;
    }
}

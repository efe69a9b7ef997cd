package io.portico.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.config.ValidationException;
import java.io.IOException;

/** Formats problem documents and validation errors for the terminal. */
final class Problems {

    private Problems() {
    }

    /**
     * Returns the detail of an RFC 9457 problem document followed by one line per invalid field, or an empty
     * string when {@code body} is not a problem document.
     */
    static String describe(String body) {
        JsonNode problem;
        try {
            problem = Json.MAPPER.readTree(body == null ? "" : body);
        } catch (IOException e) {
            return "";
        }
        if (problem == null || !problem.isObject()) {
            return "";
        }
        StringBuilder text = new StringBuilder(problem.path("detail").asText(problem.path("title").asText("")));
        for (JsonNode error : problem.path("errors")) {
            text.append(System.lineSeparator()).append("  ")
                    .append(field(error.path("field").asText()))
                    .append(error.path("message").asText());
        }
        return text.toString();
    }

    /** Returns one line per invalid field of {@code invalid}. */
    static String describe(ValidationException invalid) {
        StringBuilder text = new StringBuilder();
        invalid.errors().forEach(error -> text.append(System.lineSeparator()).append("  ")
                .append(field(error.field())).append(error.message()));
        return text.toString();
    }

    private static String field(String field) {
        return field.isEmpty() ? "" : field + ": ";
    }
}

package io.portico.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BiFunction;

/** Reads the fields of a policy's {@code config} object and records each invalid one. */
public final class PolicySettings {

    private PolicySettings() {
    }

    /**
     * Parses a configuration that was validated before, as {@link io.portico.pipeline.PolicyFactory#create}
     * receives it.
     *
     * @throws io.portico.config.ValidationException when {@code parser} records an invalid field after all
     */
    public static <T> T parseValid(ObjectNode config, BiFunction<ObjectNode, Errors, T> parser) {
        Errors errors = new Errors();
        T parsed = parser.apply(config, errors);
        errors.throwIfAny();
        return parsed;
    }

    /** Records every field of {@code config} that is not in {@code known}, listing the known ones. */
    public static void rejectUnknownFields(ObjectNode config, Set<String> known, Errors errors) {
        Iterator<String> names = config.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                errors.add(name, "unknown field; known fields: " + String.join(", ", new TreeSet<>(known)));
            }
        }
    }

    /**
     * Returns the strings of the array field {@code field}: empty when absent, and without the elements that are
     * not strings, each of which is recorded in {@code errors} by index.
     */
    public static List<String> strings(ObjectNode config, String field, Errors errors) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            errors.add(field, "must be a list of strings");
            return List.of();
        }
        List<String> values = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            JsonNode element = node.get(i);
            if (element.isTextual()) {
                values.add(element.asText());
            } else {
                errors.at(field, i).add("", "must be a string");
            }
        }
        return values;
    }

    /** Returns the boolean field {@code field}, or {@code fallback} when absent; records a value of another type. */
    public static boolean bool(ObjectNode config, String field, boolean fallback, Errors errors) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return fallback;
        }
        if (!node.isBoolean()) {
            errors.add(field, "must be true or false");
            return fallback;
        }
        return node.booleanValue();
    }

    /** Returns the text field {@code field}, or null when absent; records a value of another type. */
    public static String text(ObjectNode config, String field, Errors errors) {
        JsonNode node = config.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            errors.add(field, "must be a string");
            return null;
        }
        return node.asText();
    }
}

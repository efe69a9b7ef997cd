package io.portico.declarative;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;

/**
 * One changed field of a resource, with secret values already masked.
 *
 * @param operation whether the field is added, removed or replaced, named as in JSON Patch (RFC 6902)
 * @param path the field as a dotted path with list indices, such as {@code targets[1].port}. The index of a
 *     removed list element is its index in the stored list, and every other index is one in the document's list
 * @param oldValue the stored value, or null when the field is added
 * @param newValue the value the document sets, or null when the field is removed
 * @param secret whether the field is a secret field, whose values are the masked hints
 *     {@code secret:sha256:<8 hex digits>}
 */
public record FieldChange(Operation operation, String path, JsonNode oldValue, JsonNode newValue, boolean secret) {

    /** The change made to a field. */
    public enum Operation {
        ADD, REMOVE, REPLACE;

        /** Returns the lower-case name used in JSON. */
        public String jsonName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /** Returns the operation whose {@link #jsonName()} is {@code name}, or null when there is none. */
        static Operation ofJsonName(String name) {
            for (Operation operation : values()) {
                if (operation.jsonName().equals(name)) {
                    return operation;
                }
            }
            return null;
        }
    }

    public FieldChange {
        requireNonNull(operation, "operation");
        requireNonNull(path, "path");
        boolean oldExpected = operation != Operation.ADD;
        boolean newExpected = operation != Operation.REMOVE;
        if ((oldValue != null) != oldExpected || (newValue != null) != newExpected) {
            throw new IllegalArgumentException(operation + " of " + path + " needs "
                    + (operation == Operation.ADD ? "only a new value" : operation == Operation.REMOVE
                    ? "only an old value" : "an old and a new value"));
        }
    }

    /** Returns an added field. */
    public static FieldChange add(String path, JsonNode newValue, boolean secret) {
        return new FieldChange(Operation.ADD, path, null, newValue, secret);
    }

    /** Returns a removed field. */
    public static FieldChange remove(String path, JsonNode oldValue, boolean secret) {
        return new FieldChange(Operation.REMOVE, path, oldValue, null, secret);
    }

    /** Returns a field whose value changes. */
    public static FieldChange replace(String path, JsonNode oldValue, JsonNode newValue, boolean secret) {
        return new FieldChange(Operation.REPLACE, path, oldValue, newValue, secret);
    }

    /**
     * Returns the JSON form {@code {"op": "replace", "path": "timeouts.read", "old": "30s", "new": "10s"}}, without
     * {@code old} for an added field and without {@code new} for a removed one, and with {@code "secret": true} for
     * a secret field.
     */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("op", operation.jsonName());
        json.put("path", path);
        if (oldValue != null) {
            json.set("old", oldValue);
        }
        if (newValue != null) {
            json.set("new", newValue);
        }
        if (secret) {
            json.put("secret", true);
        }
        return json;
    }

    /**
     * Reads the JSON form written by {@link #toJson()}.
     *
     * @throws IllegalArgumentException when {@code json} is not of that form
     */
    public static FieldChange fromJson(JsonNode json) {
        Operation operation = Operation.ofJsonName(json.path("op").asText());
        if (operation == null || !json.path("path").isTextual()) {
            throw new IllegalArgumentException("a field change needs an op of add, remove or replace and a path");
        }
        return new FieldChange(operation, json.get("path").asText(), json.get("old"), json.get("new"),
                json.path("secret").asBoolean(false));
    }
}

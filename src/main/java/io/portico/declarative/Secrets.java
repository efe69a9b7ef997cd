package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.FieldError;
import io.portico.config.ResourceKind;
import io.portico.config.SecretFields;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Masks the secret fields of a resource (those in {@link ResourceKind#secretFields()}) and restores them.
 *
 * <p>A masked value is a hint made by {@link SecretFields#hint}. When a write carries the hint of the stored
 * value, the stored secret is kept, so a document exported and applied again changes nothing.
 */
public final class Secrets {

    /** Prefix of every masked value. */
    public static final String HINT_PREFIX = SecretFields.HINT_PREFIX;

    private Secrets() {
    }

    /** Returns the masked hint of {@code secret}. */
    public static String hint(String secret) {
        return SecretFields.hint(secret);
    }

    /** Returns a copy of {@code spec} with every secret field replaced by its hint. */
    public static ObjectNode mask(ResourceKind<?> kind, ObjectNode spec) {
        return SecretFields.mask(kind, spec);
    }

    /**
     * Returns a copy of {@code incoming} in which each secret field that carries the hint of a value in
     * {@code stored} takes the stored value back. In lists, such as {@code keys[].key}, a hint takes back the
     * stored value it was made from wherever that value sits in the stored list.
     *
     * @param stored the stored specification, or null when the resource does not exist yet
     */
    public static ObjectNode restore(ResourceKind<?> kind, ObjectNode incoming, ObjectNode stored) {
        ObjectNode restored = incoming.deepCopy();
        if (stored == null) {
            return restored;
        }
        for (String field : kind.secretFields()) {
            Map<String, JsonNode> storedByHint = new HashMap<>();
            for (SecretFields.Slot slot : SecretFields.slots(stored, field)) {
                JsonNode value = slot.value();
                if (value != null) {
                    storedByHint.put(SecretFields.hint(value), value);
                }
            }
            for (SecretFields.Slot slot : SecretFields.slots(restored, field)) {
                JsonNode value = slot.value();
                JsonNode storedValue = value != null && value.isTextual() ? storedByHint.get(value.asText()) : null;
                if (storedValue != null) {
                    slot.parent().set(slot.leaf(), storedValue.deepCopy());
                }
            }
        }
        return restored;
    }

    /**
     * Lists the secret fields of {@code spec} that still carry a hint after {@link #restore}: the hint matched no
     * stored value, so the real secret is unknown.
     */
    public static List<FieldError> unresolvedHints(ResourceKind<?> kind, ObjectNode spec) {
        List<FieldError> errors = new ArrayList<>();
        for (SecretFields.Slot slot : SecretFields.slots(kind, spec)) {
            JsonNode value = slot.value();
            if (value != null && value.isTextual() && value.asText().startsWith(HINT_PREFIX)) {
                errors.add(new FieldError(slot.path(), "is a masked secret that matches no stored value;"
                        + " send the secret itself"));
            }
        }
        return errors;
    }
}

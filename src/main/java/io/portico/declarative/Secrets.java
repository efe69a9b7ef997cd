package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.FieldError;
import io.portico.config.ResourceKind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Masks the secret fields of a resource (those in {@link ResourceKind#secretFields()}) and restores them.
 *
 * <p>A masked value is a hint, {@code secret:sha256:} followed by the first 8 hex digits of the SHA-256 of the
 * secret. The hint distinguishes two secrets without revealing them. When a write carries the hint of the stored
 * value, the stored secret is kept, so a document exported and applied again changes nothing. A secret field may
 * name a nested field with a dotted path such as {@code tls.clientKey}, and each element of a list with {@code []},
 * as in {@code keys[].key}.
 */
public final class Secrets {

    /** Prefix of every masked value. */
    public static final String HINT_PREFIX = "secret:sha256:";

    private static final int HINT_HEX_DIGITS = 8;

    private Secrets() {
    }

    /** Returns the masked hint of {@code secret}. */
    public static String hint(String secret) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
            return HINT_PREFIX + HexFormat.of().formatHex(digest).substring(0, HINT_HEX_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JVM", e);
        }
    }

    /** Returns a copy of {@code spec} with every secret field replaced by its hint. */
    public static ObjectNode mask(ResourceKind<?> kind, ObjectNode spec) {
        ObjectNode masked = spec.deepCopy();
        for (String field : kind.secretFields()) {
            for (Slot slot : slots(masked, field)) {
                if (slot.parent().hasNonNull(slot.leaf())) {
                    slot.parent().put(slot.leaf(), hint(textOf(slot.parent().get(slot.leaf()))));
                }
            }
        }
        return masked;
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
            for (Slot slot : slots(stored, field)) {
                JsonNode value = slot.parent().get(slot.leaf());
                if (value != null && !value.isNull()) {
                    storedByHint.put(hint(textOf(value)), value);
                }
            }
            for (Slot slot : slots(restored, field)) {
                JsonNode value = slot.parent().get(slot.leaf());
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
        for (String field : kind.secretFields()) {
            for (Slot slot : slots(spec, field)) {
                JsonNode value = slot.parent().get(slot.leaf());
                if (value != null && value.isTextual() && value.asText().startsWith(HINT_PREFIX)) {
                    errors.add(new FieldError(slot.path(), "is a masked secret that matches no stored value;"
                            + " send the secret itself"));
                }
            }
        }
        return errors;
    }

    /** A place where a secret may sit: the object holding it, the field name and its path for messages. */
    private record Slot(ObjectNode parent, String leaf, String path) {
    }

    /**
     * Finds every object that may hold the secret {@code dottedField}, where a segment ending in {@code []} such
     * as {@code keys[].key} stands for each element of a list.
     */
    private static List<Slot> slots(ObjectNode root, String dottedField) {
        String[] parts = dottedField.split("\\.");
        List<Slot> slots = new ArrayList<>();
        collect(root, parts, 0, "", slots);
        return slots;
    }

    private static void collect(ObjectNode node, String[] parts, int index, String path, List<Slot> slots) {
        String part = parts[index];
        if (index == parts.length - 1) {
            slots.add(new Slot(node, part, path.isEmpty() ? part : path + "." + part));
            return;
        }
        String prefix = path.isEmpty() ? "" : path + ".";
        if (part.endsWith("[]")) {
            String name = part.substring(0, part.length() - 2);
            JsonNode list = node.get(name);
            if (list instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    if (array.get(i) instanceof ObjectNode element) {
                        collect(element, parts, index + 1, prefix + name + "[" + i + "]", slots);
                    }
                }
            }
        } else if (node.get(part) instanceof ObjectNode child) {
            collect(child, parts, index + 1, prefix + part, slots);
        }
    }

    private static String textOf(JsonNode value) {
        return value instanceof TextNode ? value.asText() : value.toString();
    }
}

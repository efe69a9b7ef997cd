package io.portico.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Finds the secret fields of a specification ({@link ResourceKind#secretFields()}) and masks them.
 *
 * <p>A secret field may name a nested field with a dotted path such as {@code tls.clientKey}, and each element of a
 * list with {@code []}, as in {@code keys[].key}. A masked value is a hint, {@code secret:sha256:} followed by the
 * first 8 hex digits of the SHA-256 of the secret: it tells two secrets apart without revealing either.
 */
public final class SecretFields {

    /** Prefix of every masked value. */
    public static final String HINT_PREFIX = "secret:sha256:";

    private static final int HINT_HEX_DIGITS = 8;

    private SecretFields() {
    }

    /** A place where a secret may sit: the object holding it, the field name, and its path for messages. */
    public record Slot(ObjectNode parent, String leaf, String path) {

        /** Returns the value in this slot, or null when the field is absent or JSON null. */
        public JsonNode value() {
            JsonNode value = parent.get(leaf);
            return value == null || value.isNull() ? null : value;
        }
    }

    /** Returns every slot of every secret field of {@code kind} in {@code spec}, in the order of the fields. */
    public static List<Slot> slots(ResourceKind<?> kind, ObjectNode spec) {
        List<Slot> slots = new ArrayList<>();
        for (String field : kind.secretFields()) {
            slots.addAll(slots(spec, field));
        }
        return slots;
    }

    /**
     * Finds every object that may hold the secret {@code dottedField}, where a segment ending in {@code []} such
     * as {@code keys[].key} stands for each element of a list.
     */
    public static List<Slot> slots(ObjectNode root, String dottedField) {
        String[] parts = dottedField.split("\\.");
        List<Slot> slots = new ArrayList<>();
        collect(root, parts, 0, "", slots);
        return slots;
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

    /** Returns the hint of a secret value that may be a string or any other JSON value. */
    public static String hint(JsonNode secret) {
        return hint(textOf(secret));
    }

    /** Returns a copy of {@code spec} with every secret field replaced by its hint. */
    public static ObjectNode mask(ResourceKind<?> kind, ObjectNode spec) {
        ObjectNode masked = spec.deepCopy();
        for (Slot slot : slots(kind, masked)) {
            JsonNode value = slot.value();
            if (value != null) {
                slot.parent().put(slot.leaf(), hint(value));
            }
        }
        return masked;
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

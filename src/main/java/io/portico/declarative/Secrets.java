package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.FieldError;
import io.portico.config.ResourceKind;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * Masks the secret fields of a resource (those in {@link ResourceKind#secretFields()}) and restores them.
 *
 * <p>A masked value is a hint, {@code secret:sha256:} followed by the first 8 hex digits of the SHA-256 of the
 * secret. The hint distinguishes two secrets without revealing them. When a write carries the hint of the stored
 * value, the stored secret is kept, so a document exported and applied again changes nothing. A secret field may
 * name a nested field with a dotted path such as {@code tls.clientKey}.
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
            ObjectNode parent = parentOf(masked, field);
            String leaf = leafOf(field);
            if (parent != null && parent.hasNonNull(leaf)) {
                parent.put(leaf, hint(textOf(parent.get(leaf))));
            }
        }
        return masked;
    }

    /**
     * Returns a copy of {@code incoming} in which each secret field that carries the hint of the value in
     * {@code stored} takes the stored value back.
     *
     * @param stored the stored specification, or null when the resource does not exist yet
     */
    public static ObjectNode restore(ResourceKind<?> kind, ObjectNode incoming, ObjectNode stored) {
        ObjectNode restored = incoming.deepCopy();
        if (stored == null) {
            return restored;
        }
        for (String field : kind.secretFields()) {
            ObjectNode parent = parentOf(restored, field);
            ObjectNode storedParent = parentOf(stored, field);
            String leaf = leafOf(field);
            if (parent == null || storedParent == null || !storedParent.hasNonNull(leaf)) {
                continue;
            }
            JsonNode value = parent.get(leaf);
            JsonNode storedValue = storedParent.get(leaf);
            if (value != null && value.isTextual() && value.asText().equals(hint(textOf(storedValue)))) {
                parent.set(leaf, storedValue.deepCopy());
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
            ObjectNode parent = parentOf(spec, field);
            JsonNode value = parent == null ? null : parent.get(leafOf(field));
            if (value != null && value.isTextual() && value.asText().startsWith(HINT_PREFIX)) {
                errors.add(new FieldError(field, "is a masked secret that matches no stored value;"
                        + " send the secret itself"));
            }
        }
        return errors;
    }

    private static ObjectNode parentOf(ObjectNode root, String dottedField) {
        String[] parts = dottedField.split("\\.");
        ObjectNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = node.get(parts[i]);
            if (!(child instanceof ObjectNode object)) {
                return null;
            }
            node = object;
        }
        return node;
    }

    private static String leafOf(String dottedField) {
        int dot = dottedField.lastIndexOf('.');
        return dot < 0 ? dottedField : dottedField.substring(dot + 1);
    }

    private static String textOf(JsonNode value) {
        return value instanceof TextNode ? value.asText() : value.toString();
    }
}

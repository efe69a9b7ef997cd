package io.portico.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the secret fields of a specification ({@link ResourceKind#secretFields()}) and masks them.
 *
 * <p>A secret field may name a nested field with a dotted path such as {@code tls.clientKey}, and each element of a
 * list with {@code []}, as in {@code keys[].key}. A last segment {@value #CREDENTIAL_HEADER} matches each field of a
 * header map whose name carries a credential ({@link HeaderNames#isCredential}), as in {@code headers.{credential}}.
 * So the value of {@code headers.Authorization} is a secret and that of {@code headers.X-Trace} is not.
 *
 * <p>A masked value is a hint, {@code secret:sha256:} followed by the first 8 hex digits of the SHA-256 of the
 * secret: it distinguishes two secrets without revealing either.
 */
public final class SecretFields {

    /** Prefix of every masked value. */
    public static final String HINT_PREFIX = "secret:sha256:";

    /** Last segment of a secret field that matches each credential header of a header map. */
    public static final String CREDENTIAL_HEADER = "{credential}";

    private static final int HINT_HEX_DIGITS = 8;
    /** The form of every masked value, as a regular expression that Java and JSON Schema read alike. */
    public static final String HINT_PATTERN = "^secret:sha256:[0-9a-f]{" + HINT_HEX_DIGITS + "}$";
    /** A list index in a field path, as in {@code keys[2].key}. */
    private static final Pattern INDEX = Pattern.compile("\\[(\\d+)]");

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
     * as {@code keys[].key} stands for each element of a list. A last segment {@value #CREDENTIAL_HEADER} matches
     * each credential header of a map.
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

    /**
     * Returns a copy of {@code spec} with every secret field replaced by its hint, except values that are hints
     * already. It masks a specification that was recorded masked, as in the audit log, before a later version
     * made more fields secret.
     */
    public static ObjectNode maskUnmasked(ResourceKind<?> kind, ObjectNode spec) {
        ObjectNode masked = spec.deepCopy();
        for (Slot slot : slots(kind, masked)) {
            JsonNode value = slot.value();
            if (value != null && !(value.isTextual() && value.asText().startsWith(HINT_PREFIX))) {
                slot.parent().put(slot.leaf(), hint(value));
            }
        }
        return masked;
    }

    /**
     * Returns the fields that determine where the secret in {@code slot} is sent
     * ({@link ResourceKind#secretDestinations(String)}), read from {@code root} in the list elements that hold the
     * slot: an object from each path as the kind names it, such as {@code policies[].config.introspectionUrl}, to
     * its value, which is JSON null when the field is absent.
     *
     * @param secretField the secret field of {@code kind} that {@code slot} was found for
     */
    public static ObjectNode destinations(ResourceKind<?> kind, String secretField, ObjectNode root, Slot slot) {
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        for (String pattern : kind.secretDestinations(secretField)) {
            JsonNode value = at(root, inSlot(pattern, slot));
            values.set(pattern, value == null ? JsonNodeFactory.instance.nullNode() : value.deepCopy());
        }
        return values;
    }

    /**
     * Returns {@code pattern}, a field path that may pass through lists as {@code policies[].name} does, with the
     * indices of the list elements that hold {@code slot}, such as {@code policies[2].name}.
     */
    public static String inSlot(String pattern, Slot slot) {
        List<String> indices = new ArrayList<>();
        Matcher index = INDEX.matcher(slot.path());
        while (index.find()) {
            indices.add(index.group(1));
        }
        StringBuilder path = new StringBuilder();
        int next = 0;
        int from = 0;
        for (int list = pattern.indexOf("[]"); list >= 0; list = pattern.indexOf("[]", from)) {
            path.append(pattern, from, list).append('[').append(indices.get(next++)).append(']');
            from = list + 2;
        }
        return path.append(pattern.substring(from)).toString();
    }

    /**
     * Returns true when the field at {@code path}, such as {@code keys[0].key}, is a secret field of {@code kind},
     * lies inside one, or contains one, so that its value, or part of it, may be a secret.
     */
    public static boolean mayHoldSecret(ResourceKind<?> kind, String path) {
        String pattern = INDEX.matcher(path).replaceAll("[]");
        for (String secret : kind.secretFields()) {
            if (pattern.isEmpty() || encloses(pattern, secret)) {
                return true;
            }
            String headerMap = headerMapOf(secret);
            if (headerMap == null ? encloses(secret, pattern) : isCredentialHeaderIn(headerMap, pattern)) {
                return true;
            }
        }
        return false;
    }

    /** Returns the path of the header map of a secret field such as {@code headers.{credential}}, or null. */
    private static String headerMapOf(String secretField) {
        String suffix = "." + CREDENTIAL_HEADER;
        return secretField.endsWith(suffix) ? secretField.substring(0, secretField.length() - suffix.length()) : null;
    }

    /**
     * Returns true when {@code pattern} is a credential header of the map at {@code headerMap}. The whole rest of
     * the path is the header name, because a header name may contain {@code .}.
     */
    private static boolean isCredentialHeaderIn(String headerMap, String pattern) {
        return pattern.length() > headerMap.length() + 1 && pattern.startsWith(headerMap + ".")
                && HeaderNames.isCredential(pattern.substring(headerMap.length() + 1));
    }

    /** Returns true when {@code outer} is {@code inner} or a field or list that contains it. */
    private static boolean encloses(String outer, String inner) {
        if (!inner.startsWith(outer)) {
            return false;
        }
        if (inner.length() == outer.length()) {
            return true;
        }
        char next = inner.charAt(outer.length());
        return next == '.' || next == '[';
    }

    /** Returns the value at a concrete path such as {@code policies[2].config.introspectionUrl}, or null. */
    private static JsonNode at(JsonNode root, String path) {
        JsonNode node = root;
        for (String part : path.split("\\.")) {
            int bracket = part.indexOf('[');
            String name = bracket < 0 ? part : part.substring(0, bracket);
            node = node == null ? null : node.get(name);
            if (bracket >= 0 && node != null) {
                node = node.get(Integer.parseInt(part.substring(bracket + 1, part.length() - 1)));
            }
        }
        return node == null || node.isNull() ? null : node;
    }

    private static void collect(ObjectNode node, String[] parts, int index, String path, List<Slot> slots) {
        String part = parts[index];
        String prefix = path.isEmpty() ? "" : path + ".";
        if (index == parts.length - 1 && part.equals(CREDENTIAL_HEADER)) {
            node.fieldNames().forEachRemaining(name -> {
                if (HeaderNames.isCredential(name)) {
                    slots.add(new Slot(node, name, prefix + name));
                }
            });
            return;
        }
        if (index == parts.length - 1) {
            slots.add(new Slot(node, part, prefix + part));
            return;
        }
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

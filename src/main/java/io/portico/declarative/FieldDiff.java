package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.Json;
import io.portico.config.ResourceKind;
import io.portico.config.SecretFields;
import io.portico.config.ValidationException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Lists the fields in which two specifications of a resource differ, with every secret value masked as the admin
 * API masks it ({@link SecretFields#hint}).
 *
 * <p>Objects are compared field by field, and lists element by element. The elements that are equal at the start
 * and at the end of both lists are paired first, then the remaining ones by position. The elements left over in
 * the longer list are added or removed. So inserting or removing one element shows as one added or removed element,
 * and changing one field of an element shows as that field alone. A secret field is compared as one value, even
 * when it contains an object.
 */
public final class FieldDiff {

    /**
     * {@link Json#MAPPER} with the entries of maps in key order. Typed specifications keep maps such as
     * {@code headers} in a map whose iteration order changes from one run to the next, and the changes of a map
     * are listed in the same order on every run.
     */
    private static final ObjectMapper SORTED_MAPS = Json.MAPPER.copy()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

    /** A field name that a path writes after a dot. A path writes any other name quoted in brackets. */
    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z0-9_-]+");

    private FieldDiff() {
    }

    /**
     * Lists the fields of a resource to create: each top-level field of {@code spec} but {@code name}, as added,
     * secrets masked.
     */
    public static List<FieldChange> created(ResourceKind<?> kind, ObjectNode spec) {
        Set<String> secretFields = new HashSet<>();
        SecretFields.slots(kind, spec).stream()
                .filter(slot -> slot.parent() == spec)
                .forEach(slot -> secretFields.add(slot.leaf()));
        ObjectNode masked = SecretFields.mask(kind, spec);
        List<FieldChange> changes = new ArrayList<>();
        masked.properties().forEach(field -> {
            if (!field.getKey().equals("name") && !field.getValue().isNull()) {
                changes.add(FieldChange.add(child("", field.getKey()), field.getValue(),
                        secretFields.contains(field.getKey())));
            }
        });
        return changes;
    }

    /**
     * Lists the fields in which {@code desired} differs from {@code stored}, after both went through the typed
     * specification ({@link #normalize}), so that a default written out on one side and left out on the other is no
     * change. Returns an empty list when the two are equal in that form.
     */
    public static List<FieldChange> between(ResourceKind<?> kind, ObjectNode stored, ObjectNode desired) {
        JsonNode oldSpec = normalize(kind, stored);
        JsonNode newSpec = normalize(kind, desired);
        Walk walk = new Walk(secretSlots(kind, oldSpec), secretSlots(kind, newSpec));
        walk.compare("", oldSpec, newSpec, false);
        return walk.changes;
    }

    /**
     * Returns {@code spec} converted to the typed specification and back to JSON as {@link ResourceKind#toJson}
     * does, with map entries in key order, and with the {@code team} field that a team-owned kind keeps outside its
     * type. A specification that the type rejects is returned as written.
     */
    static <T> JsonNode normalize(ResourceKind<T> kind, ObjectNode spec) {
        ObjectNode normalized;
        try {
            normalized = SORTED_MAPS.valueToTree(kind.parse(spec));
        } catch (ValidationException e) {
            return spec;
        }
        String team = kind.teamOf(spec);
        if (team != null && !normalized.has(ResourceKind.TEAM_FIELD)) {
            normalized.put(ResourceKind.TEAM_FIELD, team);
        }
        return normalized;
    }

    /** Returns each object of {@code spec} that contains secret fields, mapped to the names of those fields. */
    private static Map<JsonNode, Set<String>> secretSlots(ResourceKind<?> kind, JsonNode spec) {
        Map<JsonNode, Set<String>> slots = new IdentityHashMap<>();
        if (spec instanceof ObjectNode object) {
            for (SecretFields.Slot slot : SecretFields.slots(kind, object)) {
                slots.computeIfAbsent(slot.parent(), parent -> new HashSet<>()).add(slot.leaf());
            }
        }
        return slots;
    }

    /** Returns the path of field {@code name} of the object at {@code path}. */
    private static String child(String path, String name) {
        if (PLAIN_NAME.matcher(name).matches()) {
            return path.isEmpty() ? name : path + "." + name;
        }
        return path + "[" + TextNode.valueOf(name) + "]";
    }

    /** One comparison of two specifications, collecting the changes in the order of the fields. */
    private static final class Walk {
        private final Map<JsonNode, Set<String>> oldSecrets;
        private final Map<JsonNode, Set<String>> newSecrets;
        private final List<FieldChange> changes = new ArrayList<>();

        Walk(Map<JsonNode, Set<String>> oldSecrets, Map<JsonNode, Set<String>> newSecrets) {
            this.oldSecrets = oldSecrets;
            this.newSecrets = newSecrets;
        }

        void compare(String path, JsonNode oldValue, JsonNode newValue, boolean secret) {
            JsonNode before = absentIfNull(oldValue);
            JsonNode after = absentIfNull(newValue);
            if (before == null && after == null || before != null && before.equals(after)) {
                return;
            }
            if (secret) {
                changes.add(change(path, hint(before), hint(after), true));
            } else if (before == null || after == null) {
                changes.add(change(path, masked(before, oldSecrets), masked(after, newSecrets), false));
            } else if (before instanceof ObjectNode oldObject && after instanceof ObjectNode newObject) {
                compareObjects(path, oldObject, newObject);
            } else if (before instanceof ArrayNode oldArray && after instanceof ArrayNode newArray) {
                compareArrays(path, oldArray, newArray);
            } else {
                changes.add(FieldChange.replace(path, masked(before, oldSecrets), masked(after, newSecrets), false));
            }
        }

        private void compareObjects(String path, ObjectNode before, ObjectNode after) {
            Set<String> names = new LinkedHashSet<>();
            after.fieldNames().forEachRemaining(names::add);
            before.fieldNames().forEachRemaining(names::add);
            for (String name : names) {
                boolean secret = isSecret(oldSecrets, before, name) || isSecret(newSecrets, after, name);
                compare(child(path, name), before.get(name), after.get(name), secret);
            }
        }

        /**
         * Pairs the equal elements at the start and the end of both lists, then the rest by position. An element
         * left over in the stored list is removed at its stored index, one left over in the document's list is
         * added at its index there.
         */
        private void compareArrays(String path, ArrayNode before, ArrayNode after) {
            int shorter = Math.min(before.size(), after.size());
            int start = 0;
            while (start < shorter && before.get(start).equals(after.get(start))) {
                start++;
            }
            int end = 0;
            while (end < shorter - start
                    && before.get(before.size() - 1 - end).equals(after.get(after.size() - 1 - end))) {
                end++;
            }
            int oldRest = before.size() - start - end;
            int newRest = after.size() - start - end;
            int paired = Math.min(oldRest, newRest);
            for (int i = start; i < start + paired; i++) {
                compare(path + "[" + i + "]", before.get(i), after.get(i), false);
            }
            for (int i = start + paired; i < start + oldRest; i++) {
                changes.add(FieldChange.remove(path + "[" + i + "]", masked(before.get(i), oldSecrets), false));
            }
            for (int i = start + paired; i < start + newRest; i++) {
                changes.add(FieldChange.add(path + "[" + i + "]", masked(after.get(i), newSecrets), false));
            }
        }

        private static FieldChange change(String path, JsonNode before, JsonNode after, boolean secret) {
            if (before == null) {
                return FieldChange.add(path, after, secret);
            }
            if (after == null) {
                return FieldChange.remove(path, before, secret);
            }
            return FieldChange.replace(path, before, after, secret);
        }

        private static boolean isSecret(Map<JsonNode, Set<String>> secrets, ObjectNode parent, String name) {
            Set<String> names = secrets.get(parent);
            return names != null && names.contains(name);
        }

        private static JsonNode hint(JsonNode secret) {
            return secret == null ? null : TextNode.valueOf(SecretFields.hint(secret));
        }

        /** Returns a copy of {@code value} in which each secret field that {@code secrets} lists is masked. */
        private static JsonNode masked(JsonNode value, Map<JsonNode, Set<String>> secrets) {
            if (value instanceof ObjectNode object) {
                ObjectNode copy = JsonNodeFactory.instance.objectNode();
                for (Map.Entry<String, JsonNode> field : object.properties()) {
                    JsonNode fieldValue = field.getValue();
                    boolean secret = isSecret(secrets, object, field.getKey()) && !fieldValue.isNull();
                    copy.set(field.getKey(), secret ? hint(fieldValue) : masked(fieldValue, secrets));
                }
                return copy;
            }
            if (value instanceof ArrayNode array) {
                ArrayNode copy = JsonNodeFactory.instance.arrayNode();
                array.forEach(element -> copy.add(masked(element, secrets)));
                return copy;
            }
            return value == null ? null : value.deepCopy();
        }

        private static JsonNode absentIfNull(JsonNode value) {
            return value == null || value.isNull() ? null : value;
        }
    }
}

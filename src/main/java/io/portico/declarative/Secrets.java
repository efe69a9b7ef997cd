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
     * stored value it was made from wherever that value sits in the stored list. In header maps, such as
     * {@code headers.{credential}}, it does so under whichever credential header of the stored map contains it.
     *
     * <p>A hint takes the stored value back only where the fields that determine where the secret is sent
     * ({@link ResourceKind#secretDestinations(String)}) equal those of a stored place of that value. Otherwise a
     * write could keep a secret that its writer never saw and send it to a new URL; such a hint stays, and
     * {@link #unresolvedHints(ResourceKind, ObjectNode, ObjectNode)} reports it.
     *
     * @param stored the stored specification, or null when the resource does not exist yet
     */
    public static ObjectNode restore(ResourceKind<?> kind, ObjectNode incoming, ObjectNode stored) {
        ObjectNode restored = incoming.deepCopy();
        if (stored == null) {
            return restored;
        }
        for (String field : kind.secretFields()) {
            Map<String, List<StoredSecret>> storedByHint = storedByHint(kind, field, stored);
            for (SecretFields.Slot slot : SecretFields.slots(restored, field)) {
                List<StoredSecret> candidates = candidates(storedByHint, slot);
                ObjectNode destinations = SecretFields.destinations(kind, field, restored, slot);
                for (StoredSecret candidate : candidates) {
                    if (candidate.destinations().equals(destinations)) {
                        slot.parent().set(slot.leaf(), candidate.value().deepCopy());
                        break;
                    }
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
        return unresolvedHints(kind, spec, null);
    }

    /**
     * Lists the secret fields of {@code spec} that still carry a hint after {@link #restore} from {@code stored}.
     * A hint is left when the fields that determine where the secret is sent changed. It is then reported with those
     * fields, and the message directs the writer to send the secret itself again.
     *
     * @param stored the stored specification, or null when there is none
     */
    public static List<FieldError> unresolvedHints(ResourceKind<?> kind, ObjectNode spec, ObjectNode stored) {
        List<FieldError> errors = new ArrayList<>();
        for (String field : kind.secretFields()) {
            Map<String, List<StoredSecret>> storedByHint = stored == null ? Map.of()
                    : storedByHint(kind, field, stored);
            for (SecretFields.Slot slot : SecretFields.slots(spec, field)) {
                JsonNode value = slot.value();
                if (value == null || !value.isTextual() || !value.asText().startsWith(HINT_PREFIX)) {
                    continue;
                }
                List<StoredSecret> candidates = candidates(storedByHint, slot);
                if (candidates.isEmpty()) {
                    errors.add(new FieldError(slot.path(), "is a masked secret that matches no stored value;"
                            + " send the secret itself"));
                } else {
                    List<String> changed = changedFields(SecretFields.destinations(kind, field, spec, slot),
                            candidates.get(0).destinations()).stream()
                            .map(pattern -> SecretFields.inSlot(pattern, slot))
                            .toList();
                    errors.add(new FieldError(slot.path(), "is the masked hint of a stored secret, but "
                            + String.join(", ", changed) + " changed, and a stored secret is sent only where it was"
                            + " sent before; send the secret itself again"));
                }
            }
        }
        return errors;
    }

    /** A stored secret value and the fields that determine where it is sent. */
    private record StoredSecret(JsonNode value, ObjectNode destinations) {
    }

    private static Map<String, List<StoredSecret>> storedByHint(ResourceKind<?> kind, String field,
                                                                ObjectNode stored) {
        Map<String, List<StoredSecret>> byHint = new HashMap<>();
        for (SecretFields.Slot slot : SecretFields.slots(stored, field)) {
            JsonNode value = slot.value();
            if (value != null) {
                byHint.computeIfAbsent(SecretFields.hint(value), hint -> new ArrayList<>())
                        .add(new StoredSecret(value, SecretFields.destinations(kind, field, stored, slot)));
            }
        }
        return byHint;
    }

    /** Returns the stored secrets whose hint {@code slot} carries; empty when it carries no such hint. */
    private static List<StoredSecret> candidates(Map<String, List<StoredSecret>> storedByHint,
                                                 SecretFields.Slot slot) {
        JsonNode value = slot.value();
        return value != null && value.isTextual() ? storedByHint.getOrDefault(value.asText(), List.of()) : List.of();
    }

    /** Returns the paths whose values differ between two results of {@link SecretFields#destinations}. */
    private static List<String> changedFields(ObjectNode written, ObjectNode stored) {
        List<String> changed = new ArrayList<>();
        written.properties().forEach(field -> {
            if (!field.getValue().equals(stored.get(field.getKey()))) {
                changed.add(field.getKey());
            }
        });
        return changed;
    }
}

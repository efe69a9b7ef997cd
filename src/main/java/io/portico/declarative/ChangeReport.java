package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a diff or an apply: the resources created, updated and deleted, each as {@code kind/name}, how
 * many resources were left unchanged, and the fields of each created or updated resource.
 *
 * @param fields for each created resource its fields, and for each updated resource its changed fields, secrets
 *     masked. Deleted and unchanged resources have no entry.
 */
public record ChangeReport(List<String> created, List<String> updated, List<String> deleted, int unchanged,
                           Map<String, List<FieldChange>> fields) {

    public ChangeReport {
        created = List.copyOf(created);
        updated = List.copyOf(updated);
        deleted = List.copyOf(deleted);
        Map<String, List<FieldChange>> copy = new LinkedHashMap<>();
        fields.forEach((resource, changes) -> copy.put(resource, List.copyOf(changes)));
        fields = Collections.unmodifiableMap(copy);
    }

    /** Returns true when nothing is created, updated or deleted. */
    public boolean isEmpty() {
        return created.isEmpty() && updated.isEmpty() && deleted.isEmpty();
    }

    /** Returns the fields of {@code resource} ({@code kind/name}), or an empty list when there are none. */
    public List<FieldChange> fieldsOf(String resource) {
        return fields.getOrDefault(resource, List.of());
    }

    /**
     * Returns the JSON form {@code {"created": [...], "updated": [...], "deleted": [...], "unchanged": N,
     * "fields": {"kind/name": [...]}}}, where each field is in the form of {@link FieldChange#toJson()}.
     */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        created.forEach(json.putArray("created")::add);
        updated.forEach(json.putArray("updated")::add);
        deleted.forEach(json.putArray("deleted")::add);
        json.put("unchanged", unchanged);
        ObjectNode byResource = json.putObject("fields");
        fields.forEach((resource, changes) -> changes.forEach(
                change -> byResource.withArrayProperty(resource).add(change.toJson())));
        return json;
    }

    /**
     * Reads the JSON form written by {@link #toJson()}. A report without {@code fields}, as older nodes send it,
     * has no fields.
     *
     * @throws IllegalArgumentException when a field change is not of the form {@link FieldChange#toJson()} writes
     */
    public static ChangeReport fromJson(JsonNode json) {
        Map<String, List<FieldChange>> fields = new LinkedHashMap<>();
        json.path("fields").properties().forEach(resource -> {
            List<FieldChange> changes = new ArrayList<>();
            resource.getValue().forEach(change -> changes.add(FieldChange.fromJson(change)));
            fields.put(resource.getKey(), changes);
        });
        return new ChangeReport(strings(json.path("created")), strings(json.path("updated")),
                strings(json.path("deleted")), json.path("unchanged").asInt(), fields);
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}

package io.portico.declarative;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * The outcome of a diff or an apply: the resources created, updated and deleted, each as {@code kind/name}, and how
 * many resources were left unchanged.
 */
public record ChangeReport(List<String> created, List<String> updated, List<String> deleted, int unchanged) {

    public ChangeReport {
        created = List.copyOf(created);
        updated = List.copyOf(updated);
        deleted = List.copyOf(deleted);
    }

    /** Returns true when nothing is created, updated or deleted. */
    public boolean isEmpty() {
        return created.isEmpty() && updated.isEmpty() && deleted.isEmpty();
    }

    /** Returns the JSON form {@code {"created": [...], "updated": [...], "deleted": [...], "unchanged": N}}. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        created.forEach(json.putArray("created")::add);
        updated.forEach(json.putArray("updated")::add);
        deleted.forEach(json.putArray("deleted")::add);
        json.put("unchanged", unchanged);
        return json;
    }

    /** Reads the JSON form written by {@link #toJson()}. */
    public static ChangeReport fromJson(JsonNode json) {
        return new ChangeReport(strings(json.path("created")), strings(json.path("updated")),
                strings(json.path("deleted")), json.path("unchanged").asInt());
    }

    private static List<String> strings(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }
}

package io.portico.store;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One change in the audit log.
 *
 * @param storeVersion the store version of the commit that made the change
 * @param operation {@code create}, {@code update} or {@code delete}
 * @param team the team that owns the resource after the change, or before a delete; null for shared resources
 * @param before the specification before the change with secrets masked; null for a create
 * @param after the specification after the change with secrets masked; null for a delete
 */
public record AuditEntry(long id, Instant occurredAt, long storeVersion, String actor, String operation,
                         String kind, String name, String team, ObjectNode before, ObjectNode after,
                         String requestId, String clientAddress) {

    /** Returns the JSON form that the admin API sends and the export writes, one object per entry. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("id", id);
        json.put("time", occurredAt.toString());
        json.put("storeVersion", storeVersion);
        json.put("actor", actor);
        json.put("operation", operation);
        json.put("kind", kind);
        json.put("name", name);
        json.put("team", team);
        json.set("before", before);
        json.set("after", after);
        json.put("requestId", requestId);
        json.put("clientAddress", clientAddress);
        return json;
    }
}

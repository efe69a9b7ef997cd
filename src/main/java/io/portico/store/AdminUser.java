package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * An admin user as stored.
 *
 * @param role the role's label, such as {@code team-admin}
 * @param team the user's team, or null for a user of no team
 * @param passwordHash an Argon2id hash in the PHC string format, or null when the user has no password
 */
public record AdminUser(String name, String role, String team, String passwordHash, Instant createdAt,
                        Instant updatedAt) {

    public AdminUser {
        requireNonNull(name, "name");
        requireNonNull(role, "role");
        requireNonNull(createdAt, "createdAt");
        requireNonNull(updatedAt, "updatedAt");
    }

    /** Returns the user as the admin API and the audit log show it: whether a password is set, never its hash. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("name", name);
        json.put("role", role);
        json.put("team", team);
        json.put("passwordSet", passwordHash != null);
        json.put("createdAt", createdAt.toString());
        json.put("updatedAt", updatedAt.toString());
        return json;
    }
}

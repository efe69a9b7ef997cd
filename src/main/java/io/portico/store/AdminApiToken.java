package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * A personal API token of an admin user as stored: its hash, never the token.
 *
 * @param id the public part of the token, which finds its row
 * @param tokenHash the SHA-256 of the whole token in lower-case hex
 * @param expiresAt the instant from which the token is rejected, or null when it does not expire
 */
public record AdminApiToken(String id, String user, String tokenHash, String description, Instant createdAt,
                            Instant expiresAt) {

    public AdminApiToken {
        requireNonNull(id, "id");
        requireNonNull(user, "user");
        requireNonNull(tokenHash, "tokenHash");
        requireNonNull(createdAt, "createdAt");
    }

    /** Returns the token as the admin API and the audit log show it, without its hash. */
    public ObjectNode toJson() {
        ObjectNode json = JsonNodeFactory.instance.objectNode();
        json.put("id", id);
        json.put("user", user);
        json.put("description", description);
        json.put("createdAt", createdAt.toString());
        json.put("expiresAt", expiresAt == null ? null : expiresAt.toString());
        return json;
    }
}

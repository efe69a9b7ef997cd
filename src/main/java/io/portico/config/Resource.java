package io.portico.config;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * One stored configuration object: its kind (for example {@code services}), its unique name within that kind,
 * its specification as JSON, and the revision the store gave it. The revision is the ETag of the admin API.
 */
public record Resource(String kind, String name, ObjectNode spec, long revision, Instant updatedAt) {

    public Resource {
        requireNonNull(kind, "kind");
        requireNonNull(name, "name");
        requireNonNull(spec, "spec");
        requireNonNull(updatedAt, "updatedAt");
    }

    /** Returns the ETag value that identifies this revision. */
    public String etag() {
        return "\"" + revision + "\"";
    }
}

package io.portico.store;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * One write to the store, part of a batch that {@link ConfigStore#commit} applies atomically.
 *
 * @param expectedRevision when not null, the write fails unless the stored revision equals it (optimistic
 *     concurrency); ignored for {@link Operation#CREATE}
 */
public record Change(Operation operation, String kind, String name, ObjectNode spec, Long expectedRevision) {

    /** The kind of write a change makes. */
    public enum Operation { CREATE, UPDATE, DELETE }

    public Change {
        requireNonNull(operation, "operation");
        requireNonNull(kind, "kind");
        requireNonNull(name, "name");
        if (operation != Operation.DELETE) {
            requireNonNull(spec, "spec");
        }
    }

    public static Change create(String kind, String name, ObjectNode spec) {
        return new Change(Operation.CREATE, kind, name, spec, null);
    }

    public static Change update(String kind, String name, ObjectNode spec, Long expectedRevision) {
        return new Change(Operation.UPDATE, kind, name, spec, expectedRevision);
    }

    public static Change delete(String kind, String name, Long expectedRevision) {
        return new Change(Operation.DELETE, kind, name, null, expectedRevision);
    }
}

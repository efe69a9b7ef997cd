package io.portico.store;

import io.portico.config.Resource;
import java.util.List;
import java.util.Optional;

/**
 * Durable storage of the configuration, shared by every Portico node that points at the same database. Every
 * method blocks: call it from a worker thread, never from an event loop.
 *
 * <p>The store keeps one global version that every commit increments; a resource's revision is the version of
 * the commit that last wrote it.
 */
public interface ConfigStore extends AutoCloseable {

    /**
     * Returns the current global version; 0 when nothing was ever written.
     *
     * @throws StoreException when the database cannot be reached
     */
    long version();

    /**
     * Returns true while the store is known to be unreachable, so calls other than {@link #version()} fail at once.
     * Unlike the other methods, it does not block, because it only returns what the last calls found. Stores that
     * cannot tell return false.
     */
    default boolean knownUnreachable() {
        return false;
    }

    /** Returns every resource together with the version they were read at, in one consistent read. */
    StoreContents read();

    /** Returns the resources of {@code kind}, sorted by name. */
    List<Resource> list(String kind);

    Optional<Resource> get(String kind, String name);

    /**
     * Applies {@code changes} in one transaction, all of them or none, and records each of them in the audit log
     * in the same transaction.
     *
     * @return the written resources, in the order of {@code changes}; a deleted resource is returned as it was
     *     before deletion
     * @throws ConflictException when a resource to create exists, or an expected revision does not match
     * @throws NotFoundException when a resource to update or delete does not exist
     * @throws StoreException when the database fails
     */
    List<Resource> commit(List<Change> changes, AuditContext audit);

    /** Applies {@code changes} like {@link #commit(List, AuditContext)}, recorded as made by no one in particular. */
    default List<Resource> commit(List<Change> changes) {
        return commit(changes, AuditContext.UNATTRIBUTED);
    }

    /**
     * Returns the audit log entries that match {@code query}, newest first.
     *
     * @throws StoreException when the database fails
     */
    List<AuditEntry> audit(AuditQuery query);

    @Override
    void close();

    /** Every stored resource and the global version of that read. */
    record StoreContents(long version, List<Resource> resources) {
    }
}

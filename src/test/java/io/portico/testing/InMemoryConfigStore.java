package io.portico.testing;

import io.portico.config.Resource;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import io.portico.store.NotFoundException;
import io.portico.store.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link ConfigStore} in memory with the contract of the JDBC store: one global version that each commit
 * increments, revisions equal to the version of the last write, atomic batches, and copies on every read and
 * write so callers cannot change stored specifications.
 */
public final class InMemoryConfigStore implements ConfigStore {

    private Map<String, Resource> resources = new TreeMap<>();
    private long version;
    private int commits;
    private volatile boolean available = true;
    private Runnable beforeNextCommit;

    /** Makes every call fail with a {@link StoreException}, as when the database is down, or recover. */
    public void setAvailable(boolean available) {
        this.available = available;
    }

    /** Runs {@code action} once, just before the next commit, as if another writer got there first. */
    public synchronized void beforeNextCommit(Runnable action) {
        this.beforeNextCommit = action;
    }

    /** Returns how many commits succeeded. */
    public synchronized int commits() {
        return commits;
    }

    @Override
    public synchronized long version() {
        checkAvailable();
        return version;
    }

    @Override
    public synchronized StoreContents read() {
        checkAvailable();
        return new StoreContents(version, resources.values().stream().map(InMemoryConfigStore::copy).toList());
    }

    @Override
    public synchronized List<Resource> list(String kind) {
        checkAvailable();
        return resources.values().stream()
                .filter(resource -> resource.kind().equals(kind))
                .map(InMemoryConfigStore::copy)
                .toList();
    }

    @Override
    public synchronized Optional<Resource> get(String kind, String name) {
        checkAvailable();
        return Optional.ofNullable(resources.get(key(kind, name))).map(InMemoryConfigStore::copy);
    }

    @Override
    public synchronized List<Resource> commit(List<Change> changes) {
        checkAvailable();
        if (beforeNextCommit != null) {
            Runnable action = beforeNextCommit;
            beforeNextCommit = null;
            action.run();
        }
        Map<String, Resource> next = new TreeMap<>(resources);
        long nextVersion = version + 1;
        Instant now = Instant.now();
        List<Resource> written = new ArrayList<>();
        for (Change change : changes) {
            String key = key(change.kind(), change.name());
            Resource existing = next.get(key);
            if (change.operation() == Change.Operation.CREATE) {
                if (existing != null) {
                    throw new ConflictException(key + " already exists", false);
                }
            } else {
                if (existing == null) {
                    throw new NotFoundException(change.kind(), change.name());
                }
                if (change.expectedRevision() != null && change.expectedRevision() != existing.revision()) {
                    throw new ConflictException(key + " has revision " + existing.revision() + ", not the expected "
                            + change.expectedRevision(), true);
                }
            }
            if (change.operation() == Change.Operation.DELETE) {
                next.remove(key);
                written.add(copy(existing));
            } else {
                Resource resource = new Resource(change.kind(), change.name(), change.spec().deepCopy(), nextVersion,
                        now);
                next.put(key, resource);
                written.add(copy(resource));
            }
        }
        resources = next;
        version = nextVersion;
        commits++;
        return written;
    }

    @Override
    public void close() {
        // Nothing to release.
    }

    private void checkAvailable() {
        if (!available) {
            throw new StoreException("the test store is switched off");
        }
    }

    private static Resource copy(Resource resource) {
        return new Resource(resource.kind(), resource.name(), resource.spec().deepCopy(), resource.revision(),
                resource.updatedAt());
    }

    private static String key(String kind, String name) {
        return kind + "/" + name;
    }
}

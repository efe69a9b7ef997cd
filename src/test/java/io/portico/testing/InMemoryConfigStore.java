package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import io.portico.store.AuditContext;
import io.portico.store.AuditEntry;
import io.portico.store.AuditQuery;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import io.portico.store.ConflictException;
import io.portico.store.NotFoundException;
import io.portico.store.StoreException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A {@link ConfigStore} in memory with the contract of the JDBC store: one global version that each commit that
 * changes something increments, revisions equal to the version of the last write, atomic batches, and copies on
 * every read and write so callers cannot change stored specifications.
 */
public final class InMemoryConfigStore implements ConfigStore {

    private Map<String, Resource> resources = new TreeMap<>();
    private long version;
    private int commits;
    private volatile boolean available = true;
    private Runnable beforeNextCommit;
    private final List<AuditEntry> auditLog = new ArrayList<>();

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
    public synchronized List<Resource> commit(List<Change> changes, AuditContext audit) {
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
            } else if (isUnchanged(change, existing)) {
                written.add(copy(existing));
            } else {
                Resource resource = new Resource(change.kind(), change.name(), change.spec().deepCopy(), nextVersion,
                        now);
                next.put(key, resource);
                written.add(copy(resource));
            }
        }
        boolean changedAny = false;
        for (int i = 0; i < changes.size(); i++) {
            Change change = changes.get(i);
            Resource before = change.operation() == Change.Operation.CREATE ? null : resources.get(
                    key(change.kind(), change.name()));
            if (isUnchanged(change, before)) {
                continue;
            }
            changedAny = true;
            auditLog.add(0, new AuditEntry(auditLog.size() + 1, now, nextVersion, audit.actor(),
                    change.operation().name().toLowerCase(Locale.ROOT), change.kind(), change.name(),
                    teamOf(change, before), masked(change.kind(), before == null ? null : before.spec()),
                    masked(change.kind(), change.spec()), audit.requestId(), audit.clientAddress()));
        }
        if (changedAny) {
            resources = next;
            version = nextVersion;
            commits++;
        }
        return written;
    }

    /** Returns true for an update whose spec equals the stored one, which the store leaves out like the JDBC one. */
    private static boolean isUnchanged(Change change, Resource existing) {
        return change.operation() == Change.Operation.UPDATE && existing != null
                && existing.spec().equals(change.spec());
    }

    /** Returns the entries that match the query's kind, name, actor, team and page; other filters are ignored. */
    @Override
    public synchronized List<AuditEntry> audit(AuditQuery query) {
        checkAvailable();
        return auditLog.stream()
                .filter(entry -> query.kind() == null || query.kind().equals(entry.kind()))
                .filter(entry -> query.name() == null || query.name().equals(entry.name()))
                .filter(entry -> query.actor() == null || query.actor().equals(entry.actor()))
                .filter(entry -> query.team() == null || query.team().equals(entry.team()))
                .filter(entry -> query.beforeId() == null || entry.id() < query.beforeId())
                .limit(query.limit())
                .toList();
    }

    private static String teamOf(Change change, Resource before) {
        if (change.kind().equals("teams")) {
            return change.name();
        }
        ObjectNode spec = change.spec() != null ? change.spec() : before == null ? null : before.spec();
        return spec == null || !spec.path("team").isTextual() ? null : spec.path("team").asText();
    }

    private static ObjectNode masked(String kind, ObjectNode spec) {
        if (spec == null) {
            return null;
        }
        return ResourceKinds.find(kind).map(known -> SecretFields.mask(known, spec)).orElseGet(spec::deepCopy);
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

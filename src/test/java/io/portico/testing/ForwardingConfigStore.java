package io.portico.testing;

import static java.util.Objects.requireNonNull;

import io.portico.config.Resource;
import io.portico.store.AuditContext;
import io.portico.store.AuditEntry;
import io.portico.store.AuditQuery;
import io.portico.store.Change;
import io.portico.store.ConfigStore;
import java.util.List;
import java.util.Optional;

/**
 * A {@link ConfigStore} that passes every call to another store. Tests extend it and override the calls they slow
 * down, count or follow with a competing write. {@link #close()} closes the other store too.
 */
public class ForwardingConfigStore implements ConfigStore {

    private final ConfigStore store;

    public ForwardingConfigStore(ConfigStore store) {
        this.store = requireNonNull(store, "store");
    }

    /** Returns the store that receives the calls. */
    protected final ConfigStore delegate() {
        return store;
    }

    @Override
    public long version() {
        return store.version();
    }

    @Override
    public boolean knownUnreachable() {
        return store.knownUnreachable();
    }

    @Override
    public StoreContents read() {
        return store.read();
    }

    @Override
    public List<Resource> list(String kind) {
        return store.list(kind);
    }

    @Override
    public Optional<Resource> get(String kind, String name) {
        return store.get(kind, name);
    }

    @Override
    public List<Resource> commit(List<Change> changes, AuditContext audit) {
        return store.commit(changes, audit);
    }

    @Override
    public List<AuditEntry> audit(AuditQuery query) {
        return store.audit(query);
    }

    @Override
    public void close() {
        store.close();
    }
}

package io.portico.testing;

import io.portico.admin.SnapshotSource;
import io.portico.config.ConfigSnapshot;
import io.portico.store.ConfigStore;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.atomic.AtomicInteger;

/** A {@link SnapshotSource} that reads the whole store on a worker thread whenever it is asked to refresh. */
public final class StoreSnapshotSource implements SnapshotSource {

    private final Vertx vertx;
    private final ConfigStore store;
    private final AtomicInteger refreshes = new AtomicInteger();
    private volatile ConfigSnapshot current = ConfigSnapshot.empty();

    public StoreSnapshotSource(Vertx vertx, ConfigStore store) {
        this.vertx = vertx;
        this.store = store;
    }

    @Override
    public ConfigSnapshot current() {
        return current;
    }

    @Override
    public Future<ConfigSnapshot> refreshNow() {
        return vertx.executeBlocking(() -> {
            ConfigStore.StoreContents contents = store.read();
            current = ConfigSnapshot.of(contents.version(), contents.resources());
            refreshes.incrementAndGet();
            return current;
        }, false);
    }

    /** Returns how many refreshes completed. */
    public int refreshes() {
        return refreshes.get();
    }
}

package io.portico.admin;

import io.portico.config.ConfigSnapshot;
import io.vertx.core.Future;

/** The configuration snapshot this node serves, and a way to reload it from the store at once. */
public interface SnapshotSource {

    /** Returns the snapshot in use now. Implementations must not block, because event loops call this. */
    ConfigSnapshot current();

    /**
     * Reads the store now and makes its contents the current snapshot.
     *
     * @return a future completed with the new snapshot once it is in use
     */
    Future<ConfigSnapshot> refreshNow();
}

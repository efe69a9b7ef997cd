package io.portico.admin;

import io.portico.config.ConfigSnapshot;
import io.vertx.core.Future;

/**
 * The configuration snapshot this node serves, a way to reload it from the store at once, and a check that this
 * node can serve a candidate snapshot.
 */
public interface SnapshotSource {

    /** Returns the snapshot in use now. Implementations must not block, because event loops call this. */
    ConfigSnapshot current();

    /**
     * Reads the store now and makes its contents the current snapshot.
     *
     * @return a future completed with the new snapshot once it is in use
     */
    Future<ConfigSnapshot> refreshNow();

    /**
     * Returns the store's version as this node last read it, -1 before the first read. It stays at the last value
     * while the store is unreachable. Implementations must not block.
     */
    default long storeVersion() {
        return -1;
    }

    /**
     * Checks that this node's data plane can compile {@code candidate}, so that a change is not stored when the
     * nodes would then fail to apply it. Blocks while it compiles, so call it off the event loop. Accepts every
     * candidate unless overridden, as for an admin API without a gateway.
     *
     * @throws io.portico.config.ValidationException naming each field that the data plane rejects, as
     *     {@code kind/name.field}
     */
    default void check(ConfigSnapshot candidate) {
    }
}

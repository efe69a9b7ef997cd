package io.portico.pipeline;

import io.portico.config.ConfigSnapshot;
import io.vertx.core.Vertx;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * What a {@link PolicyFactory} may use when it creates a policy for one route of one configuration snapshot.
 */
public interface PolicyContext {

    Vertx vertx();

    /** The snapshot the policy is created for; its consumers, credentials, APIs and subscriptions included. */
    ConfigSnapshot snapshot();

    /** The name of the route the policy is attached to. */
    String route();

    /**
     * Returns the value stored under {@code key} for this snapshot, computing it once from the snapshot on first
     * use. Policies use it to build an index, such as credentials by key hash, once for every route they serve.
     */
    <T> T perSnapshot(String key, Function<ConfigSnapshot, T> compute);

    /**
     * Returns the value stored under {@code key} for the lifetime of the node, creating it on first use. Policies
     * use it for state that must survive configuration changes, such as a cache of fetched signing keys.
     */
    <T> T perNode(String key, Supplier<T> create);
}

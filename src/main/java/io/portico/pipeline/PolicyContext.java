package io.portico.pipeline;

import io.portico.config.ConfigSnapshot;
import io.portico.redis.RedisClient;
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
     * Returns where the policy is declared, unique for each policy of a snapshot: {@code route:NAME/policies/INDEX}
     * for a route's own policies, {@code api:NAME/policies/INDEX} for an API's. An API's policy is created once for
     * each route of the API, with the same value, so state keyed by it is shared across the API's routes.
     */
    default String declaredIn() {
        return "route:" + route();
    }

    /** Returns the node's Redis client, shared by every policy, or null when the node settings configure none. */
    default RedisClient redis() {
        return null;
    }

    /**
     * Returns the node setting {@code upstreams.allowPrivateAddresses}: whether outbound calls may go to loopback,
     * private, link-local, cloud metadata and other non-public addresses. True unless the node sets it to false.
     */
    default boolean allowPrivateAddresses() {
        return true;
    }

    /**
     * Returns true when the snapshot is compiled only to check it before it is stored. The policy never serves
     * then, so a factory logs no warning about it.
     */
    default boolean checkOnly() {
        return false;
    }

    /**
     * Returns the value stored under {@code key} for this snapshot, computing it once from the snapshot on first
     * use. Policies use it to build an index, such as credentials by key hash, once for every route they serve.
     */
    <T> T perSnapshot(String key, Function<ConfigSnapshot, T> compute);

    /**
     * Returns the value stored under {@code key} for the lifetime of the node, creating it on first use. Policies
     * use it for state that must survive configuration changes, such as a cache of fetched signing keys. A value
     * that implements {@link NodeResource} lives only while a configuration uses it. A compile check
     * ({@link #checkOnly()}) gets the node's value when there is one, and otherwise a value of its own that is
     * discarded, and closed when it is {@link AutoCloseable}, once the check ends.
     */
    <T> T perNode(String key, Supplier<T> create);
}

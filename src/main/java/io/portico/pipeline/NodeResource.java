package io.portico.pipeline;

/**
 * A per-node value ({@link PolicyContext#perNode}) that owns resources, such as an HTTP client, and that the node
 * closes once no configuration uses it. The node closes it {@code drainTimeout} after the last configuration that
 * requested it stopped serving, and a compile check closes at once each one it created. A later configuration that
 * requests the same key gets a new instance.
 *
 * <p>Per-node values that do not implement this interface live as long as the node. State that limits or counts
 * requests, such as rate-limit counters, concurrency gates and usage counters, stays that way. Releasing it would
 * reset limits that still apply, for example when a configuration removes a policy and the next one restores it.
 */
public interface NodeResource extends AutoCloseable {

    /**
     * Releases the resources once nothing uses the value any more. The node calls it at most once, on an event
     * loop or a worker thread, so it must not block.
     */
    @Override
    void close();
}

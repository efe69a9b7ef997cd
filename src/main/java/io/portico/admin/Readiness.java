package io.portico.admin;

import java.util.Map;

/** Whether this node is ready to serve traffic, for {@code GET /health/ready}. Must not block. */
@FunctionalInterface
public interface Readiness {

    /** Returns true when the node serves traffic with a configuration from the store. */
    boolean ready();

    /**
     * Returns the fields that {@code /health/ready} sends beside {@code status}, each a string or a number, such as
     * the configuration versions and the reason the node is not ready. Empty unless overridden.
     */
    default Map<String, Object> details() {
        return Map.of();
    }
}

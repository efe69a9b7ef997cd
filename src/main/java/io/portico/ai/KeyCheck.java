package io.portico.ai;

import io.portico.ai.spi.AiError;

/**
 * A check that a provider key passes before it serves a request; see {@link AiGateway#checkKeys}. Policies use it
 * to take keys out of one request, such as a key whose spend budget is used up.
 */
@FunctionalInterface
public interface KeyCheck {

    /**
     * Returns why the key labelled {@code key} of provider {@code provider} must not serve the request, or null
     * when it may. Runs on the request's event loop and must not block.
     *
     * @param key the key's label from the configuration, or {@code #N} (counted from 1) for a key without one
     */
    AiError reject(String provider, String key);
}

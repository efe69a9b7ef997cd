package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Anthropic cache breakpoints in Portico's internal form: the {@code cache_control} objects that an Anthropic
 * client's blocks carry onto content parts, tool and assistant messages and tools.
 */
final class CacheControl {

    static final String FIELD = "cache_control";

    private CacheControl() {
    }

    /** Returns the breakpoint of {@code node}, or null when it has none. */
    static ObjectNode of(JsonNode node) {
        return node != null && node.get(FIELD) instanceof ObjectNode breakpoint ? breakpoint : null;
    }

    /** True when an element of {@code nodes}, an array of parts or tools, has a breakpoint. */
    static boolean presentIn(JsonNode nodes) {
        if (nodes == null || !nodes.isArray()) {
            return false;
        }
        for (JsonNode node : nodes) {
            if (node.has(FIELD)) {
                return true;
            }
        }
        return false;
    }

    /** Returns a copy of {@code nodes} without breakpoints, for providers that reject fields they do not know. */
    static JsonNode removedFrom(JsonNode nodes) {
        JsonNode copy = nodes.deepCopy();
        if (copy.isArray()) {
            for (JsonNode node : copy) {
                if (node instanceof ObjectNode object) {
                    object.remove(FIELD);
                }
            }
        }
        return copy;
    }
}

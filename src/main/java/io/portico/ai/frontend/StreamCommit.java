package io.portico.ai.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.StreamFrame;
import java.util.Map;

/**
 * The rule for the event that commits a stream: the first content, tool call or finish reason, which the client
 * cannot be asked to forget. The events before it carry only the message's identity (OpenAI's role chunk,
 * Anthropic's {@code message_start} and empty block starts), so the writers hold them back and write nothing, and
 * a failure until then still falls back to the next attempt. Content is never held.
 */
final class StreamCommit {

    /**
     * The maximum number of events a writer holds back. A stream that sends more before its first content is
     * committed at once, so a provider cannot make Portico keep an endless list.
     */
    static final int MAX_HELD_BACK = 16;

    private StreamCommit() {
    }

    /** Returns whether an OpenAI chunk carries a finish reason or {@linkplain #hasContent content}. */
    static boolean commits(ObjectNode chunk) {
        for (JsonNode choice : chunk.path("choices")) {
            if (choice.path("finish_reason").isTextual()) {
                return true;
            }
        }
        return hasContent(chunk);
    }

    /**
     * Returns whether a delta of an OpenAI chunk has a field other than {@code role} that is neither null nor an
     * empty string, array or object: text, reasoning, a tool call, a refusal or a thinking block's signature.
     */
    static boolean hasContent(ObjectNode chunk) {
        for (JsonNode choice : chunk.path("choices")) {
            for (Map.Entry<String, JsonNode> field : choice.path("delta").properties()) {
                if (!"role".equals(field.getKey()) && !empty(field.getValue())) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean empty(JsonNode value) {
        return value.isNull() || value.isTextual() && value.asText().isEmpty() || value.isContainerNode()
                && value.isEmpty();
    }

    /**
     * Returns whether an event of an Anthropic stream commits it: every event except {@code message_start},
     * {@code ping} and a {@code content_block_start} of a text or thinking block that is still empty.
     */
    static boolean commits(StreamFrame frame) {
        String event = frame.event();
        if ("message_start".equals(event) || "ping".equals(event)) {
            return false;
        }
        if (!"content_block_start".equals(event)) {
            return true;
        }
        JsonNode json = Wire.parse(frame.data());
        JsonNode block = json == null ? null : json.get("content_block");
        if (block == null) {
            return true;
        }
        return switch (block.path("type").asText()) {
            case "text" -> !block.path("text").asText("").isEmpty();
            case "thinking" -> !block.path("thinking").asText("").isEmpty()
                    || !block.path("signature").asText("").isEmpty();
            default -> true;
        };
    }
}

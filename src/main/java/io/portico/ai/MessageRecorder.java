package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.HashMap;
import java.util.Map;

/**
 * Builds the Anthropic message that a native Anthropic Messages stream delivers, so a streamed response can be
 * stored in the chat cache like one that was not streamed: the message of {@code message_start}, each content block
 * of {@code content_block_start} with its deltas applied ({@code text_delta}, {@code input_json_delta} parsed at
 * the block's stop, {@code thinking_delta}, {@code signature_delta}, {@code citations_delta}), and the stop reason
 * and usage of {@code message_delta}.
 *
 * <p>Recording stops for good when the stream carries an {@code error} event, an event or delta this class does not
 * know, invalid JSON, or more than {@code maxBytes} of event data, so only a message that is known to be whole is
 * returned.
 */
final class MessageRecorder {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final long maxBytes;
    private final Map<Integer, StringBuilder> partialInputs = new HashMap<>();
    private long bytes;
    private boolean failed;
    private boolean stopped;
    private ObjectNode message;
    private ArrayNode content;

    MessageRecorder(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds one event as it was relayed to the client. */
    void frame(StreamFrame frame) {
        if (failed || stopped) {
            return;
        }
        bytes += frame.data().length();
        JsonNode data = bytes > maxBytes ? null : Wire.parse(frame.data());
        String type = frame.event();
        if (type == null && data != null) {
            type = data.path("type").asText();
        }
        if (data == null || !apply(type, data)) {
            failed = true;
            message = null;
            content = null;
            partialInputs.clear();
        }
    }

    /** Applies one event; returns false when the message cannot be recorded. */
    private boolean apply(String type, JsonNode data) {
        if (type.equals("message_start")) {
            if (!data.path("message").isObject()) {
                return false;
            }
            message = ((ObjectNode) data.get("message")).deepCopy();
            content = message.putArray("content");
            return true;
        }
        if (type.equals("ping")) {
            return true;
        }
        if (message == null) {
            return false;
        }
        return switch (type) {
            case "content_block_start" -> startBlock(data);
            case "content_block_delta" -> applyDelta(data);
            case "content_block_stop" -> stopBlock(data.path("index").asInt(-1));
            case "message_delta" -> finishMessage(data);
            case "message_stop" -> {
                stopped = true;
                yield true;
            }
            default -> false;
        };
    }

    private boolean startBlock(JsonNode data) {
        int index = data.path("index").asInt(-1);
        if (index != content.size() || !data.path("content_block").isObject()) {
            return false;
        }
        content.add(data.get("content_block").deepCopy());
        return true;
    }

    private boolean applyDelta(JsonNode data) {
        JsonNode block = content.get(data.path("index").asInt(-1));
        if (!(block instanceof ObjectNode target)) {
            return false;
        }
        JsonNode delta = data.path("delta");
        switch (delta.path("type").asText()) {
            case "text_delta" -> target.put("text", target.path("text").asText("") + delta.path("text").asText(""));
            case "thinking_delta" -> target.put("thinking", target.path("thinking").asText("")
                    + delta.path("thinking").asText(""));
            case "signature_delta" -> target.put("signature", delta.path("signature").asText(""));
            case "input_json_delta" -> partialInputs.computeIfAbsent(data.get("index").asInt(),
                    unused -> new StringBuilder()).append(delta.path("partial_json").asText(""));
            case "citations_delta" -> {
                JsonNode citations = target.get("citations");
                ArrayNode list = citations instanceof ArrayNode array ? array : target.putArray("citations");
                list.add(delta.path("citation"));
            }
            default -> {
                return false;
            }
        }
        return true;
    }

    private boolean stopBlock(int index) {
        StringBuilder partial = partialInputs.remove(index);
        if (partial == null) {
            return index >= 0 && index < content.size();
        }
        JsonNode input = partial.length() == 0 ? NODES.objectNode() : Wire.parse(partial.toString());
        if (!(input instanceof ObjectNode) || !(content.get(index) instanceof ObjectNode block)) {
            return false;
        }
        block.set("input", input);
        return true;
    }

    private boolean finishMessage(JsonNode data) {
        JsonNode delta = data.path("delta");
        if (delta.has("stop_reason")) {
            message.set("stop_reason", delta.get("stop_reason"));
        }
        if (delta.has("stop_sequence")) {
            message.set("stop_sequence", delta.get("stop_sequence"));
        }
        if (data.path("usage").isObject()) {
            ObjectNode usage = message.path("usage").isObject() ? (ObjectNode) message.get("usage")
                    : message.putObject("usage");
            data.get("usage").fields().forEachRemaining(field -> {
                if (!field.getValue().isNull()) {
                    usage.set(field.getKey(), field.getValue());
                }
            });
        }
        return true;
    }

    /** Returns the message as JSON, or null unless the stream reached {@code message_stop} intact. */
    Buffer message() {
        return stopped && !failed && message != null ? Wire.json(message) : null;
    }
}

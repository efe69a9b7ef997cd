package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.frontend.Frontend;
import io.portico.ai.frontend.StreamEnd;
import io.portico.ai.frontend.StreamWriter;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.vertx.core.http.HttpServerResponse;

/**
 * Serves a chat request from a cached complete response: as it is when the client did not ask for a stream, and
 * otherwise as a stream in the client's protocol that delivers the same message, one chunk per choice and part.
 */
final class ChatReplay {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ChatReplay() {
    }

    /** Writes {@code entry} to {@code response} whole, or streamed when {@code request} is a stream. */
    static void write(HttpServerResponse response, Frontend frontend, ChatRequest request, ChatCache.Entry entry) {
        if (ChatCache.MESSAGE.equals(entry.format())) {
            if (request.stream()) {
                streamMessage(response, frontend.streamWriter(response, request, Usage.NONE), entry.body());
            } else {
                frontend.writeNative(response, Wire.json(entry.body()));
            }
            return;
        }
        ObjectNode completion = entry.body();
        Usage usage = OpenAiUsage.read(completion.get("usage"));
        if (!request.stream()) {
            frontend.writeResponse(response, completion, request, usage);
            return;
        }
        StreamWriter writer = frontend.streamWriter(response, request, usage);
        for (JsonNode choice : completion.path("choices")) {
            streamChoice(writer, completion, choice);
        }
        writer.usage(usage);
        writer.finish(usage);
    }

    /** Sends one choice of a completion as chunks: its text and reasoning, its tool calls, its finish reason. */
    private static void streamChoice(StreamWriter writer, ObjectNode completion, JsonNode choice) {
        int index = choice.path("index").asInt(0);
        JsonNode message = choice.path("message");
        ObjectNode first = chunk(completion, index);
        ObjectNode delta = delta(first).put("role", "assistant");
        copyText(message, delta, "reasoning_content");
        copyText(message, delta, "reasoning");
        if (message.has("thinking_blocks")) {
            delta.set("thinking_blocks", message.get("thinking_blocks"));
        }
        copyText(message, delta, "content");
        if (!delta.has("content")) {
            // As in a live stream, the first chunk of a completion without text carries a null content.
            delta.putNull("content");
        }
        writer.chunk(first);
        JsonNode calls = message.path("tool_calls");
        for (int i = 0; i < calls.size(); i++) {
            ObjectNode chunk = chunk(completion, index);
            ObjectNode call = ((ObjectNode) calls.get(i).deepCopy()).put("index", i);
            delta(chunk).putArray("tool_calls").add(call);
            writer.chunk(chunk);
        }
        ObjectNode last = chunk(completion, index);
        delta(last);
        choice(last).put("finish_reason", choice.path("finish_reason").asText("stop"));
        writer.chunk(last);
    }

    /** Adds an empty delta to the choice of {@code chunk}, followed by a null finish reason, and returns it. */
    private static ObjectNode delta(ObjectNode chunk) {
        ObjectNode choice = choice(chunk);
        ObjectNode delta = choice.putObject("delta");
        choice.putNull("finish_reason");
        return delta;
    }

    private static void copyText(JsonNode message, ObjectNode delta, String field) {
        JsonNode value = message.get(field);
        if (value != null && value.isTextual() && !value.asText().isEmpty()) {
            delta.put(field, value.asText());
        } else if (value != null && value.isArray()) {
            delta.put(field, textOf(value));
        }
    }

    private static String textOf(JsonNode parts) {
        StringBuilder text = new StringBuilder();
        for (JsonNode part : parts) {
            text.append(part.path("text").asText(""));
        }
        return text.toString();
    }

    private static ObjectNode choice(ObjectNode chunk) {
        return (ObjectNode) chunk.get("choices").get(0);
    }

    private static ObjectNode chunk(ObjectNode completion, int index) {
        ObjectNode chunk = NODES.objectNode()
                .put("id", completion.path("id").asText("chatcmpl-portico"))
                .put("object", "chat.completion.chunk")
                .put("created", completion.path("created").asLong(System.currentTimeMillis() / 1000))
                .put("model", completion.path("model").asText(""));
        chunk.putArray("choices").addObject().put("index", index);
        return chunk;
    }

    /** Sends an Anthropic message as the events of an Anthropic Messages stream. */
    private static void streamMessage(HttpServerResponse response, StreamWriter writer, ObjectNode message) {
        ObjectNode start = message.deepCopy();
        start.putArray("content");
        start.putNull("stop_reason");
        start.putNull("stop_sequence");
        ObjectNode startUsage = message.path("usage").isObject() ? ((ObjectNode) message.get("usage")).deepCopy()
                : NODES.objectNode();
        startUsage.put("output_tokens", 0);
        start.set("usage", startUsage);
        ObjectNode messageStart = NODES.objectNode().put("type", "message_start");
        messageStart.set("message", start);
        event(writer, "message_start", messageStart);
        JsonNode content = message.path("content");
        for (int i = 0; i < content.size(); i++) {
            streamBlock(writer, i, content.get(i));
        }
        ObjectNode messageDelta = NODES.objectNode().put("type", "message_delta");
        ObjectNode delta = messageDelta.putObject("delta");
        delta.set("stop_reason", message.path("stop_reason").isMissingNode() ? NODES.nullNode()
                : message.get("stop_reason"));
        delta.set("stop_sequence", message.path("stop_sequence").isMissingNode() ? NODES.nullNode()
                : message.get("stop_sequence"));
        messageDelta.putObject("usage").put("output_tokens", message.path("usage").path("output_tokens").asLong(0));
        event(writer, "message_delta", messageDelta);
        event(writer, "message_stop", NODES.objectNode().put("type", "message_stop"));
        StreamEnd.end(response);
    }

    /** Sends one content block: its start with the block emptied, one delta with its content, its stop. */
    private static void streamBlock(StreamWriter writer, int index, JsonNode block) {
        String type = block.path("type").asText();
        ObjectNode empty = block.deepCopy();
        ObjectNode delta = null;
        switch (type) {
            case "text" -> {
                empty.put("text", "");
                delta = NODES.objectNode().put("type", "text_delta").put("text", block.path("text").asText(""));
            }
            case "tool_use", "server_tool_use" -> {
                empty.putObject("input");
                delta = NODES.objectNode().put("type", "input_json_delta")
                        .put("partial_json", block.path("input").toString());
            }
            case "thinking" -> {
                empty.put("thinking", "").put("signature", "");
                delta = NODES.objectNode().put("type", "thinking_delta")
                        .put("thinking", block.path("thinking").asText(""));
            }
            default -> {
                // Other blocks, such as redacted thinking, arrive whole in their start event.
            }
        }
        ObjectNode blockStart = NODES.objectNode().put("type", "content_block_start").put("index", index);
        blockStart.set("content_block", empty);
        event(writer, "content_block_start", blockStart);
        if (delta != null) {
            ObjectNode blockDelta = NODES.objectNode().put("type", "content_block_delta").put("index", index);
            blockDelta.set("delta", delta);
            event(writer, "content_block_delta", blockDelta);
        }
        if ("thinking".equals(type) && block.path("signature").asText("").length() > 0) {
            ObjectNode signature = NODES.objectNode().put("type", "content_block_delta").put("index", index);
            signature.putObject("delta").put("type", "signature_delta").put("signature",
                    block.path("signature").asText());
            event(writer, "content_block_delta", signature);
        }
        event(writer, "content_block_stop", NODES.objectNode().put("type", "content_block_stop").put("index", index));
    }

    private static void event(StreamWriter writer, String name, ObjectNode data) {
        writer.nativeFrame(StreamFrame.of(name, data.toString()));
    }
}

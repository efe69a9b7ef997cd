package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.spi.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * Builds the OpenAI {@code chat.completion} that a stream of {@code chat.completion.chunk} objects delivers, so a
 * streamed response can be stored in the chat cache like one that was not streamed. Per choice it joins the
 * {@code content}, {@code refusal}, {@code reasoning_content} and {@code reasoning} deltas, collects
 * {@code thinking_blocks}, and merges tool calls by their {@code index}: the first id, type and name, and the
 * arguments joined.
 *
 * <p>Recording stops for good once the text collected passes {@code maxBytes}, so a long stream is not kept in
 * memory for an entry that the cache would not store anyway.
 */
final class CompletionRecorder {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private final long maxBytes;
    private final TreeMap<Integer, Choice> choices = new TreeMap<>();
    private long bytes;
    private boolean overflowed;
    private String id;
    private String model;
    private long created = -1;

    CompletionRecorder(long maxBytes) {
        this.maxBytes = maxBytes;
    }

    /** Adds one chunk as the stream writer sent it to the client. */
    void chunk(ObjectNode chunk) {
        if (overflowed) {
            return;
        }
        if (id == null && chunk.path("id").isTextual()) {
            id = chunk.get("id").asText();
        }
        if (model == null && chunk.path("model").isTextual()) {
            model = chunk.get("model").asText();
        }
        if (created < 0 && chunk.path("created").canConvertToLong()) {
            created = chunk.get("created").asLong();
        }
        for (JsonNode choice : chunk.path("choices")) {
            add(choices.computeIfAbsent(choice.path("index").asInt(0), unused -> new Choice()), choice);
        }
        if (bytes > maxBytes) {
            overflowed = true;
            choices.clear();
        }
    }

    private void add(Choice choice, JsonNode chunkChoice) {
        JsonNode delta = chunkChoice.path("delta");
        bytes += append(choice.content, delta.get("content"));
        bytes += append(choice.refusal, delta.get("refusal"));
        bytes += append(choice.reasoningContent, delta.get("reasoning_content"));
        bytes += append(choice.reasoning, delta.get("reasoning"));
        for (JsonNode block : delta.path("thinking_blocks")) {
            choice.thinkingBlocks.add(block);
            bytes += block.toString().length();
        }
        JsonNode calls = delta.path("tool_calls");
        for (int i = 0; i < calls.size(); i++) {
            JsonNode call = calls.get(i);
            ToolCall recorded = choice.toolCalls.computeIfAbsent(call.path("index").asInt(i), unused -> new ToolCall());
            if (recorded.id == null && call.path("id").isTextual()) {
                recorded.id = call.get("id").asText();
            }
            if (recorded.type == null && call.path("type").isTextual()) {
                recorded.type = call.get("type").asText();
            }
            String name = call.path("function").path("name").asText("");
            if (recorded.name == null && !name.isEmpty()) {
                recorded.name = name;
            }
            bytes += append(recorded.arguments, call.path("function").get("arguments"));
        }
        if (chunkChoice.path("finish_reason").isTextual()) {
            choice.finishReason = chunkChoice.get("finish_reason").asText();
        }
    }

    private static int append(StringBuilder text, JsonNode value) {
        if (value == null || !value.isTextual()) {
            return 0;
        }
        text.append(value.asText());
        return value.asText().length();
    }

    /** Returns the completion with {@code usage}, or null when the text passed the size limit or no choice ended. */
    ObjectNode completion(Usage usage) {
        if (overflowed || choices.isEmpty()) {
            return null;
        }
        ObjectNode completion = NODES.objectNode()
                .put("id", id == null ? "chatcmpl-portico" : id)
                .put("object", "chat.completion")
                .put("created", created < 0 ? System.currentTimeMillis() / 1000 : created)
                .put("model", model == null ? "" : model);
        ArrayNode list = completion.putArray("choices");
        for (var entry : choices.entrySet()) {
            Choice choice = entry.getValue();
            if (choice.finishReason == null) {
                return null;
            }
            ObjectNode item = list.addObject().put("index", entry.getKey());
            item.set("message", choice.message());
            item.put("finish_reason", choice.finishReason);
        }
        completion.set("usage", OpenAiUsage.write(usage));
        return completion;
    }

    /** The deltas of one choice so far. */
    private static final class Choice {
        private final StringBuilder content = new StringBuilder();
        private final StringBuilder refusal = new StringBuilder();
        private final StringBuilder reasoningContent = new StringBuilder();
        private final StringBuilder reasoning = new StringBuilder();
        private final List<JsonNode> thinkingBlocks = new ArrayList<>();
        private final TreeMap<Integer, ToolCall> toolCalls = new TreeMap<>();
        private String finishReason;

        /** Returns the assistant message; its content is null when it has none besides tool calls, as in OpenAI's. */
        ObjectNode message() {
            ObjectNode message = NODES.objectNode().put("role", "assistant");
            if (content.length() == 0 && !toolCalls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", content.toString());
            }
            if (refusal.length() > 0) {
                message.put("refusal", refusal.toString());
            }
            if (reasoningContent.length() > 0) {
                message.put("reasoning_content", reasoningContent.toString());
            }
            if (reasoning.length() > 0) {
                message.put("reasoning", reasoning.toString());
            }
            if (!thinkingBlocks.isEmpty()) {
                message.putArray("thinking_blocks").addAll(thinkingBlocks);
            }
            if (!toolCalls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                toolCalls.values().forEach(call -> calls.add(call.json()));
            }
            return message;
        }
    }

    /** The deltas of one tool call so far. */
    private static final class ToolCall {
        private String id;
        private String type;
        private String name;
        private final StringBuilder arguments = new StringBuilder();

        ObjectNode json() {
            ObjectNode call = NODES.objectNode().put("id", id == null ? "" : id)
                    .put("type", type == null ? "function" : type);
            call.putObject("function").put("name", name == null ? "" : name).put("arguments", arguments.toString());
            return call;
        }
    }
}

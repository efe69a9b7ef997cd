package io.portico.ai.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Builds OpenAI {@code chat.completion.chunk} objects for one response, all with the same id, creation time and
 * model.
 */
public final class Chunks {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private String id;
    private long created;
    private String model;

    public Chunks(String id, long created, String model) {
        this.id = id;
        this.created = created;
        this.model = model;
    }

    /** Sets the fields that a provider reveals only in its first event. */
    public void identify(String id, String model) {
        if (id != null) {
            this.id = id;
        }
        if (model != null) {
            this.model = model;
        }
    }

    /** Takes the provider's {@code created} time as well, when it is positive, for chunks that Portico writes. */
    public void identify(String id, String model, long created) {
        identify(id, model);
        if (created > 0) {
            this.created = created;
        }
    }

    public String id() {
        return id;
    }

    public String model() {
        return model;
    }

    public long created() {
        return created;
    }

    /** Returns a chunk carrying {@code delta} and no finish reason. */
    public ObjectNode delta(ObjectNode delta) {
        ObjectNode chunk = NODES.objectNode()
                .put("id", id)
                .put("object", "chat.completion.chunk")
                .put("created", created)
                .put("model", model);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("finish_reason");
        return chunk;
    }

    /** Returns the first chunk of a response: the assistant role with empty content. */
    public ObjectNode role() {
        return delta(NODES.objectNode().put("role", "assistant").put("content", ""));
    }

    public ObjectNode text(String text) {
        return delta(NODES.objectNode().put("content", text));
    }

    public ObjectNode reasoning(String text) {
        return delta(NODES.objectNode().put("reasoning_content", text));
    }

    /** A thinking block's signature, which a client must send back with the block on its next turn. */
    public ObjectNode thinkingSignature(String signature) {
        return thinkingBlock("", signature);
    }

    /**
     * Returns a delta with a whole thinking block: its text, already streamed as {@code reasoning_content}, and its
     * signature. The provider checks the signature against the text, so a client sends both back on its next turn.
     */
    public ObjectNode thinkingBlock(String thinking, String signature) {
        ObjectNode delta = NODES.objectNode();
        delta.putArray("thinking_blocks").addObject().put("type", "thinking").put("thinking", thinking)
                .put("signature", signature);
        return delta(delta);
    }

    /**
     * Returns a delta with a whole redacted thinking block, whose {@code data} is the provider's encrypted reasoning.
     * A client sends it back unchanged, because Claude requires the thinking blocks of a turn that ends in tool use.
     */
    public ObjectNode redactedThinking(String data) {
        ObjectNode delta = NODES.objectNode();
        delta.putArray("thinking_blocks").addObject().put("type", "redacted_thinking").put("data", data);
        return delta(delta);
    }

    /** Returns the first delta of a tool call: its index, id, type and name, with empty arguments. */
    public ObjectNode toolStart(int index, String callId, String name) {
        ObjectNode delta = NODES.objectNode();
        ObjectNode call = delta.putArray("tool_calls").addObject()
                .put("index", index)
                .put("id", callId)
                .put("type", "function");
        call.putObject("function").put("name", name).put("arguments", "");
        return delta(delta);
    }

    /** Returns a later delta of a tool call: only its index and a fragment of its arguments. */
    public ObjectNode toolArguments(int index, String fragment) {
        ObjectNode delta = NODES.objectNode();
        delta.putArray("tool_calls").addObject().put("index", index).putObject("function")
                .put("arguments", fragment);
        return delta(delta);
    }

    /** Returns the last content chunk: an empty delta and the finish reason. */
    public ObjectNode finish(String finishReason) {
        ObjectNode chunk = delta(NODES.objectNode());
        ((ObjectNode) chunk.get("choices").get(0)).put("finish_reason", finishReason);
        return chunk;
    }

    /**
     * Returns the reasoning text of an OpenAI delta or message: its {@code reasoning_content}, or else its
     * {@code reasoning}, the field that some OpenAI-compatible services use instead. Returns an empty string when
     * it has neither.
     */
    public static String reasoningText(JsonNode deltaOrMessage) {
        JsonNode content = deltaOrMessage.get("reasoning_content");
        if (content != null && content.isTextual() && !content.asText().isEmpty()) {
            return content.asText();
        }
        JsonNode reasoning = deltaOrMessage.get("reasoning");
        return reasoning != null && reasoning.isTextual() ? reasoning.asText() : "";
    }

    /**
     * Sets the index of the only choice of {@code chunk}, built by this class for choice 0, and returns the chunk.
     * A response to a request with {@code n} above 1 streams several choices, each with its own index.
     */
    public static ObjectNode forChoice(ObjectNode chunk, int choice) {
        ((ObjectNode) chunk.get("choices").get(0)).put("index", choice);
        return chunk;
    }
}

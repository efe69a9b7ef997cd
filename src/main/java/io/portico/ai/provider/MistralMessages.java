package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Rewrites chat messages into the fields and tool call ids Mistral accepts, splits its chunked content, and
 * trims its completions to the fields of OpenAI's chat completion object.
 */
final class MistralMessages {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern VALID_ID = Pattern.compile("[A-Za-z0-9]{9}");
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    private MistralMessages() {
    }

    /** Returns the messages with only the fields Mistral accepts for each role. */
    static ArrayNode translate(JsonNode messages) {
        ArrayNode translated = NODES.arrayNode();
        for (JsonNode message : messages) {
            String role = message.path("role").asText();
            switch (role) {
                case "system", "developer" -> translated.addObject().put("role", "system")
                        .set("content", copy(message.get("content")));
                case "assistant" -> translated.add(assistant(message));
                case "tool" -> translated.add(tool(message));
                default -> translated.addObject().put("role", "user").set("content", user(message.get("content")));
            }
        }
        return translated;
    }

    /** Copies a content, without the cache breakpoints of Anthropic clients, which Mistral does not accept. */
    private static JsonNode copy(JsonNode content) {
        return content == null ? NODES.textNode("") : CacheControl.removedFrom(content);
    }

    private static JsonNode user(JsonNode content) {
        if (content == null || !content.isArray()) {
            return copy(content);
        }
        ArrayNode parts = NODES.arrayNode();
        for (JsonNode part : content) {
            if (!"image_url".equals(part.path("type").asText())) {
                JsonNode copy = part.deepCopy();
                if (copy instanceof ObjectNode object) {
                    object.remove(CacheControl.FIELD);
                }
                parts.add(copy);
                continue;
            }
            JsonNode image = part.get("image_url");
            String url = image != null && image.isTextual() ? image.asText() : image == null ? ""
                    : image.path("url").asText();
            Images.DataUri data = Images.parseDataUri(url);
            ObjectNode converted = parts.addObject().put("type", "image_url").putObject("image_url")
                    .put("url", data == null ? url : "data:" + data.mediaType() + ";base64," + data.base64());
            if (image != null && image.hasNonNull("detail")) {
                converted.put("detail", image.get("detail").asText());
            }
        }
        return parts;
    }

    private static ObjectNode assistant(JsonNode message) {
        ObjectNode assistant = NODES.objectNode().put("role", "assistant");
        JsonNode content = message.get("content");
        JsonNode calls = message.get("tool_calls");
        boolean hasCalls = calls != null && calls.isArray() && !calls.isEmpty();
        boolean emptyText = content == null || content.isNull() || content.isTextual() && content.asText().isEmpty();
        if (!emptyText) {
            assistant.set("content", copy(content));
        }
        if (hasCalls) {
            ArrayNode toolCalls = assistant.putArray("tool_calls");
            for (JsonNode call : calls) {
                String arguments = call.path("function").path("arguments").asText("");
                ObjectNode converted = toolCalls.addObject()
                        .put("id", toolCallId(call.path("id").asText()))
                        .put("type", "function");
                converted.putObject("function").put("name", call.path("function").path("name").asText())
                        .put("arguments", arguments.isBlank() ? "{}" : arguments);
            }
        } else if (!assistant.has("content")) {
            assistant.put("content", "");
        }
        if (message.path("prefix").asBoolean(false)) {
            assistant.put("prefix", true);
        }
        return assistant;
    }

    private static ObjectNode tool(JsonNode message) {
        ObjectNode tool = NODES.objectNode().put("role", "tool");
        tool.set("content", copy(message.get("content")));
        tool.put("tool_call_id", toolCallId(message.path("tool_call_id").asText()));
        if (message.hasNonNull("name")) {
            tool.put("name", message.get("name").asText());
        }
        return tool;
    }

    /**
     * Returns {@code id} when it is 9 letters or digits, else 9 letters and digits derived from its SHA-256, so the
     * same id maps to the same replacement in every request.
     */
    static String toolCallId(String id) {
        if (VALID_ID.matcher(id).matches()) {
            return id;
        }
        byte[] digest = sha256(id);
        char[] replacement = new char[9];
        for (int i = 0; i < replacement.length; i++) {
            replacement[i] = ALPHABET[(digest[i] & 0xFF) % ALPHABET.length];
        }
        return new String(replacement);
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }

    /**
     * Splits a message or delta whose {@code content} is an array of chunks, as reasoning models send it, into text
     * {@code content} and {@code reasoning_content}; does nothing to string content.
     */
    static void splitContent(ObjectNode message) {
        JsonNode content = message == null ? null : message.get("content");
        if (content == null || !content.isArray()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        for (JsonNode chunk : content) {
            switch (chunk.path("type").asText()) {
                case "text" -> text.append(chunk.path("text").asText());
                case "thinking" -> {
                    for (JsonNode part : chunk.path("thinking")) {
                        reasoning.append(part.path("text").asText());
                    }
                }
                default -> {
                    // References and other chunk types have no OpenAI counterpart.
                }
            }
        }
        message.put("content", text.toString());
        if (reasoning.length() > 0) {
            message.put("reasoning_content", reasoning.toString());
        }
    }

    /** The fields of OpenAI's chat completion object. */
    private static final Set<String> COMPLETION_FIELDS = Set.of("id", "object", "created", "model", "choices",
            "usage", "system_fingerprint", "service_tier");
    private static final Set<String> CHOICE_FIELDS = Set.of("index", "message", "finish_reason", "logprobs");
    /**
     * The fields of OpenAI's assistant message in a completion, and Portico's {@code reasoning_content}, which
     * carries the thinking chunks of reasoning models.
     */
    private static final Set<String> MESSAGE_FIELDS = Set.of("role", "content", "refusal", "tool_calls",
            "function_call", "audio", "annotations", "reasoning_content");
    /**
     * The message fields whose type in OpenAI's schema does not allow null, so that OpenAI leaves them out of a
     * completion that has none.
     */
    private static final Set<String> OMITTED_WHEN_NULL = Set.of("tool_calls", "function_call", "annotations");
    private static final Set<String> TOOL_CALL_FIELDS = Set.of("id", "type", "function");
    private static final Set<String> USAGE_FIELDS = Set.of("prompt_tokens", "completion_tokens", "total_tokens",
            "prompt_tokens_details", "completion_tokens_details");

    /**
     * Removes from a Mistral completion every field that OpenAI's chat completion object does not define, such as
     * a message's {@code prefix}, and the message fields that Mistral sends as null where OpenAI leaves them out,
     * such as {@code tool_calls}. A tool call without {@code type} gets OpenAI's {@code function}. Clients that
     * check responses strictly against OpenAI's schema then accept the completion.
     */
    static void keepOpenAiFields(ObjectNode completion) {
        completion.retain(COMPLETION_FIELDS);
        if (completion.get("usage") instanceof ObjectNode usage) {
            usage.retain(USAGE_FIELDS);
        }
        for (JsonNode choice : completion.path("choices")) {
            if (!(choice instanceof ObjectNode object)) {
                continue;
            }
            object.retain(CHOICE_FIELDS);
            if (object.get("message") instanceof ObjectNode message) {
                keepOpenAiMessageFields(message);
            }
        }
    }

    private static void keepOpenAiMessageFields(ObjectNode message) {
        message.retain(MESSAGE_FIELDS);
        for (String field : OMITTED_WHEN_NULL) {
            if (message.has(field) && message.get(field).isNull()) {
                message.remove(field);
            }
        }
        for (JsonNode call : message.path("tool_calls")) {
            if (call instanceof ObjectNode object) {
                object.retain(TOOL_CALL_FIELDS);
                if (!object.hasNonNull("type")) {
                    object.put("type", "function");
                }
            }
        }
    }
}

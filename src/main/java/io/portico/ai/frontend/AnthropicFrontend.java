package io.portico.ai.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.FinishReasons;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.Usage;
import io.vertx.core.http.HttpServerResponse;

/**
 * Anthropic's Messages API on the client side. Requests are converted to Portico's internal form with these
 * rules: {@code system} becomes the first message; {@code tool_result} blocks become {@code tool} messages placed
 * before the rest of their user turn; {@code tool_use} blocks become {@code tool_calls}; thinking blocks are kept
 * as {@code thinking_blocks}; images become {@code image_url} parts (base64 sources as data URIs); documents
 * become parts as {@link #addDocument} describes, and other blocks such as {@code search_result} stay as they are,
 * so that providers other than Anthropic reject them;
 * {@code stop_sequences} becomes {@code stop}; {@code tool_choice} any becomes required and
 * {@code disable_parallel_tool_use} becomes {@code parallel_tool_calls: false}; {@code metadata.user_id} becomes
 * {@code user}; {@code top_k} and {@code thinking} are kept for providers that accept them;
 * {@code output_config.format}, or the beta {@code output_format}, becomes {@code response_format} of type
 * {@code json_schema}.
 *
 * <p>Cache breakpoints ({@code cache_control}) stay on the parts, tool messages and tools made from their blocks.
 * A breakpoint on an assistant block moves to its assistant message, and a system prompt with breakpoints becomes
 * one system message per block. A {@code tool_result} with {@code is_error} becomes a tool message with
 * {@code is_error: true} whose content starts with {@code Error: }, for providers without an error flag. A
 * {@code tool_result} that contains more than text becomes a tool message with content parts (see
 * {@link #toolMessage}).
 */
public final class AnthropicFrontend implements Frontend {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The text that starts a failed tool result's content, for providers without an error flag. */
    private static final String ERROR_PREFIX = "Error: ";
    /** The schema name of the {@code response_format} that a structured output format becomes. */
    private static final String SCHEMA_NAME = "structured_output";

    @Override
    public Protocol protocol() {
        return Protocol.ANTHROPIC;
    }

    @Override
    public ChatRequest parse(ObjectNode body) {
        JsonNode model = body.get("model");
        if (model == null || model.isNull()) {
            throw AiException.invalidParam("model", "model: Field required");
        }
        if (!model.isTextual() || model.asText().isBlank()) {
            throw AiException.invalidParam("model", "model: Input should be a non-empty string");
        }
        JsonNode messages = body.get("messages");
        if (messages == null || messages.isNull()) {
            throw AiException.invalidParam("messages", "messages: Field required");
        }
        if (!messages.isArray()) {
            throw AiException.invalidParam("messages", "messages: Input should be a valid list");
        }
        JsonNode maxTokens = body.get("max_tokens");
        if (maxTokens == null || maxTokens.isNull()) {
            throw AiException.invalidParam("max_tokens", "max_tokens: Field required");
        }
        if (!maxTokens.canConvertToInt() || maxTokens.asInt() < 1) {
            throw AiException.invalidParam("max_tokens", "max_tokens: Input should be a positive integer");
        }
        JsonNode tools = body.get("tools");
        if (tools != null && !tools.isNull() && !tools.isArray()) {
            throw AiException.invalidParam("tools", "tools: Input should be a valid list");
        }
        for (int i = 0; tools != null && i < tools.size(); i++) {
            if (!tools.get(i).isObject()) {
                throw AiException.invalidParam("tools", "tools." + i + ": Input should be an object");
            }
        }
        for (int i = 0; i < messages.size(); i++) {
            validateMessage(messages.get(i), i);
        }
        JsonNode system = body.get("system");
        if (system != null && !system.isNull() && !system.isTextual() && !system.isArray()) {
            throw AiException.badRequest("system: Input should be a string or a list of text blocks");
        }
        validateOutputFormat(body.path("output_config").get("format"), "output_config.format");
        validateOutputFormat(body.get("output_format"), "output_format");
        boolean stream = body.path("stream").asBoolean(false);
        return new ChatRequest(toOpenAi(body), body, Protocol.ANTHROPIC, model.asText(), stream, stream);
    }

    private static final java.util.Set<String> BLOCK_TYPES = java.util.Set.of("text", "image", "document",
            "tool_use", "tool_result", "thinking", "redacted_thinking", "search_result", "server_tool_use",
            "web_search_tool_result");

    /**
     * Checks a structured output format, {@code output_config.format} or the older beta {@code output_format}, as
     * Anthropic's API does: its only type is {@code json_schema}, with the schema as an object. Other providers
     * receive the format as OpenAI's {@code response_format}, so a format that cannot become one is rejected here.
     */
    private static void validateOutputFormat(JsonNode format, String field) {
        if (format == null || format.isNull()) {
            return;
        }
        if (!"json_schema".equals(format.path("type").asText())) {
            throw AiException.invalidParam(field, field + ".type: Input should be 'json_schema'");
        }
        if (!format.path("schema").isObject()) {
            throw AiException.invalidParam(field, field + ".schema: Input should be an object");
        }
    }

    /** Checks a message as Anthropic's API does, with its way of naming the field: {@code messages.0.role}. */
    private static void validateMessage(JsonNode message, int index) {
        String at = "messages." + index;
        String role = message.path("role").asText("");
        if (!"user".equals(role) && !"assistant".equals(role)) {
            throw AiException.badRequest(at + ".role: Input should be 'user' or 'assistant'");
        }
        JsonNode content = message.get("content");
        if (content == null || !(content.isTextual() || content.isArray())) {
            throw AiException.badRequest(at + ".content: Input should be a string or a list of content blocks");
        }
        for (int j = 0; j < content.size(); j++) {
            String type = content.get(j).path("type").asText("");
            if (!BLOCK_TYPES.contains(type)) {
                throw AiException.badRequest(at + ".content." + j + ".type: unknown content block type '" + type
                        + "'");
            }
        }
    }

    /** Converts an Anthropic Messages request into Portico's internal form. */
    static ObjectNode toOpenAi(ObjectNode anthropic) {
        ObjectNode body = NODES.objectNode();
        body.put("model", anthropic.path("model").asText());
        ArrayNode messages = body.putArray("messages");
        JsonNode system = anthropic.get("system");
        if (system != null && system.isArray() && hasCacheControl(system)) {
            addSystemBlocks(messages, system);
        } else if (system != null && !system.isNull()) {
            String text = system.isTextual() ? system.asText() : joinText(system);
            if (!text.isEmpty()) {
                messages.addObject().put("role", "system").put("content", text);
            }
        }
        for (JsonNode message : anthropic.path("messages")) {
            if ("assistant".equals(message.path("role").asText())) {
                messages.add(assistant(message.get("content")));
            } else {
                addUser(messages, message.get("content"));
            }
        }
        body.set("max_tokens", anthropic.get("max_tokens"));
        copy(anthropic, body, "temperature");
        copy(anthropic, body, "top_p");
        copy(anthropic, body, "top_k");
        copy(anthropic, body, "thinking");
        if (anthropic.get("stop_sequences") instanceof ArrayNode stops && !stops.isEmpty()) {
            body.set("stop", stops.deepCopy());
        }
        String user = Wire.text(anthropic.path("metadata"), "user_id");
        if (user != null) {
            body.put("user", user);
        }
        tools(anthropic, body);
        outputFormat(anthropic, body);
        if (anthropic.path("stream").asBoolean(false)) {
            body.put("stream", true);
            body.putObject("stream_options").put("include_usage", true);
        }
        return body;
    }

    private static boolean hasCacheControl(JsonNode blocks) {
        for (JsonNode block : blocks) {
            if (block.get("cache_control") instanceof ObjectNode) {
                return true;
            }
        }
        return false;
    }

    /**
     * Adds each text block of a system prompt with cache breakpoints as a system message of its own, whose one text
     * part keeps the block's {@code cache_control}, so that each breakpoint keeps its place between the blocks.
     */
    private static void addSystemBlocks(ArrayNode messages, JsonNode blocks) {
        for (JsonNode block : blocks) {
            if ("text".equals(block.path("type").asText()) && !block.path("text").asText().isEmpty()) {
                messages.addObject().put("role", "system").putArray("content").add(textPart(block));
            }
        }
    }

    private static ObjectNode textPart(JsonNode block) {
        ObjectNode part = NODES.objectNode().put("type", "text").put("text", block.path("text").asText());
        copyCacheControl(block, part);
        return part;
    }

    /** Copies a block's {@code cache_control} breakpoint, which adapters map where their provider has one. */
    private static void copyCacheControl(JsonNode block, ObjectNode target) {
        if (block.get("cache_control") instanceof ObjectNode cacheControl) {
            target.set("cache_control", cacheControl.deepCopy());
        }
    }

    private static void copy(JsonNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        if (value != null && !value.isNull()) {
            to.set(field, value.deepCopy());
        }
    }

    private static void tools(ObjectNode anthropic, ObjectNode body) {
        JsonNode tools = anthropic.get("tools");
        if (tools != null && tools.isArray() && !tools.isEmpty()) {
            ArrayNode converted = body.putArray("tools");
            for (JsonNode tool : tools) {
                ObjectNode function = converted.addObject().put("type", "function").putObject("function");
                function.put("name", tool.path("name").asText());
                if (tool.hasNonNull("description")) {
                    function.put("description", tool.get("description").asText());
                }
                JsonNode schema = tool.get("input_schema");
                function.set("parameters", schema == null ? NODES.objectNode().put("type", "object")
                        : schema.deepCopy());
                copyCacheControl(tool, (ObjectNode) converted.get(converted.size() - 1));
            }
        }
        JsonNode choice = anthropic.get("tool_choice");
        if (choice == null || choice.isNull()) {
            return;
        }
        switch (choice.path("type").asText()) {
            case "any" -> body.put("tool_choice", "required");
            case "none" -> body.put("tool_choice", "none");
            case "tool" -> body.putObject("tool_choice").put("type", "function").putObject("function")
                    .put("name", choice.path("name").asText());
            default -> body.put("tool_choice", "auto");
        }
        if (choice.path("disable_parallel_tool_use").asBoolean(false)) {
            body.put("parallel_tool_calls", false);
        }
    }

    /**
     * Converts a structured output format into OpenAI's {@code response_format} of type {@code json_schema}, named
     * {@value #SCHEMA_NAME} because OpenAI requires a name. {@code strict} is left out, because OpenAI's strict mode
     * requires every property in {@code required}, and a schema for Anthropic need not list them all.
     */
    private static void outputFormat(ObjectNode anthropic, ObjectNode body) {
        JsonNode format = anthropic.path("output_config").get("format");
        if (format == null || format.isNull()) {
            format = anthropic.get("output_format");
        }
        if (format == null || format.isNull()) {
            return;
        }
        ObjectNode jsonSchema = body.putObject("response_format").put("type", "json_schema")
                .putObject("json_schema");
        jsonSchema.put("name", SCHEMA_NAME);
        jsonSchema.set("schema", format.get("schema").deepCopy());
    }

    private static String joinText(JsonNode blocks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode block : blocks) {
            if ("text".equals(block.path("type").asText())) {
                if (text.length() > 0) {
                    text.append("\n\n");
                }
                text.append(block.path("text").asText());
            }
        }
        return text.toString();
    }

    private static void addUser(ArrayNode messages, JsonNode content) {
        if (content == null || content.isTextual()) {
            messages.addObject().put("role", "user").put("content", content == null ? "" : content.asText());
            return;
        }
        ArrayNode parts = NODES.arrayNode();
        for (JsonNode block : content) {
            int added = parts.size();
            switch (block.path("type").asText()) {
                case "tool_result" -> messages.add(toolMessage(block));
                case "text" -> parts.add(textPart(block));
                case "image" -> parts.add(imagePart(block.path("source")));
                case "document" -> addDocument(parts, block);
                default -> {
                    // search_result and the server tool blocks have no OpenAI counterpart. They are carried
                    // under their own type, so that Anthropic models receive them and other providers reject them.
                    parts.add(block.deepCopy());
                }
            }
            if (parts.size() > added) {
                // A document may become several parts, and the breakpoint follows the last of them.
                copyCacheControl(block, (ObjectNode) parts.get(parts.size() - 1));
            }
        }
        if (!parts.isEmpty()) {
            ObjectNode message = messages.addObject().put("role", "user");
            if (parts.size() == 1 && "text".equals(parts.get(0).path("type").asText())
                    && !parts.get(0).has("cache_control")) {
                message.put("content", parts.get(0).path("text").asText());
            } else {
                message.set("content", parts);
            }
        }
    }

    /**
     * Adds a {@code document} block as OpenAI parts: a base64 PDF becomes a {@code file} part with a data URI, a
     * text source a text part, and a content source its text and image parts. Documents from a URL or from the
     * Files API are carried as they are, because the internal form has no reference to such a file.
     */
    private static void addDocument(ArrayNode parts, JsonNode block) {
        JsonNode source = block.path("source");
        switch (source.path("type").asText()) {
            case "base64" -> {
                String title = block.path("title").asText("");
                ObjectNode file = parts.addObject().put("type", "file").putObject("file");
                file.put("filename", title.isBlank() ? "document.pdf" : title);
                file.put("file_data", "data:" + source.path("media_type").asText("application/pdf") + ";base64,"
                        + source.path("data").asText());
            }
            case "text" -> parts.addObject().put("type", "text").put("text", source.path("data").asText());
            case "content" -> {
                JsonNode content = source.get("content");
                if (content != null && content.isTextual()) {
                    parts.addObject().put("type", "text").put("text", content.asText());
                }
                for (JsonNode inner : content == null || content.isTextual() ? NODES.arrayNode() : content) {
                    if ("text".equals(inner.path("type").asText())) {
                        parts.addObject().put("type", "text").put("text", inner.path("text").asText());
                    } else if ("image".equals(inner.path("type").asText())) {
                        parts.add(imagePart(inner.path("source")));
                    }
                }
            }
            default -> parts.add(block.deepCopy());
        }
    }

    private static ObjectNode imagePart(JsonNode source) {
        String url = "base64".equals(source.path("type").asText())
                ? "data:" + source.path("media_type").asText() + ";base64," + source.path("data").asText()
                : source.path("url").asText();
        ObjectNode part = NODES.objectNode().put("type", "image_url");
        part.putObject("image_url").put("url", url);
        return part;
    }

    /**
     * Converts a {@code tool_result} block into a tool message. A result of text alone becomes one string, its blocks
     * joined by blank lines. A result that contains images, documents or search results becomes content parts, as the
     * blocks of a user message do, so that each adapter carries them or rejects them with 400.
     */
    private static ObjectNode toolMessage(JsonNode block) {
        ObjectNode message = NODES.objectNode().put("role", "tool")
                .put("tool_call_id", block.path("tool_use_id").asText());
        JsonNode content = block.get("content");
        boolean failed = block.path("is_error").asBoolean(false);
        if (failed) {
            message.put("is_error", true);
        }
        if (content != null && content.isArray() && !textOnly(content)) {
            ArrayNode parts = resultParts(content);
            if (failed && parts.path(0).path("type").asText().equals("text")) {
                ObjectNode first = (ObjectNode) parts.get(0);
                first.put("text", ERROR_PREFIX + first.path("text").asText());
            } else if (failed) {
                parts.insert(0, NODES.objectNode().put("type", "text").put("text", ERROR_PREFIX));
            }
            message.set("content", parts);
        } else {
            String text = content == null || content.isNull() ? "" : content.isTextual() ? content.asText()
                    : joinText(content);
            message.put("content", failed ? ERROR_PREFIX + text : text);
        }
        copyCacheControl(block, message);
        return message;
    }

    private static boolean textOnly(JsonNode blocks) {
        for (JsonNode block : blocks) {
            if (!"text".equals(block.path("type").asText())) {
                return false;
            }
        }
        return true;
    }

    /** Converts the blocks of a tool result into content parts with the rules of a user message's blocks. */
    private static ArrayNode resultParts(JsonNode blocks) {
        ArrayNode parts = NODES.arrayNode();
        for (JsonNode block : blocks) {
            switch (block.path("type").asText()) {
                case "text" -> parts.addObject().put("type", "text").put("text", block.path("text").asText());
                case "image" -> parts.add(imagePart(block.path("source")));
                case "document" -> addDocument(parts, block);
                default -> parts.add(block.deepCopy());
            }
        }
        return parts;
    }

    private static ObjectNode assistant(JsonNode content) {
        ObjectNode message = NODES.objectNode().put("role", "assistant");
        if (content == null || content.isTextual()) {
            message.put("content", content == null ? "" : content.asText());
            return message;
        }
        StringBuilder text = new StringBuilder();
        ArrayNode calls = NODES.arrayNode();
        ArrayNode thinking = NODES.arrayNode();
        for (JsonNode block : content) {
            String type = block.path("type").asText();
            if ("text".equals(type) || "tool_use".equals(type)) {
                // The assistant's text joins into one string, so a breakpoint moves to the end of the message.
                copyCacheControl(block, message);
            }
            switch (type) {
                case "text" -> text.append(block.path("text").asText());
                case "thinking", "redacted_thinking" -> thinking.add(block.deepCopy());
                case "tool_use" -> {
                    ObjectNode call = calls.addObject().put("id", block.path("id").asText()).put("type", "function");
                    JsonNode input = block.get("input");
                    call.putObject("function").put("name", block.path("name").asText())
                            .put("arguments", input == null || input.isNull() ? "{}" : Sse.json(input));
                }
                default -> {
                    // Server tool blocks have no OpenAI counterpart.
                }
            }
        }
        if (text.length() > 0 || calls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (!calls.isEmpty()) {
            message.set("tool_calls", calls);
        }
        if (!thinking.isEmpty()) {
            message.set("thinking_blocks", thinking);
        }
        return message;
    }

    @Override
    public void writeResponse(HttpServerResponse response, ObjectNode completion, ChatRequest request,
                              Usage usage) {
        response.putHeader("content-type", "application/json")
                .end(Sse.json(toAnthropic(completion, request, usage)));
    }

    /** Converts an OpenAI {@code chat.completion} into an Anthropic message that reports {@code usage}. */
    static ObjectNode toAnthropic(ObjectNode completion, ChatRequest request, Usage usage) {
        JsonNode choice = completion.path("choices").path(0);
        JsonNode message = choice.path("message");
        ObjectNode body = NODES.objectNode()
                .put("id", messageId(completion.path("id").asText()))
                .put("type", "message")
                .put("role", "assistant")
                .put("model", completion.path("model").asText(request.model()));
        ArrayNode content = body.putArray("content");
        JsonNode thinkingBlocks = message.get("thinking_blocks");
        String reasoning = Chunks.reasoningText(message);
        if (thinkingBlocks != null && thinkingBlocks.isArray() && !thinkingBlocks.isEmpty()) {
            thinkingBlocks.forEach(block -> content.add(block.deepCopy()));
        } else if (!reasoning.isEmpty()) {
            content.addObject().put("type", "thinking").put("thinking", reasoning).put("signature", "");
        }
        String text = OpenAiFrontend.contentText(message.get("content"));
        if (!text.isEmpty()) {
            content.addObject().put("type", "text").put("text", text);
        }
        for (JsonNode call : message.path("tool_calls")) {
            ObjectNode block = content.addObject().put("type", "tool_use")
                    .put("id", call.path("id").asText())
                    .put("name", call.path("function").path("name").asText());
            JsonNode input = Wire.parse(call.path("function").path("arguments").asText("{}"));
            block.set("input", input instanceof ObjectNode ? input : NODES.objectNode());
        }
        body.put("stop_reason", FinishReasons.toAnthropic(Wire.text(choice, "finish_reason"), false));
        body.putNull("stop_sequence");
        body.set("usage", usage(usage));
        return body;
    }

    /**
     * Fails a completion whose tool call arguments are neither blank nor a JSON object, such as arguments that an
     * output limit cut off, with 502 and code {@code invalid_tool_call}, as for Gemini's invalid tool calls. A
     * {@code tool_use} block's {@code input} must be an object, and {@code {}} in its place would look like a
     * complete call without arguments. Being a 5xx, the error lets the attempt be retried or fall back.
     */
    @Override
    public void checkCompletion(ObjectNode completion) {
        JsonNode choice = completion.path("choices").path(0);
        for (JsonNode call : choice.path("message").path("tool_calls")) {
            String arguments = call.path("function").path("arguments").asText("");
            JsonNode parsed = arguments.isBlank() ? null : Wire.parse(arguments);
            if (arguments.isBlank() || parsed instanceof ObjectNode || parsed != null && parsed.isNull()) {
                continue;
            }
            String message = "provider: the model generated arguments that are not a JSON object for tool call '"
                    + call.path("id").asText() + "' (" + call.path("function").path("name").asText() + ")";
            if ("length".equals(Wire.text(choice, "finish_reason"))) {
                message += "; the output limit cut the response off, so a larger max_tokens may help";
            }
            throw new AiException(new AiError(502, "api_error", "invalid_tool_call", message, -1));
        }
    }

    static String messageId(String id) {
        return id.startsWith("msg") ? id : "msg_" + id;
    }

    /** Anthropic usage: input tokens exclude those read from or written to the cache. */
    static ObjectNode usage(Usage usage) {
        long input = Math.max(0, usage.inputTokens() - usage.cachedInputTokens() - usage.cacheWriteTokens());
        return NODES.objectNode()
                .put("input_tokens", input)
                .put("cache_creation_input_tokens", usage.cacheWriteTokens())
                .put("cache_read_input_tokens", usage.cachedInputTokens())
                .put("output_tokens", usage.outputTokens());
    }

    @Override
    public StreamWriter streamWriter(HttpServerResponse response, ChatRequest request, Usage promptEstimate) {
        return new AnthropicStreamWriter(response, request.model(), promptEstimate);
    }

    @Override
    public void writeError(HttpServerResponse response, AiError error) {
        RetryHeaders.set(response, error.status(), error);
        response.setStatusCode(error.status()).putHeader("content-type", "application/json")
                .end(Sse.json(errorBody(error)));
    }

    /** The Anthropic error object: {@code {"type":"error","error":{"type","message"}}}. */
    static ObjectNode errorBody(AiError error) {
        ObjectNode body = NODES.objectNode().put("type", "error");
        body.putObject("error").put("type", error.anthropicType()).put("message", error.message());
        return body;
    }
}

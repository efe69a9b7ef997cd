package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;

/**
 * Translates a request in Portico's internal form (OpenAI's Chat Completions shape) into an Anthropic Messages
 * request.
 *
 * <p>Rules: system and developer messages join the {@code system} field in order; consecutive messages of one
 * role are merged, and the results of parallel tool calls become {@code tool_result} blocks of one user message;
 * {@code max_tokens} or {@code max_completion_tokens} becomes {@code max_tokens}, and {@link #defaultMaxTokens}
 * gives the limit when neither is given; {@code stop} becomes {@code stop_sequences}; {@code temperature} is
 * capped at 1; {@code user} becomes {@code metadata.user_id}; {@code response_format} of type
 * {@code json_schema} becomes a tool whose input is returned as the message content, forced as
 * {@link #forcesStructuredOutput} describes; {@code json_object}
 * adds an instruction to the system prompt; {@code seed}, {@code n}, {@code logprobs}, penalties and
 * {@code logit_bias} are dropped.
 *
 * <p>Content parts: images become {@code image} blocks. A {@code file} part with a PDF data URI becomes a
 * {@code document} block with a base64 source, one with plain text a {@code document} block with a text source,
 * and its filename becomes the title. Anthropic blocks that an Anthropic client sent and the internal form carries
 * under their own type ({@code document}, {@code search_result}) pass as they are. Any other part, such as
 * {@code input_audio}, a {@code file_id} or a file of another type, is rejected with 400.
 */
public final class AnthropicRequests {

    /** Name of the tool that carries JSON-schema structured output. */
    public static final String STRUCTURED_OUTPUT_TOOL = "structured_output";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Output tokens beyond the thinking budget when the client set no limit and the catalog has no maximum. */
    private static final int ANSWER_TOKENS = 4096;

    private AnthropicRequests() {
    }

    /** Returns the name of the structured output tool the request implies, or null. */
    public static String structuredOutputTool(JsonNode openAi) {
        JsonNode format = openAi.get("response_format");
        return format != null && "json_schema".equals(Wire.text(format, "type")) ? STRUCTURED_OUTPUT_TOOL : null;
    }

    /**
     * Returns true when the request's structured output tool is the tool choice: when the client declares no
     * function tool of its own, or sets {@code tool_choice} {@code none}. Otherwise the client's tools and
     * {@code tool_choice} stay, and the structured output tool is one more tool, so that the model can call the
     * client's tools before its final response.
     */
    static boolean forcesStructuredOutput(JsonNode openAi) {
        if ("none".equals(openAi.path("tool_choice").asText(null))) {
            return true;
        }
        for (JsonNode tool : openAi.path("tools")) {
            if (tool.get("function") != null) {
                return false;
            }
        }
        return true;
    }

    /** Returns the description of the structured output tool, which states when the model should call it. */
    static String structuredOutputDescription(boolean forced) {
        return forced ? "Returns the answer as JSON matching the schema."
                : "Returns the final answer as JSON matching the schema. Call it to answer, once no other tool is"
                        + " needed, instead of writing the answer as text.";
    }

    /**
     * Translates {@code openAi} for {@code target}.
     *
     * @throws AiException with status 400 for a part that Anthropic cannot take, and for a request without user or
     *     assistant content, which Anthropic rejects
     */
    public static ObjectNode fromOpenAi(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        body.put("model", target.model());
        StringBuilder system = new StringBuilder();
        ArrayNode messages = body.putArray("messages");
        for (JsonNode message : openAi.path("messages")) {
            String role = message.path("role").asText();
            switch (role) {
                case "system", "developer" -> appendSystem(system, message.get("content"));
                case "tool" -> addBlocks(messages, "user", toolResult(message, target));
                case "assistant" -> addBlocks(messages, "assistant", assistantBlocks(message, target));
                default -> addBlocks(messages, "user", userBlocks(message.get("content"), target));
            }
        }
        if (messages.isEmpty()) {
            throw ContentParts.emptyConversation(target);
        }
        JsonNode format = openAi.get("response_format");
        if (format != null && "json_object".equals(Wire.text(format, "type"))) {
            appendText(system, "Respond with a single JSON object and nothing else.");
        }
        if (system.length() > 0) {
            body.put("system", system.toString());
        }
        JsonNode limit = openAi.has("max_completion_tokens") ? openAi.get("max_completion_tokens")
                : openAi.get("max_tokens");
        body.put("max_tokens", limit != null && limit.canConvertToInt() && limit.asInt() > 0 ? limit.asInt()
                : defaultMaxTokens(openAi, target));
        copyParameters(openAi, body);
        addTools(openAi, body);
        if (openAi.path("stream").asBoolean(false)) {
            body.put("stream", true);
        }
        return body;
    }

    /**
     * Returns the output limit for a Claude request that sets none: the catalog's maximum output of the model, or
     * else 4096 tokens beyond the thinking budget of {@code thinking}. Claude requires {@code max_tokens} above
     * {@code budget_tokens}, so a fixed default would fail every request with a larger budget.
     */
    static int defaultMaxTokens(JsonNode openAi, CallTarget target) {
        int budget = Math.max(0, openAi.path("thinking").path("budget_tokens").asInt(0));
        return target.maxOutputTokens(budget + ANSWER_TOKENS);
    }

    private static void copyParameters(ObjectNode openAi, ObjectNode body) {
        JsonNode temperature = openAi.get("temperature");
        if (temperature != null && temperature.isNumber()) {
            body.put("temperature", Math.min(1.0, temperature.asDouble()));
        }
        if (openAi.get("top_p") != null && openAi.get("top_p").isNumber()) {
            body.set("top_p", openAi.get("top_p"));
        }
        if (openAi.get("top_k") != null && openAi.get("top_k").isNumber()) {
            body.set("top_k", openAi.get("top_k"));
        }
        JsonNode stop = openAi.get("stop");
        if (stop != null && stop.isTextual()) {
            body.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            body.set("stop_sequences", stop.deepCopy());
        }
        String user = Wire.text(openAi, "user");
        if (user != null) {
            body.putObject("metadata").put("user_id", user);
        }
        if (openAi.get("thinking") instanceof ObjectNode thinking) {
            body.set("thinking", thinking.deepCopy());
        }
    }

    private static void addTools(ObjectNode openAi, ObjectNode body) {
        ArrayNode tools = NODES.arrayNode();
        for (JsonNode tool : openAi.path("tools")) {
            JsonNode function = tool.get("function");
            if (function == null) {
                continue;
            }
            ObjectNode converted = tools.addObject().put("name", function.path("name").asText());
            if (function.hasNonNull("description")) {
                converted.put("description", function.get("description").asText());
            }
            JsonNode parameters = function.get("parameters");
            if (parameters instanceof ObjectNode schema) {
                converted.set("input_schema", schema.deepCopy());
            } else {
                converted.putObject("input_schema").put("type", "object").putObject("properties");
            }
        }
        ObjectNode toolChoice = toolChoice(openAi.get("tool_choice"));
        JsonNode format = openAi.get("response_format");
        if (format != null && "json_schema".equals(Wire.text(format, "type"))) {
            boolean forced = forcesStructuredOutput(openAi);
            JsonNode jsonSchema = format.path("json_schema");
            ObjectNode tool = tools.addObject().put("name", STRUCTURED_OUTPUT_TOOL)
                    .put("description", structuredOutputDescription(forced));
            JsonNode schema = jsonSchema.get("schema");
            if (schema instanceof ObjectNode object) {
                tool.set("input_schema", object.deepCopy());
            } else {
                tool.putObject("input_schema").put("type", "object");
            }
            if (forced) {
                toolChoice = NODES.objectNode().put("type", "tool").put("name", STRUCTURED_OUTPUT_TOOL);
            }
        }
        if (tools.isEmpty()) {
            return;
        }
        body.set("tools", tools);
        if (openAi.has("parallel_tool_calls") && !openAi.get("parallel_tool_calls").asBoolean(true)) {
            if (toolChoice == null) {
                toolChoice = NODES.objectNode().put("type", "auto");
            }
            if (!"none".equals(Wire.text(toolChoice, "type"))) {
                toolChoice.put("disable_parallel_tool_use", true);
            }
        }
        if (toolChoice != null) {
            body.set("tool_choice", toolChoice);
        }
    }

    private static ObjectNode toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "required" -> NODES.objectNode().put("type", "any");
                case "none" -> NODES.objectNode().put("type", "none");
                default -> NODES.objectNode().put("type", "auto");
            };
        }
        String name = choice.path("function").path("name").asText(null);
        return name == null ? null : NODES.objectNode().put("type", "tool").put("name", name);
    }

    private static void appendSystem(StringBuilder system, JsonNode content) {
        if (content == null) {
            return;
        }
        if (content.isTextual()) {
            appendText(system, content.asText());
            return;
        }
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                appendText(system, part.path("text").asText());
            }
        }
    }

    private static void appendText(StringBuilder system, String text) {
        if (system.length() > 0) {
            system.append("\n\n");
        }
        system.append(text);
    }

    /** Appends {@code blocks} as a message of {@code role}, merged into the previous message of the same role. */
    private static void addBlocks(ArrayNode messages, String role, ArrayNode blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last != null && role.equals(last.path("role").asText())) {
            ArrayNode content = (ArrayNode) last.get("content");
            if (blocks.get(0).path("type").asText().equals("tool_result")) {
                // Tool results must open the user message that follows the assistant's tool calls.
                int results = 0;
                while (results < content.size() && "tool_result".equals(content.get(results).path("type").asText())) {
                    results++;
                }
                for (JsonNode block : blocks) {
                    content.insert(results++, block);
                }
            } else {
                content.addAll(blocks);
            }
            return;
        }
        ObjectNode message = messages.addObject().put("role", role);
        message.set("content", blocks);
    }

    private static ArrayNode userBlocks(JsonNode content, CallTarget target) {
        ArrayNode blocks = NODES.arrayNode();
        if (content == null || content.isNull()) {
            return blocks;
        }
        if (content.isTextual()) {
            addText(blocks, content.asText());
            return blocks;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> addText(blocks, part.path("text").asText());
                case "image_url" -> blocks.add(image(part.path("image_url").path("url").asText()));
                case "file" -> blocks.add(document(ContentParts.file(part, target), target));
                // Anthropic client blocks without an OpenAI counterpart are carried under their own type.
                case "document", "search_result" -> blocks.add(part.deepCopy());
                default -> throw ContentParts.unsupported(part.path("type").asText(), target);
            }
        }
        return blocks;
    }

    /** Builds a {@code document} block: PDFs as a base64 source, plain text as a text source. */
    private static ObjectNode document(ContentParts.FileData file, CallTarget target) {
        ObjectNode block = NODES.objectNode().put("type", "document");
        ObjectNode source = block.putObject("source");
        switch (file.mediaType()) {
            case "application/pdf" -> source.put("type", "base64").put("media_type", "application/pdf")
                    .put("data", file.base64());
            case "text/plain" -> source.put("type", "text").put("media_type", "text/plain")
                    .put("data", decodeText(file.base64()));
            default -> throw ContentParts.unsupportedFile(file.mediaType(), target, "application/pdf and text/plain");
        }
        if (file.filename() != null && !file.filename().isBlank()) {
            block.put("title", file.filename());
        }
        return block;
    }

    private static String decodeText(String base64) {
        try {
            return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new AiException(AiError.of(400, "invalid file part: file_data is not valid base64"));
        }
    }

    private static ObjectNode image(String url) {
        ObjectNode block = NODES.objectNode().put("type", "image");
        Images.DataUri data = Images.parseDataUri(url);
        if (data != null) {
            block.putObject("source").put("type", "base64").put("media_type", data.mediaType())
                    .put("data", data.base64());
        } else {
            block.putObject("source").put("type", "url").put("url", url);
        }
        return block;
    }

    private static ArrayNode assistantBlocks(JsonNode message, CallTarget target) {
        ArrayNode blocks = thinkingBlocks(message);
        for (String text : MessageText.assistantTexts(message)) {
            addText(blocks, text);
        }
        for (JsonNode call : message.path("tool_calls")) {
            ObjectNode block = blocks.addObject().put("type", "tool_use")
                    .put("id", ToolCallIds.sanitize(call.path("id").asText()))
                    .put("name", call.path("function").path("name").asText());
            block.set("input", ToolArguments.parse(call, target));
        }
        return blocks;
    }

    /**
     * Copies an assistant message's {@code thinking_blocks}, and fills the empty text of a signed thinking block
     * from the message's {@code reasoning_content}. A client that rebuilt the message from a stream may keep the
     * text only there, and Anthropic rejects a signature without the text it covers. Only a message with one
     * thinking block is filled, because the reasoning of several blocks cannot be split again. Thinking blocks
     * without Claude's signature are left out, as {@link #withoutForeignThinking} explains.
     */
    static ArrayNode thinkingBlocks(JsonNode message) {
        ArrayNode blocks = NODES.arrayNode();
        for (JsonNode thinking : message.path("thinking_blocks")) {
            if (thinking.isObject() && !isForeignThinking(thinking)) {
                blocks.add(thinking.deepCopy());
            }
        }
        String reasoning = message.path("reasoning_content").asText("");
        if (blocks.size() != 1 || reasoning.isEmpty()) {
            return blocks;
        }
        ObjectNode block = (ObjectNode) blocks.get(0);
        if ("thinking".equals(block.path("type").asText()) && block.path("thinking").asText("").isEmpty()
                && !block.path("signature").asText("").isEmpty()) {
            block.put("thinking", reasoning);
        }
        return blocks;
    }

    /**
     * Removes from {@code body}, an Anthropic request that Portico may change, the thinking blocks of assistant
     * messages that carry no signature or a Gemini signature (see {@link ThoughtSignatures}). Anthropic rejects a
     * thinking block whose signature does not verify, and such a block comes from another provider's reasoning,
     * such as Gemini's, that reached an Anthropic client earlier in the conversation. Anthropic accepts earlier turns
     * without their thinking blocks.
     */
    public static ObjectNode withoutForeignThinking(ObjectNode body) {
        for (JsonNode message : body.path("messages")) {
            if (!"assistant".equals(message.path("role").asText()) || !message.path("content").isArray()) {
                continue;
            }
            Iterator<JsonNode> blocks = message.path("content").elements();
            while (blocks.hasNext()) {
                if (isForeignThinking(blocks.next())) {
                    blocks.remove();
                }
            }
        }
        return body;
    }

    /**
     * Replaces, in {@code body}, an Anthropic request that Portico may change, the {@code tool_use} ids and
     * {@code tool_result} ids that Anthropic rejects, as {@link ToolCallIds#sanitize} describes. Such ids come from
     * other providers, such as Kimi K2's {@code functions.get_weather:0}, that reached the client earlier.
     */
    public static ObjectNode withValidToolIds(ObjectNode body) {
        for (JsonNode message : body.path("messages")) {
            for (JsonNode block : message.path("content")) {
                if (!(block instanceof ObjectNode object)) {
                    continue;
                }
                switch (object.path("type").asText()) {
                    case "tool_use" -> sanitizeId(object, "id");
                    case "tool_result" -> sanitizeId(object, "tool_use_id");
                    default -> {
                        // Other blocks carry no client tool call id.
                    }
                }
            }
        }
        return body;
    }

    private static void sanitizeId(ObjectNode block, String field) {
        if (block.get(field) instanceof TextNode id) {
            block.put(field, ToolCallIds.sanitize(id.asText()));
        }
    }

    private static boolean isForeignThinking(JsonNode block) {
        String signature = block.path("signature").asText("");
        return "thinking".equals(block.path("type").asText())
                && (signature.isEmpty() || ThoughtSignatures.isGemini(signature));
    }

    /**
     * Builds the {@code tool_result} block of a tool message. Its content parts become the blocks a tool result
     * takes: text, images, and documents made from files; {@code document} and {@code search_result} blocks pass
     * as they are. Any other part is rejected with 400. Blank text is left out, and a result left without content
     * has no {@code content} field, which Anthropic allows.
     */
    private static ArrayNode toolResult(JsonNode message, CallTarget target) {
        ArrayNode blocks = NODES.arrayNode();
        ObjectNode result = blocks.addObject().put("type", "tool_result")
                .put("tool_use_id", ToolCallIds.sanitize(message.path("tool_call_id").asText()));
        JsonNode content = message.get("content");
        if (content != null && content.isArray()) {
            ArrayNode parts = result.putArray("content");
            for (JsonNode part : content) {
                switch (part.path("type").asText()) {
                    case "text" -> addText(parts, part.path("text").asText());
                    case "image_url" -> parts.add(image(part.path("image_url").path("url").asText()));
                    case "file" -> parts.add(document(ContentParts.file(part, target), target));
                    case "document", "search_result" -> parts.add(part.deepCopy());
                    default -> throw ContentParts.unsupportedInToolResult(part.path("type").asText(), target);
                }
            }
            if (parts.isEmpty()) {
                result.remove("content");
            }
        } else if (content != null && !content.isNull() && !content.asText().isBlank()) {
            result.put("content", content.asText());
        }
        return blocks;
    }

    /** Appends a text block unless {@code text} is blank, because Anthropic rejects text of only whitespace. */
    private static void addText(ArrayNode blocks, String text) {
        if (!text.isBlank()) {
            blocks.addObject().put("type", "text").put("text", text);
        }
    }
}

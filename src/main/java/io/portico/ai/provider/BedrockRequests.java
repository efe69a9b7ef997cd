package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Translates a request in Portico's internal form (OpenAI's Chat Completions shape) into an Amazon Bedrock
 * Converse request, the same body for {@code converse} and {@code converse-stream}.
 *
 * <p>Rules:
 * <ul>
 * <li>System and developer messages become {@code system} text blocks, in order; {@code response_format} of type
 *     {@code json_object} adds an instruction block there.</li>
 * <li>Consecutive messages of one role are merged into one message, because Converse requires alternating roles;
 *     the results of parallel tool calls become {@code toolResult} blocks at the start of one user message.</li>
 * <li>Text parts become {@code text} blocks. Blank text is dropped, because Converse rejects blank text blocks.
 *     Images become {@code image} blocks with their detected format (png, jpeg, gif, webp). Converse takes only
 *     inline bytes or S3 locations, so the gateway inlines image URLs before the call (see
 *     {@link BedrockAdapter#acceptsImageUrl}), and a URL still present here is rejected with 400. A {@code file}
 *     part with a data URI becomes a {@code document} block with the format its media type names and a name made
 *     from its filename (see {@link #documentName}), numbered when another document of the request has it. Any
 *     other part, such as {@code input_audio} or a {@code file_id}, is rejected with 400.</li>
 * <li>Assistant tool calls become {@code toolUse} blocks with their arguments parsed as the {@code input} object;
 *     {@code thinking_blocks} become {@code reasoningContent} blocks ahead of the text. A tool message becomes a
 *     {@code toolResult} whose content is a {@code json} block when the text is a JSON object, a {@code text}
 *     block otherwise. Blank text is left out, and a result left empty gets the {@code json} block
 *     {@code {"output": ""}}, because Converse rejects blank text. Its image and file parts become {@code image}
 *     and {@code document} blocks there, and any other part is rejected with 400. A tool message with
 *     {@code is_error} (a failed result of an Anthropic client) gets {@code status: "error"} and loses its
 *     {@code Error: } text prefix, for the models that take a status.</li>
 * <li>An Anthropic client's cache breakpoints ({@code cache_control} on parts, tool and assistant messages, and
 *     tools) become {@code cachePoint} blocks after the block they mark, in {@code system}, message content and
 *     {@code toolConfig.tools}, where the model accepts them as {@link ConverseFeatures} lists, and are dropped
 *     elsewhere. A breakpoint's {@code ttl} of {@code 5m} or {@code 1h} is kept.</li>
 * <li>{@code max_completion_tokens} or {@code max_tokens} becomes {@code inferenceConfig.maxTokens}; Converse
 *     needs no limit, except that Claude's thinking requires one above its budget, so with {@code thinking} and no
 *     limit Claude models get the limit of {@link AnthropicRequests#defaultMaxTokens}. {@code temperature} (capped
 *     at 1, the top of Converse's range), {@code top_p} and {@code stop} become {@code temperature}, {@code topP}
 *     and {@code stopSequences}.</li>
 * <li>{@code top_k} goes into {@code additionalModelRequestFields}: {@code top_k} for Anthropic models,
 *     {@code inferenceConfig.topK} for Amazon Nova models, and is dropped for other models, whose field names
 *     differ. {@code thinking} is passed as {@code additionalModelRequestFields.thinking} for Anthropic models.</li>
 * <li>Tools become {@code toolConfig.tools[].toolSpec} with the parameters as {@code inputSchema.json};
 *     {@code tool_choice} {@code auto}, {@code required} and a named function become {@code auto}, {@code any}
 *     and {@code tool}. With {@code none} the tools are sent without a choice only when the history holds tool
 *     blocks, since Converse rejects tool blocks without {@code toolConfig}, and dropped otherwise; tools named in
 *     the history but missing from the request are declared with an empty schema for the same reason.</li>
 * <li>{@code response_format} of type {@code json_schema} becomes a tool named {@value #STRUCTURED_OUTPUT_TOOL}
 *     with that schema, whose input is returned as the message content. It is the forced {@code toolChoice}
 *     unless the client's own tools and tool choice stay, as {@link AnthropicRequests#forcesStructuredOutput}
 *     describes.</li>
 * <li>{@code seed}, {@code n}, {@code user}, {@code logprobs}, penalties, {@code logit_bias} and
 *     {@code parallel_tool_calls} are dropped, because Converse has no counterpart.</li>
 * </ul>
 */
public final class BedrockRequests {

    /** Name of the tool that carries JSON-schema structured output. */
    public static final String STRUCTURED_OUTPUT_TOOL = AnthropicRequests.STRUCTURED_OUTPUT_TOOL;
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern DOCUMENT_NAME_EXCLUDED = Pattern.compile("[^\\p{Alnum}\\s\\-()\\[\\]]");
    private static final Pattern WHITESPACE_RUN = Pattern.compile("\\s+");
    private static final int MAX_DOCUMENT_NAME = 200;
    /** The text that Portico's internal form puts before the content of a failed tool result. */
    private static final String ERROR_PREFIX = "Error: ";

    private BedrockRequests() {
    }

    /** Returns the name of the forced structured output tool the request implies, or null. */
    public static String structuredOutputTool(JsonNode openAi) {
        return AnthropicRequests.structuredOutputTool(openAi);
    }

    /**
     * Translates {@code openAi} into a Converse request for {@code target}.
     *
     * @throws AiException with status 400 for an image that is not an inline data URI of a supported format, and
     *     for a request without user or assistant content, which Converse rejects
     */
    public static ObjectNode converse(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        ArrayNode messages = body.putArray("messages");
        ArrayNode system = NODES.arrayNode();
        ConverseFeatures features = ConverseFeatures.of(target.model());
        // Converse rejects a request in which two documents have the same name.
        Set<String> documentNames = new HashSet<>();
        for (JsonNode message : openAi.path("messages")) {
            switch (message.path("role").asText()) {
                case "system", "developer" -> addSystem(system, message.get("content"), features);
                case "tool" -> addBlocks(messages, "user", toolResult(message, target, documentNames, features));
                case "assistant" -> addBlocks(messages, "assistant", assistantBlocks(message, target, features));
                default -> addBlocks(messages, "user", userBlocks(message.get("content"), target, documentNames,
                        features));
            }
        }
        if (messages.isEmpty()) {
            throw ContentParts.emptyConversation(target);
        }
        JsonNode format = openAi.get("response_format");
        if (format != null && "json_object".equals(Wire.text(format, "type"))) {
            system.addObject().put("text", "Respond with a single JSON object and nothing else.");
        }
        if (!system.isEmpty()) {
            body.set("system", system);
        }
        ObjectNode inference = inferenceConfig(openAi, target);
        if (!inference.isEmpty()) {
            body.set("inferenceConfig", inference);
        }
        addTools(openAi, body, messages, features);
        ObjectNode additional = additionalFields(openAi, target.model());
        if (!additional.isEmpty()) {
            body.set("additionalModelRequestFields", additional);
        }
        return body;
    }

    private static ObjectNode inferenceConfig(ObjectNode openAi, CallTarget target) {
        ObjectNode config = NODES.objectNode();
        JsonNode limit = openAi.has("max_completion_tokens") ? openAi.get("max_completion_tokens")
                : openAi.get("max_tokens");
        if (limit != null && limit.canConvertToInt() && limit.asInt() > 0) {
            config.put("maxTokens", limit.asInt());
        } else if (isAnthropic(target.model()) && openAi.get("thinking") instanceof ObjectNode) {
            config.put("maxTokens", AnthropicRequests.defaultMaxTokens(openAi, target));
        }
        JsonNode temperature = openAi.get("temperature");
        if (temperature != null && temperature.isNumber()) {
            config.put("temperature", Math.min(1.0, temperature.asDouble()));
        }
        JsonNode topP = openAi.get("top_p");
        if (topP != null && topP.isNumber()) {
            config.set("topP", topP);
        }
        JsonNode stop = openAi.get("stop");
        if (stop != null && stop.isTextual()) {
            config.putArray("stopSequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            config.set("stopSequences", stop.deepCopy());
        }
        return config;
    }

    private static ObjectNode additionalFields(ObjectNode openAi, String model) {
        ObjectNode fields = NODES.objectNode();
        JsonNode topK = openAi.get("top_k");
        if (topK != null && topK.isNumber()) {
            if (isAnthropic(model)) {
                fields.set("top_k", topK);
            } else if (model.contains("amazon.nova")) {
                fields.putObject("inferenceConfig").set("topK", topK);
            }
        }
        if (isAnthropic(model) && openAi.get("thinking") instanceof ObjectNode thinking) {
            // NOTE: the field name follows Bedrock's Claude extended thinking guide; no live Converse call checked it.
            fields.set("thinking", thinking.deepCopy());
        }
        return fields;
    }

    /** True for Anthropic model ids, inference profile ids such as {@code us.anthropic...} and their ARNs. */
    static boolean isAnthropic(String model) {
        return model.contains("anthropic.");
    }

    private static void addTools(ObjectNode openAi, ObjectNode body, ArrayNode messages,
                                 ConverseFeatures features) {
        ArrayNode tools = NODES.arrayNode();
        Set<String> declared = new LinkedHashSet<>();
        for (JsonNode tool : openAi.path("tools")) {
            JsonNode function = tool.get("function");
            if (function != null) {
                String name = function.path("name").asText();
                declared.add(name);
                tools.add(toolSpec(name, Wire.text(function, "description"), function.get("parameters")));
                if (features.toolCache()) {
                    addCachePoint(tools, CacheControl.of(tool));
                }
            }
        }

        ObjectNode choice = toolChoice(openAi.get("tool_choice"));
        boolean none = "none".equals(openAi.path("tool_choice").asText(null));

        String structured = structuredOutputTool(openAi);
        if (structured != null) {
            boolean forced = AnthropicRequests.forcesStructuredOutput(openAi);
            JsonNode schema = openAi.path("response_format").path("json_schema").get("schema");
            tools.add(toolSpec(structured, AnthropicRequests.structuredOutputDescription(forced), schema));
            declared.add(structured);
            if (forced) {
                choice = NODES.objectNode();
                choice.putObject("tool").put("name", structured);
                none = false;
            }
        }

        Set<String> used = toolNamesInHistory(messages);
        if (none && used.isEmpty()) {
            return;
        }
        for (String name : used) {
            if (declared.add(name)) {
                tools.add(toolSpec(name, null, null));
            }
        }
        if (tools.isEmpty()) {
            return;
        }

        ObjectNode config = body.putObject("toolConfig");
        config.set("tools", tools);
        if (choice != null && !none) {
            config.set("toolChoice", choice);
        }
    }

    private static ObjectNode toolSpec(String name, String description, JsonNode parameters) {
        ObjectNode tool = NODES.objectNode();
        ObjectNode spec = tool.putObject("toolSpec").put("name", name);
        if (description != null && !description.isBlank()) {
            spec.put("description", description);
        }
        ObjectNode schema = parameters instanceof ObjectNode object ? object.deepCopy()
                : NODES.objectNode().put("type", "object");
        if (!schema.has("properties") && "object".equals(Wire.text(schema, "type"))) {
            schema.putObject("properties");
        }
        spec.putObject("inputSchema").set("json", schema);
        return tool;
    }

    private static ObjectNode toolChoice(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        ObjectNode converted = NODES.objectNode();
        if (choice.isTextual()) {
            switch (choice.asText()) {
                case "required" -> converted.putObject("any");
                case "none" -> {
                    return null;
                }
                default -> converted.putObject("auto");
            }
            return converted;
        }
        String name = choice.path("function").path("name").asText(null);
        if (name == null) {
            return null;
        }
        converted.putObject("tool").put("name", name);
        return converted;
    }

    /** Appends the cache point of {@code breakpoint} after the last block, when there is a breakpoint and a block. */
    private static void addCachePoint(ArrayNode blocks, ObjectNode breakpoint) {
        if (breakpoint != null && !blocks.isEmpty()) {
            blocks.add(ConverseFeatures.cachePoint(breakpoint));
        }
    }

    private static Set<String> toolNamesInHistory(ArrayNode messages) {
        Set<String> names = new LinkedHashSet<>();
        for (JsonNode message : messages) {
            for (JsonNode block : message.path("content")) {
                JsonNode toolUse = block.get("toolUse");
                if (toolUse != null) {
                    names.add(toolUse.path("name").asText());
                }
            }
        }
        return names;
    }

    private static void addSystem(ArrayNode system, JsonNode content, ConverseFeatures features) {
        if (content != null && content.isTextual() && !content.asText().isBlank()) {
            system.addObject().put("text", content.asText());
        } else if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                String text = part.path("text").asText();
                if ("text".equals(part.path("type").asText()) && !text.isBlank()) {
                    system.addObject().put("text", text);
                }
                if (features.systemCache()) {
                    addCachePoint(system, CacheControl.of(part));
                }
            }
        }
    }

    /** Appends {@code blocks} as a message of {@code role}, merged into the previous message of the same role. */
    private static void addBlocks(ArrayNode messages, String role, ArrayNode blocks) {
        if (blocks.isEmpty()) {
            return;
        }
        JsonNode last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
        if (last == null || !role.equals(last.path("role").asText())) {
            messages.addObject().put("role", role).set("content", blocks);
            return;
        }
        ArrayNode content = (ArrayNode) last.get("content");
        if (!blocks.get(0).has("toolResult")) {
            content.addAll(blocks);
            return;
        }
        // Tool results must come first in the user message that follows the assistant's tool calls. A cache point
        // after a tool result stays with it.
        int results = 0;
        while (results < content.size()
                && (content.get(results).has("toolResult") || content.get(results).has("cachePoint"))) {
            results++;
        }
        for (JsonNode block : blocks) {
            content.insert(results++, block);
        }
    }

    private static ArrayNode userBlocks(JsonNode content, CallTarget target, Set<String> documentNames,
                                        ConverseFeatures features) {
        ArrayNode blocks = NODES.arrayNode();
        if (content != null && content.isTextual()) {
            addText(blocks, content.asText());
        } else if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                switch (part.path("type").asText()) {
                    case "text" -> addText(blocks, part.path("text").asText());
                    case "image_url" -> blocks.add(image(part.path("image_url").path("url").asText()));
                    case "file" -> blocks.add(document(ContentParts.file(part, target), target, documentNames));
                    default -> throw ContentParts.unsupported(part.path("type").asText(), target);
                }
                if (features.messageCache()) {
                    addCachePoint(blocks, CacheControl.of(part));
                }
            }
        }
        return blocks;
    }

    /** Builds a {@code document} block with the format that the file's media type names. */
    private static ObjectNode document(ContentParts.FileData file, CallTarget target, Set<String> documentNames) {
        String format = switch (file.mediaType()) {
            case "application/pdf" -> "pdf";
            case "text/csv" -> "csv";
            case "application/msword" -> "doc";
            case "application/vnd.openxmlformats-officedocument.wordprocessingml.document" -> "docx";
            case "application/vnd.ms-excel" -> "xls";
            case "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" -> "xlsx";
            case "text/html" -> "html";
            case "text/plain" -> "txt";
            case "text/markdown" -> "md";
            default -> throw ContentParts.unsupportedFile(file.mediaType(), target,
                    "PDF, CSV, Word, Excel, HTML, plain text and Markdown");
        };
        ObjectNode block = NODES.objectNode();
        block.putObject("document").put("format", format)
                .put("name", uniqueName(documentName(file.filename()), documentNames))
                .putObject("source").put("bytes", file.base64());
        return block;
    }

    /**
     * Returns {@code name}, or when {@code usedNames} already contains it in any letter case, {@code name} followed by
     * the first free number in parentheses, such as "report (2)". Adds the result to {@code usedNames}.
     */
    private static String uniqueName(String name, Set<String> usedNames) {
        String unique = name;
        for (int number = 2; usedNames.contains(unique.toLowerCase(Locale.ROOT)); number++) {
            String suffix = " (" + number + ")";
            unique = name.substring(0, Math.min(name.length(), MAX_DOCUMENT_NAME - suffix.length())).strip() + suffix;
        }
        usedNames.add(unique.toLowerCase(Locale.ROOT));
        return unique;
    }

    /**
     * Returns a document name that Converse accepts, made from the filename without its extension. Converse allows
     * alphanumeric characters, whitespace, hyphens, parentheses and square brackets. Any other character, and any
     * letter or digit outside ASCII, becomes a space. Runs of whitespace become one space, the name is cut to 200
     * characters, and an empty name becomes "document".
     */
    static String documentName(String filename) {
        String name = filename == null ? "" : filename;
        int dot = name.lastIndexOf('.');
        if (dot > 0) {
            name = name.substring(0, dot);
        }
        name = DOCUMENT_NAME_EXCLUDED.matcher(name).replaceAll(" ");
        name = WHITESPACE_RUN.matcher(name).replaceAll(" ").strip();
        if (name.length() > MAX_DOCUMENT_NAME) {
            name = name.substring(0, MAX_DOCUMENT_NAME).strip();
        }
        return name.isEmpty() ? "document" : name;
    }

    private static void addText(ArrayNode blocks, String text) {
        if (!text.isBlank()) {
            blocks.addObject().put("text", text);
        }
    }

    private static ObjectNode image(String url) {
        Images.DataUri data = Images.parseDataUri(url);
        if (data == null) {
            throw new AiException(AiError.of(400, "this provider accepts only inline images"));
        }
        String format = switch (data.mediaType()) {
            case "image/png" -> "png";
            case "image/jpeg", "image/jpg" -> "jpeg";
            case "image/gif" -> "gif";
            case "image/webp" -> "webp";
            default -> throw new AiException(AiError.of(400, "unsupported image type " + data.mediaType()
                    + "; this provider accepts png, jpeg, gif and webp"));
        };
        ObjectNode block = NODES.objectNode();
        block.putObject("image").put("format", format).putObject("source").put("bytes", data.base64());
        return block;
    }

    private static ArrayNode assistantBlocks(JsonNode message, CallTarget target, ConverseFeatures features) {
        ArrayNode blocks = NODES.arrayNode();
        for (JsonNode thinking : AnthropicRequests.thinkingBlocks(message)) {
            ObjectNode reasoning = reasoningBlock(thinking);
            if (reasoning != null) {
                blocks.addObject().set("reasoningContent", reasoning);
            }
        }
        for (String text : MessageText.assistantTexts(message)) {
            addText(blocks, text);
        }
        for (JsonNode call : message.path("tool_calls")) {
            ObjectNode input = ToolArguments.parse(call, target);
            ObjectNode toolUse = blocks.addObject().putObject("toolUse")
                    .put("toolUseId", ToolCallIds.sanitize(call.path("id").asText()))
                    .put("name", call.path("function").path("name").asText());
            toolUse.set("input", input);
        }
        if (features.messageCache()) {
            addCachePoint(blocks, CacheControl.of(message));
        }
        return blocks;
    }

    private static ObjectNode reasoningBlock(JsonNode thinking) {
        String type = thinking.path("type").asText();
        if ("thinking".equals(type)) {
            ObjectNode reasoning = NODES.objectNode();
            ObjectNode text = reasoning.putObject("reasoningText").put("text", thinking.path("thinking").asText());
            if (thinking.hasNonNull("signature")) {
                text.put("signature", thinking.get("signature").asText());
            }
            return reasoning;
        }
        if ("redacted_thinking".equals(type)) {
            return NODES.objectNode().put("redactedContent", thinking.path("data").asText());
        }
        return null;
    }

    /**
     * Builds the {@code toolResult} block of a tool message. Its content parts become the blocks a tool result
     * takes in Converse: text or JSON, images, and documents made from files. Any other part, such as an Anthropic
     * client's {@code search_result}, is rejected with 400.
     */
    private static ArrayNode toolResult(JsonNode message, CallTarget target, Set<String> documentNames,
                                        ConverseFeatures features) {
        ArrayNode blocks = NODES.arrayNode();
        ObjectNode result = blocks.addObject().putObject("toolResult")
                .put("toolUseId", ToolCallIds.sanitize(message.path("tool_call_id").asText()));
        ArrayNode parts = result.putArray("content");
        JsonNode content = message.get("content");
        boolean failed = message.path("is_error").asBoolean(false) && features.toolResultStatus();
        if (failed) {
            // The status reports the failure, so the text goes without the prefix that the internal form adds.
            content = withoutErrorPrefix(content);
        }
        if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                switch (part.path("type").asText()) {
                    case "text" -> resultText(parts, part.path("text").asText());
                    case "image_url" -> parts.add(image(part.path("image_url").path("url").asText()));
                    case "file" -> parts.add(document(ContentParts.file(part, target), target, documentNames));
                    default -> throw ContentParts.unsupportedInToolResult(part.path("type").asText(), target);
                }
            }
        } else {
            resultText(parts, content == null || content.isNull() ? "" : content.asText());
        }
        if (parts.isEmpty()) {
            // Gemini receives the same object for an empty result in its function responses.
            parts.addObject().putObject("json").put("output", "");
        }
        if (failed) {
            result.put("status", "error");
        }
        if (features.messageCache()) {
            addCachePoint(blocks, CacheControl.of(message));
        }
        return blocks;
    }

    /** Returns {@code content} without the {@code Error: } prefix of its text or of its first text part. */
    private static JsonNode withoutErrorPrefix(JsonNode content) {
        if (content != null && content.isTextual() && content.asText().startsWith(ERROR_PREFIX)) {
            return NODES.textNode(content.asText().substring(ERROR_PREFIX.length()));
        }
        if (content == null || !content.isArray() || content.isEmpty()) {
            return content;
        }
        JsonNode first = content.get(0);
        String text = first.path("text").asText("");
        if (!"text".equals(first.path("type").asText()) || !text.startsWith(ERROR_PREFIX)) {
            return content;
        }
        ArrayNode copy = (ArrayNode) content.deepCopy();
        ((ObjectNode) copy.get(0)).put("text", text.substring(ERROR_PREFIX.length()));
        return copy;
    }

    private static void resultText(ArrayNode parts, String text) {
        if (text.isBlank()) {
            return;
        }
        String trimmed = text.strip();
        JsonNode json = trimmed.startsWith("{") && trimmed.endsWith("}") ? Wire.parse(trimmed) : null;
        if (json instanceof ObjectNode object) {
            parts.addObject().set("json", object);
        } else {
            parts.addObject().put("text", text);
        }
    }
}

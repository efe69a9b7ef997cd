package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Translates a request in Portico's internal form (OpenAI's Chat Completions shape) into a Gemini
 * {@code generateContent} request, for the Gemini API and for Gemini models on Vertex AI.
 *
 * <p>Messages: system and developer messages join {@code systemInstruction}; user messages become {@code user}
 * contents and assistant messages {@code model} contents, and consecutive contents of one role are merged.
 * Assistant tool calls become {@code functionCall} parts. The results of parallel tool calls become the
 * {@code functionResponse} parts of one {@code user} content, in the order of the calls, each named after the
 * function its {@code tool_call_id} refers to. A result that is a JSON object is sent as the response; any other
 * result is sent as {@code {"output": text}}. The images and files of a result go into the
 * {@code functionResponse}'s {@code parts}. Call ids that Portico generated (see {@link ToolCallIds}, because
 * Gemini models before Gemini 3 return none) are not sent back; ids that Gemini returned are.
 *
 * <p>Thought signatures: Gemini signs its reasoning and requires the signature back with function calls of the
 * current turn. A tool call's {@code extra_content.google.thought_signature} (the field Google's own OpenAI
 * endpoint uses) goes back on that call. Otherwise the first Gemini signature of the message's
 * {@code thinking_blocks} (see {@link ThoughtSignatures}) goes on the first function call, or on the last text part
 * when there is no call. Claude's signatures are not sent.
 *
 * <p>Images and files: data URIs become {@code inlineData} with the type their bytes show. URLs become
 * {@code fileData} where the service fetches them itself: Files API and YouTube URLs on the Gemini API, Cloud
 * Storage and https URLs on Vertex AI. Any other URL is rejected with 400, because the Gemini API accepts only
 * inline images otherwise. {@code input_audio} and {@code file} parts with a data URI become {@code inlineData}.
 * A {@code file_id} and any other part type are rejected with 400.
 *
 * <p>Parameters: {@code max_completion_tokens} or {@code max_tokens} becomes {@code maxOutputTokens}, omitted
 * when neither is given because Gemini needs no limit; {@code temperature}, {@code top_p}, {@code top_k},
 * {@code seed}, {@code presence_penalty} and {@code frequency_penalty} map to their Gemini names; {@code stop}
 * becomes {@code stopSequences}. {@code response_format} {@code json_object} sets {@code responseMimeType}
 * {@code application/json}, and {@code json_schema} also sets {@code responseJsonSchema}. Tools become
 * {@code functionDeclarations} with {@code parametersJsonSchema}; {@code tool_choice} becomes
 * {@code functionCallingConfig} ({@code auto} AUTO, {@code required} ANY, {@code none} NONE, a named function ANY
 * with {@code allowedFunctionNames}). Anthropic-style {@code thinking} and OpenAI {@code reasoning_effort} become
 * {@code thinkingConfig}. {@code user}, {@code n}, {@code logprobs}, {@code logit_bias}, {@code parallel_tool_calls}
 * and {@code stream_options} are dropped.
 */
public final class GeminiRequests {

    /** A Google service, which decides the image and file URLs that are passed by URL. */
    public enum Service {
        /** The Gemini API: Files API URIs and YouTube videos. */
        GEMINI_API,
        /** Vertex AI: Cloud Storage URIs and https URLs. */
        VERTEX
    }

    /** The message of the error for an image URL that the service cannot fetch. */
    public static final String INLINE_ONLY = "this provider accepts only inline images";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final List<String> GEMINI_API_URLS = List.of("https://generativelanguage.googleapis.com/",
            "https://www.youtube.com/", "https://youtube.com/", "https://youtu.be/");

    private GeminiRequests() {
    }

    /**
     * Translates {@code openAi} into a generateContent body.
     *
     * @throws AiException with status 400 for an image URL the service cannot fetch, for a tool result that
     *     matches no earlier tool call, and for a request without user or model content, which Gemini rejects
     */
    public static ObjectNode fromOpenAi(JsonNode openAi, Service service, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        StringBuilder system = new StringBuilder();
        ArrayNode contents = contents(openAi.path("messages"), system, service, target);
        if (contents.isEmpty()) {
            throw ContentParts.emptyConversation(target);
        }
        body.set("contents", contents);
        if (system.length() > 0) {
            body.putObject("systemInstruction").putArray("parts").addObject().put("text", system.toString());
        }
        addTools(openAi, body);
        ObjectNode config = generationConfig(openAi);
        if (!config.isEmpty()) {
            body.set("generationConfig", config);
        }
        return body;
    }

    private static ArrayNode contents(JsonNode messages, StringBuilder system, Service service,
                                      CallTarget target) {
        ArrayNode contents = NODES.arrayNode();
        Map<String, String> callNames = new HashMap<>();
        List<String> callOrder = new ArrayList<>();
        List<JsonNode> results = new ArrayList<>();
        for (JsonNode message : messages) {
            String role = message.path("role").asText();
            if (!"tool".equals(role) && !results.isEmpty()) {
                addParts(contents, "user", functionResponses(results, callNames, callOrder, service, target));
                results.clear();
            }
            switch (role) {
                case "system", "developer" -> appendText(system, message.get("content"));
                case "tool" -> results.add(message);
                case "assistant" -> {
                    callOrder.clear();
                    for (JsonNode call : message.path("tool_calls")) {
                        String id = call.path("id").asText();
                        callNames.put(id, call.path("function").path("name").asText());
                        callOrder.add(id);
                    }
                    addParts(contents, "model", modelParts(message, target));
                }
                default -> addParts(contents, "user", userParts(message.get("content"), service, target));
            }
        }
        if (!results.isEmpty()) {
            addParts(contents, "user", functionResponses(results, callNames, callOrder, service, target));
        }
        return contents;
    }

    /** Appends {@code parts} as a content of {@code role}, merged into the previous content of the same role. */
    private static void addParts(ArrayNode contents, String role, ArrayNode parts) {
        if (parts.isEmpty()) {
            return;
        }
        JsonNode last = contents.isEmpty() ? null : contents.get(contents.size() - 1);
        if (last != null && role.equals(last.path("role").asText())) {
            ((ArrayNode) last.get("parts")).addAll(parts);
            return;
        }
        ObjectNode content = contents.addObject().put("role", role);
        content.set("parts", parts);
    }

    private static ArrayNode userParts(JsonNode content, Service service, CallTarget target) {
        ArrayNode parts = NODES.arrayNode();
        if (content == null || content.isNull()) {
            return parts;
        }
        if (content.isTextual()) {
            addText(parts, content.asText());
            return parts;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> addText(parts, part.path("text").asText());
                case "image_url" -> parts.add(image(part.path("image_url").path("url").asText(), service));
                case "input_audio" -> parts.addObject().putObject("inlineData")
                        .put("mimeType", "audio/" + part.path("input_audio").path("format").asText("wav"))
                        .put("data", part.path("input_audio").path("data").asText());
                case "file" -> parts.add(inlineFile(part, target));
                default -> throw ContentParts.unsupported(part.path("type").asText(), target);
            }
        }
        return parts;
    }

    /** Appends a text part unless {@code text} is blank, because Gemini rejects empty text parts. */
    private static void addText(ArrayNode parts, String text) {
        if (!text.isBlank()) {
            parts.addObject().put("text", text);
        }
    }

    /** Builds an {@code inlineData} part from the data URI of an OpenAI {@code file} part. */
    private static ObjectNode inlineFile(JsonNode part, CallTarget target) {
        ContentParts.FileData file = ContentParts.file(part, target);
        ObjectNode inline = NODES.objectNode();
        inline.putObject("inlineData").put("mimeType", file.mediaType()).put("data", file.base64());
        return inline;
    }

    private static ObjectNode image(String url, Service service) {
        ObjectNode part = NODES.objectNode();
        Images.DataUri data = Images.parseDataUri(url);
        if (data != null) {
            part.putObject("inlineData").put("mimeType", data.mediaType()).put("data", data.base64());
            return part;
        }
        if (!fetchable(url, service)) {
            throw new AiException(AiError.of(400, INLINE_ONLY));
        }
        ObjectNode fileData = part.putObject("fileData");
        String mimeType = mimeTypeOf(url);
        if (mimeType == null && service == Service.VERTEX) {
            // NOTE: Vertex AI requires a type and the URL shows none, so this guesses the most common one.
            mimeType = "image/jpeg";
        }
        if (mimeType != null) {
            fileData.put("mimeType", mimeType);
        }
        fileData.put("fileUri", url);
        return part;
    }

    static boolean fetchable(String url, Service service) {
        if (service == Service.VERTEX) {
            return url.startsWith("gs://") || url.startsWith("https://");
        }
        return GEMINI_API_URLS.stream().anyMatch(url::startsWith);
    }

    private static String mimeTypeOf(String url) {
        String path = url.toLowerCase(Locale.ROOT);
        int query = path.indexOf('?');
        path = query < 0 ? path : path.substring(0, query);
        if (path.endsWith(".png")) {
            return "image/png";
        } else if (path.endsWith(".jpg") || path.endsWith(".jpeg")) {
            return "image/jpeg";
        } else if (path.endsWith(".webp")) {
            return "image/webp";
        } else if (path.endsWith(".gif")) {
            return "image/gif";
        } else if (path.endsWith(".heic")) {
            return "image/heic";
        } else if (path.endsWith(".pdf")) {
            return "application/pdf";
        }
        return null;
    }

    private static ArrayNode modelParts(JsonNode message, CallTarget target) {
        ArrayNode parts = NODES.arrayNode();
        StringBuilder text = new StringBuilder();
        MessageText.assistantTexts(message).forEach(text::append);
        if (!text.toString().isBlank()) {
            parts.addObject().put("text", text.toString());
        }
        ObjectNode firstCall = null;
        for (JsonNode call : message.path("tool_calls")) {
            ObjectNode part = parts.addObject();
            ObjectNode functionCall = part.putObject("functionCall");
            String id = call.path("id").asText();
            if (!id.isEmpty() && !ToolCallIds.isGenerated(id)) {
                functionCall.put("id", id);
            }
            functionCall.put("name", call.path("function").path("name").asText());
            functionCall.set("args", ToolArguments.parse(call, target));
            String signature = Wire.text(call.path("extra_content").path("google"), "thought_signature");
            if (signature != null) {
                part.put("thoughtSignature", signature);
            }
            firstCall = firstCall == null ? part : firstCall;
        }
        String signature = firstSignature(message.path("thinking_blocks"));
        ObjectNode signed = firstCall != null ? firstCall : parts.isEmpty() ? null
                : (ObjectNode) parts.get(parts.size() - 1);
        if (signature != null && signed != null && !signed.has("thoughtSignature")) {
            signed.put("thoughtSignature", signature);
        }
        return parts;
    }

    private static String firstSignature(JsonNode thinkingBlocks) {
        for (JsonNode block : thinkingBlocks) {
            String signature = ThoughtSignatures.toGemini(Wire.text(block, "signature"));
            if (signature != null && !signature.isEmpty()) {
                return signature;
            }
        }
        return null;
    }

    private static ArrayNode functionResponses(List<JsonNode> results, Map<String, String> callNames,
                                               List<String> callOrder, Service service, CallTarget target) {
        List<JsonNode> ordered = new ArrayList<>(results);
        ordered.sort(Comparator.comparingInt(result -> {
            int position = callOrder.indexOf(result.path("tool_call_id").asText());
            return position < 0 ? Integer.MAX_VALUE : position;
        }));
        ArrayNode parts = NODES.arrayNode();
        for (JsonNode result : ordered) {
            String id = result.path("tool_call_id").asText();
            String name = callNames.getOrDefault(id, Wire.text(result, "name"));
            if (name == null) {
                throw new AiException(AiError.of(400, "tool message with tool_call_id '" + id
                        + "' matches no tool call of an earlier assistant message"));
            }
            ObjectNode functionResponse = parts.addObject().putObject("functionResponse");
            if (!id.isEmpty() && !ToolCallIds.isGenerated(id)) {
                functionResponse.put("id", id);
            }
            functionResponse.put("name", name);
            functionResponse.set("response", responseObject(result.get("content")));
            ArrayNode media = responseMedia(result.get("content"), service, target);
            if (!media.isEmpty()) {
                functionResponse.set("parts", media);
            }
        }
        return parts;
    }

    /**
     * Returns the images and files of a tool result as the {@code parts} of its {@code functionResponse}, Gemini's
     * place for media that a function returns: inline data, or file data for an image URL the service fetches.
     * The result's text goes into the response object instead. Any other part is rejected with 400.
     */
    private static ArrayNode responseMedia(JsonNode content, Service service, CallTarget target) {
        ArrayNode media = NODES.arrayNode();
        if (content == null || !content.isArray()) {
            return media;
        }
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> {
                    // Text is part of the response object.
                }
                case "image_url" -> media.add(image(part.path("image_url").path("url").asText(), service));
                case "file" -> media.add(inlineFile(part, target));
                default -> throw ContentParts.unsupportedInToolResult(part.path("type").asText(), target);
            }
        }
        // NOTE: the documentation of these parts names Gemini 3 models, so earlier models may reject or ignore them.
        return media;
    }

    private static ObjectNode responseObject(JsonNode content) {
        StringBuilder text = new StringBuilder();
        appendContent(text, content);
        JsonNode parsed = Wire.parse(text.toString());
        if (parsed instanceof ObjectNode object) {
            return object;
        }
        return NODES.objectNode().put("output", text.toString());
    }

    /** Appends the text of a message's content, a string or an array of parts, without separators. */
    private static void appendContent(StringBuilder text, JsonNode content) {
        if (content == null || content.isNull()) {
            return;
        }
        if (content.isTextual()) {
            text.append(content.asText());
            return;
        }
        for (JsonNode part : content) {
            if ("text".equals(part.path("type").asText())) {
                text.append(part.path("text").asText());
            }
        }
    }

    private static void appendText(StringBuilder system, JsonNode content) {
        StringBuilder text = new StringBuilder();
        appendContent(text, content);
        if (text.isEmpty()) {
            return;
        }
        if (system.length() > 0) {
            system.append("\n\n");
        }
        system.append(text);
    }

    private static void addTools(JsonNode openAi, ObjectNode body) {
        ArrayNode declarations = NODES.arrayNode();
        for (JsonNode tool : openAi.path("tools")) {
            JsonNode function = tool.get("function");
            if (function == null) {
                continue;
            }
            ObjectNode declaration = declarations.addObject().put("name", function.path("name").asText());
            if (function.hasNonNull("description")) {
                declaration.put("description", function.get("description").asText());
            }
            if (function.get("parameters") instanceof ObjectNode schema) {
                declaration.set("parametersJsonSchema", schema.deepCopy());
            }
        }
        if (declarations.isEmpty()) {
            return;
        }
        body.putArray("tools").addObject().set("functionDeclarations", declarations);
        ObjectNode callingConfig = functionCallingConfig(openAi.get("tool_choice"));
        if (callingConfig != null) {
            body.putObject("toolConfig").set("functionCallingConfig", callingConfig);
        }
    }

    private static ObjectNode functionCallingConfig(JsonNode choice) {
        if (choice == null || choice.isNull()) {
            return null;
        }
        if (choice.isTextual()) {
            return switch (choice.asText()) {
                case "required" -> NODES.objectNode().put("mode", "ANY");
                case "none" -> NODES.objectNode().put("mode", "NONE");
                default -> NODES.objectNode().put("mode", "AUTO");
            };
        }
        String name = Wire.text(choice.path("function"), "name");
        if (name == null) {
            return null;
        }
        ObjectNode config = NODES.objectNode().put("mode", "ANY");
        config.putArray("allowedFunctionNames").add(name);
        return config;
    }

    private static ObjectNode generationConfig(JsonNode openAi) {
        ObjectNode config = NODES.objectNode();
        JsonNode limit = openAi.has("max_completion_tokens") ? openAi.get("max_completion_tokens")
                : openAi.get("max_tokens");
        if (limit != null && limit.canConvertToInt() && limit.asInt() > 0) {
            config.put("maxOutputTokens", limit.asInt());
        }
        copyNumber(openAi, "temperature", config, "temperature");
        copyNumber(openAi, "top_p", config, "topP");
        copyNumber(openAi, "top_k", config, "topK");
        copyNumber(openAi, "seed", config, "seed");
        copyNumber(openAi, "presence_penalty", config, "presencePenalty");
        copyNumber(openAi, "frequency_penalty", config, "frequencyPenalty");

        JsonNode stop = openAi.get("stop");
        if (stop != null && stop.isTextual()) {
            config.putArray("stopSequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            config.set("stopSequences", stop.deepCopy());
        }

        JsonNode format = openAi.get("response_format");
        String formatType = Wire.text(format, "type");
        if ("json_object".equals(formatType) || "json_schema".equals(formatType)) {
            config.put("responseMimeType", "application/json");
        }
        if ("json_schema".equals(formatType) && format.path("json_schema").get("schema") instanceof ObjectNode schema) {
            config.set("responseJsonSchema", schema.deepCopy());
        }

        ObjectNode thinking = thinkingConfig(openAi);
        if (thinking != null) {
            config.set("thinkingConfig", thinking);
        }
        return config;
    }

    private static void copyNumber(JsonNode from, String field, ObjectNode to, String name) {
        JsonNode value = from.get(field);
        if (value != null && value.isNumber()) {
            to.set(name, value);
        }
    }

    /**
     * Maps Anthropic-style {@code thinking} or OpenAI {@code reasoning_effort} to a thinking budget. The budgets
     * per effort (512, 1024, 8192, 24576 tokens) are Portico's choice, spread over the range Gemini 2.5 accepts.
     */
    private static ObjectNode thinkingConfig(JsonNode openAi) {
        JsonNode thinking = openAi.get("thinking");
        if (thinking != null && thinking.isObject()) {
            return switch (thinking.path("type").asText()) {
                case "enabled" -> NODES.objectNode().put("includeThoughts", true)
                        .put("thinkingBudget", thinking.path("budget_tokens").asInt(-1));
                case "disabled" -> NODES.objectNode().put("thinkingBudget", 0);
                default -> NODES.objectNode().put("includeThoughts", true);
            };
        }
        String effort = Wire.text(openAi, "reasoning_effort");
        if (effort == null) {
            return null;
        }
        int budget = switch (effort) {
            case "none" -> 0;
            case "minimal" -> 512;
            case "low" -> 1024;
            case "medium" -> 8192;
            default -> 24576;
        };
        ObjectNode config = NODES.objectNode();
        if (budget > 0) {
            config.put("includeThoughts", true);
        }
        return config.put("thinkingBudget", budget);
    }
}

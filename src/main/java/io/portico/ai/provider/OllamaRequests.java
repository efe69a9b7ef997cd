package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.CallTarget;
import java.util.HashMap;
import java.util.Map;

/**
 * Translates requests in Portico's internal form (OpenAI's shapes) into Ollama {@code /api/chat} and
 * {@code /api/embed} requests. The rules are listed in {@link OllamaAdapter}.
 */
final class OllamaRequests {

    /** The message of the 400 error for image URLs, which Ollama cannot fetch. */
    static final String INLINE_IMAGES_ONLY = "this provider accepts only inline images";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private OllamaRequests() {
    }

    /** Translates an OpenAI-shaped chat request for {@code target}. */
    static ObjectNode chat(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        body.put("model", target.model());
        ArrayNode messages = body.putArray("messages");
        Map<String, String> toolNames = new HashMap<>();
        for (JsonNode message : openAi.path("messages")) {
            messages.add(message(message, toolNames, target));
        }
        JsonNode choice = openAi.get("tool_choice");
        boolean noTools = choice != null && "none".equals(choice.asText());
        if (openAi.get("tools") instanceof ArrayNode tools && !tools.isEmpty() && !noTools) {
            body.set("tools", tools(tools));
        }
        format(openAi.get("response_format"), body);
        ObjectNode options = options(openAi);
        if (!options.isEmpty()) {
            body.set("options", options);
        }
        String thinking = Wire.text(openAi.get("thinking"), "type");
        if (thinking != null) {
            body.put("think", "enabled".equals(thinking));
        }
        body.put("stream", openAi.path("stream").asBoolean(false));
        return body;
    }

    private static ObjectNode message(JsonNode message, Map<String, String> toolNames, CallTarget target) {
        String role = message.path("role").asText();
        return switch (role) {
            case "system", "developer" -> NODES.objectNode().put("role", "system")
                    .put("content", MessageText.join(message.get("content")));
            case "assistant" -> assistant(message, toolNames, target);
            case "tool" -> {
                ContentParts.requireTextResult(message.get("content"), target);
                yield NODES.objectNode().put("role", "tool")
                        .put("content", MessageText.join(message.get("content")))
                        .put("tool_name", toolNames.getOrDefault(message.path("tool_call_id").asText(), ""));
            }
            default -> user(message.get("content"), target);
        };
    }

    /**
     * Builds a user message: text parts join into {@code content}, data URI images become base64 {@code images}, and
     * any other part is rejected with 400.
     */
    private static ObjectNode user(JsonNode content, CallTarget target) {
        ObjectNode user = NODES.objectNode().put("role", "user").put("content", MessageText.join(content));
        if (content == null || !content.isArray()) {
            return user;
        }
        ArrayNode images = NODES.arrayNode();
        for (JsonNode part : content) {
            String type = part.path("type").asText();
            if (!"text".equals(type) && !"image_url".equals(type)) {
                throw ContentParts.unsupported(type, target);
            }
            if ("image_url".equals(type)) {
                Images.DataUri data = Images.parseDataUri(part.path("image_url").path("url").asText());
                if (data == null) {
                    throw new AiException(AiError.of(400, INLINE_IMAGES_ONLY));
                }
                images.add(data.base64());
            }
        }
        if (!images.isEmpty()) {
            user.set("images", images);
        }
        return user;
    }

    private static ObjectNode assistant(JsonNode message, Map<String, String> toolNames, CallTarget target) {
        ObjectNode assistant = NODES.objectNode().put("role", "assistant")
                .put("content", MessageText.joinAssistant(message));
        String reasoning = Wire.text(message, "reasoning_content");
        if (reasoning != null && !reasoning.isEmpty()) {
            assistant.put("thinking", reasoning);
        }
        JsonNode calls = message.get("tool_calls");
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            return assistant;
        }
        ArrayNode toolCalls = assistant.putArray("tool_calls");
        for (JsonNode call : calls) {
            String name = call.path("function").path("name").asText();
            toolNames.put(call.path("id").asText(), name);
            ObjectNode function = toolCalls.addObject().put("type", "function").putObject("function")
                    .put("name", name);
            function.set("arguments", ToolArguments.parse(call, target));
        }
        return assistant;
    }

    private static ArrayNode tools(ArrayNode tools) {
        ArrayNode converted = NODES.arrayNode();
        for (JsonNode tool : tools) {
            JsonNode function = tool.get("function");
            if (function == null) {
                continue;
            }
            ObjectNode copy = converted.addObject().put("type", "function").putObject("function")
                    .put("name", function.path("name").asText());
            if (function.hasNonNull("description")) {
                copy.put("description", function.get("description").asText());
            }
            JsonNode parameters = function.get("parameters");
            copy.set("parameters", parameters instanceof ObjectNode ? parameters.deepCopy()
                    : NODES.objectNode().put("type", "object").set("properties", NODES.objectNode()));
        }
        return converted;
    }

    private static void format(JsonNode format, ObjectNode body) {
        String type = Wire.text(format, "type");
        if ("json_object".equals(type)) {
            body.put("format", "json");
        } else if ("json_schema".equals(type)) {
            JsonNode schema = format.path("json_schema").get("schema");
            if (schema instanceof ObjectNode object) {
                body.set("format", object.deepCopy());
            } else {
                body.put("format", "json");
            }
        }
    }

    private static ObjectNode options(ObjectNode openAi) {
        ObjectNode options = NODES.objectNode();
        JsonNode limit = openAi.has("max_completion_tokens") ? openAi.get("max_completion_tokens")
                : openAi.get("max_tokens");
        if (limit != null && limit.canConvertToInt()) {
            options.put("num_predict", limit.asInt());
        }
        for (String field : new String[] {"temperature", "top_p", "top_k", "seed", "frequency_penalty",
            "presence_penalty"}) {
            JsonNode value = openAi.get(field);
            if (value != null && value.isNumber()) {
                options.set(field, value.deepCopy());
            }
        }
        JsonNode stop = openAi.get("stop");
        if (stop != null && stop.isTextual()) {
            options.putArray("stop").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            options.set("stop", stop.deepCopy());
        }
        return options;
    }

    /** Translates an OpenAI embeddings request: {@code input} becomes a list of texts, {@code dimensions} stays. */
    static ObjectNode embed(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        body.put("model", target.model());
        body.set("input", Embeddings.texts(openAi.get("input")));
        JsonNode dimensions = openAi.get("dimensions");
        if (dimensions != null && dimensions.canConvertToInt()) {
            body.put("dimensions", dimensions.asInt());
        }
        return body;
    }
}

package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.CallTarget;

/**
 * Translates requests in Portico's internal form (OpenAI's shapes) into Cohere v2 {@code /chat} and {@code /embed}
 * requests. The rules are listed in {@link CohereAdapter}.
 */
final class CohereRequests {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private CohereRequests() {
    }

    /** Translates an OpenAI-shaped chat request for {@code target}. */
    static ObjectNode chat(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        body.put("model", target.model());
        ArrayNode messages = body.putArray("messages");
        for (JsonNode message : openAi.path("messages")) {
            messages.add(message(message, target));
        }
        JsonNode limit = openAi.has("max_completion_tokens") ? openAi.get("max_completion_tokens")
                : openAi.get("max_tokens");
        if (limit != null && limit.canConvertToInt() && limit.asInt() > 0) {
            body.put("max_tokens", limit.asInt());
        }
        copyParameters(openAi, body);
        responseFormat(openAi.get("response_format"), body);
        addTools(openAi, body);
        thinking(openAi.get("thinking"), body);
        body.put("stream", openAi.path("stream").asBoolean(false));
        return body;
    }

    private static ObjectNode message(JsonNode message, CallTarget target) {
        String role = message.path("role").asText();
        return switch (role) {
            case "system", "developer" -> NODES.objectNode().put("role", "system")
                    .put("content", MessageText.join(message.get("content")));
            case "assistant" -> assistant(message);
            case "tool" -> tool(message, target);
            default -> user(message.get("content"), target);
        };
    }

    private static ObjectNode user(JsonNode content, CallTarget target) {
        ObjectNode message = NODES.objectNode().put("role", "user");
        if (content == null || !content.isArray()) {
            message.put("content", content == null || content.isNull() ? "" : content.asText());
            return message;
        }
        ArrayNode parts = message.putArray("content");
        for (JsonNode part : content) {
            switch (part.path("type").asText()) {
                case "text" -> parts.addObject().put("type", "text").put("text", part.path("text").asText());
                case "image_url" -> parts.add(image(part.path("image_url")));
                default -> throw ContentParts.unsupported(part.path("type").asText(), target);
            }
        }
        return message;
    }

    /** Builds an image part: data URIs keep their bytes under their detected type, https URLs pass as they are. */
    private static ObjectNode image(JsonNode imageUrl) {
        String url = imageUrl.path("url").asText();
        Images.DataUri data = Images.parseDataUri(url);
        ObjectNode part = NODES.objectNode().put("type", "image_url");
        ObjectNode target = part.putObject("image_url");
        target.put("url", data == null ? url : "data:" + data.mediaType() + ";base64," + data.base64());
        if (imageUrl.hasNonNull("detail")) {
            target.put("detail", imageUrl.get("detail").asText());
        }
        return part;
    }

    /** Builds an assistant turn. Text beside tool calls becomes the tool plan, which is where Cohere writes it. */
    private static ObjectNode assistant(JsonNode message) {
        ObjectNode assistant = NODES.objectNode().put("role", "assistant");
        String text = MessageText.joinAssistant(message);
        JsonNode calls = message.get("tool_calls");
        if (calls == null || !calls.isArray() || calls.isEmpty()) {
            assistant.put("content", text);
            return assistant;
        }
        if (!text.isEmpty()) {
            assistant.put("tool_plan", text);
        }
        ArrayNode toolCalls = assistant.putArray("tool_calls");
        for (JsonNode call : calls) {
            String arguments = call.path("function").path("arguments").asText("");
            ObjectNode converted = toolCalls.addObject()
                    .put("id", call.path("id").asText())
                    .put("type", "function");
            converted.putObject("function").put("name", call.path("function").path("name").asText())
                    .put("arguments", arguments.isBlank() ? "{}" : arguments);
        }
        return assistant;
    }

    private static ObjectNode tool(JsonNode message, CallTarget target) {
        ObjectNode tool = NODES.objectNode().put("role", "tool")
                .put("tool_call_id", message.path("tool_call_id").asText());
        JsonNode content = message.get("content");
        // Only text parts are copied below, so any other part is rejected rather than lost.
        ContentParts.requireTextResult(content, target);
        if (content != null && content.isArray()) {
            ArrayNode parts = tool.putArray("content");
            for (JsonNode part : content) {
                if ("text".equals(part.path("type").asText())) {
                    parts.addObject().put("type", "text").put("text", part.path("text").asText());
                }
            }
        } else {
            tool.put("content", content == null || content.isNull() ? "" : content.asText());
        }
        return tool;
    }

    private static void copyParameters(ObjectNode openAi, ObjectNode body) {
        copyNumber(openAi, "temperature", body, "temperature");
        copyNumber(openAi, "top_p", body, "p");
        copyNumber(openAi, "top_k", body, "k");
        copyNumber(openAi, "seed", body, "seed");
        copyNumber(openAi, "frequency_penalty", body, "frequency_penalty");
        copyNumber(openAi, "presence_penalty", body, "presence_penalty");
        JsonNode stop = openAi.get("stop");
        if (stop != null && stop.isTextual()) {
            body.putArray("stop_sequences").add(stop.asText());
        } else if (stop != null && stop.isArray() && !stop.isEmpty()) {
            body.set("stop_sequences", stop.deepCopy());
        }
    }

    private static void copyNumber(ObjectNode from, String field, ObjectNode to, String target) {
        JsonNode value = from.get(field);
        if (value != null && value.isNumber()) {
            to.set(target, value.deepCopy());
        }
    }

    private static void responseFormat(JsonNode format, ObjectNode body) {
        String type = Wire.text(format, "type");
        if ("json_object".equals(type)) {
            body.putObject("response_format").put("type", "json_object");
        } else if ("json_schema".equals(type)) {
            ObjectNode converted = body.putObject("response_format").put("type", "json_object");
            JsonNode schema = format.path("json_schema").get("schema");
            if (schema instanceof ObjectNode object) {
                converted.set("json_schema", object.deepCopy());
            }
        }
    }

    /**
     * Copies the function tools. Cohere's {@code tool_choice} has no named form, so a named choice keeps only that
     * tool and requires a call.
     */
    private static void addTools(ObjectNode openAi, ObjectNode body) {
        JsonNode choice = openAi.get("tool_choice");
        String forced = choice != null && choice.isObject() ? choice.path("function").path("name").asText(null) : null;
        ArrayNode tools = NODES.arrayNode();
        boolean strict = false;
        for (JsonNode tool : openAi.path("tools")) {
            JsonNode function = tool.get("function");
            if (function == null || forced != null && !forced.equals(function.path("name").asText())) {
                continue;
            }
            ObjectNode converted = tools.addObject().put("type", "function").putObject("function")
                    .put("name", function.path("name").asText());
            if (function.hasNonNull("description")) {
                converted.put("description", function.get("description").asText());
            }
            JsonNode parameters = function.get("parameters");
            if (parameters instanceof ObjectNode schema) {
                converted.set("parameters", schema.deepCopy());
            } else {
                converted.putObject("parameters").put("type", "object").putObject("properties");
            }
            strict |= function.path("strict").asBoolean(false);
        }
        if (tools.isEmpty()) {
            return;
        }
        body.set("tools", tools);
        if (strict) {
            body.put("strict_tools", true);
        }
        if (forced != null || choice != null && "required".equals(choice.asText())) {
            body.put("tool_choice", "REQUIRED");
        } else if (choice != null && "none".equals(choice.asText())) {
            body.put("tool_choice", "NONE");
        }
    }

    /** Maps Anthropic-style {@code thinking} settings onto Cohere's, whose budget field is {@code token_budget}. */
    private static void thinking(JsonNode thinking, ObjectNode body) {
        String type = Wire.text(thinking, "type");
        if ("enabled".equals(type)) {
            ObjectNode converted = body.putObject("thinking").put("type", "enabled");
            if (thinking.path("budget_tokens").canConvertToInt()) {
                converted.put("token_budget", thinking.get("budget_tokens").asInt());
            }
        } else if ("disabled".equals(type)) {
            body.putObject("thinking").put("type", "disabled");
        }
    }

    /**
     * Translates an OpenAI embeddings request. The input type is the request's own {@code input_type} when it
     * carries one, {@code search_document} otherwise. Portico always requests float embeddings.
     */
    static ObjectNode embed(ObjectNode openAi, CallTarget target) {
        ObjectNode body = NODES.objectNode();
        body.put("model", target.model());
        body.set("texts", Embeddings.texts(openAi.get("input")));
        body.put("input_type", openAi.path("input_type").asText("search_document"));
        body.putArray("embedding_types").add("float");
        JsonNode dimensions = openAi.get("dimensions");
        if (dimensions != null && dimensions.canConvertToInt()) {
            body.put("output_dimension", dimensions.asInt());
        }
        return body;
    }
}

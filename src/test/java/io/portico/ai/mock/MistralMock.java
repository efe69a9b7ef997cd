package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A mock of Mistral's API after its reference (docs.mistral.ai/api, and the request models of the mistralai
 * client-python SDK generated from it): {@code POST /v1/chat/completions}, returning OpenAI-shaped completions
 * or, with {@code stream: true}, {@code data:} server-sent events ending in {@code data: [DONE]} whose last chunk
 * carries {@code usage} unasked; and {@code POST /v1/embeddings}. Keys are checked as {@code Authorization:
 * Bearer}.
 *
 * <p>Validation as the real API does it: fields outside the request schema, at the top level and in messages, are
 * rejected with 422 and a {@code detail} list of {@code extra_forbidden} errors; a tool call id that is not 9
 * letters or digits is rejected with 400 "Tool call id was ID but must be a-z, A-Z, 0-9, with a length of 9.";
 * {@code tool_choice} must be auto, none, any, required or a function. Errors have the shape
 * {@code {"object":"error","message","type","param","code"}}.
 *
 * <p>Answers: a completion's message has Mistral's {@code prefix: false}, and {@code tool_calls: null} when it
 * calls no tool. With tools and no tool result yet, two tool calls in one chunk, {@code get_weather} with
 * {@code {"city":"Paris"}} and {@code get_time} with {@code {}}; after a tool result, "It is sunny in Paris.";
 * otherwise "Hello from mistral".
 */
public final class MistralMock extends MockServer {

    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "temperature", "top_p",
            "max_tokens", "stream", "stop", "random_seed", "response_format", "tools", "tool_choice",
            "presence_penalty", "frequency_penalty", "n", "prediction", "parallel_tool_calls", "safe_prompt",
            "prompt_mode");
    private static final Map<String, Set<String>> MESSAGE_FIELDS = Map.of(
            "system", Set.of("role", "content"),
            "user", Set.of("role", "content"),
            "assistant", Set.of("role", "content", "tool_calls", "prefix"),
            "tool", Set.of("role", "content", "tool_call_id", "name"));
    private static final Set<String> TOOL_CHOICES = Set.of("auto", "none", "any", "required");
    private static final Pattern TOOL_CALL_ID = Pattern.compile("[A-Za-z0-9]{9}");

    private final String key;

    public MistralMock(String key) {
        this.key = key;
    }

    /** Returns the base URL a provider of type mistral is configured with. */
    public String baseUrl() {
        return url() + "/v1";
    }

    @Override
    protected void serve(HttpServerRequest request, JsonNode body, boolean cutStream) {
        HttpServerResponse response = request.response().putHeader("content-type", "application/json");
        if (!("Bearer " + key).equals(request.getHeader("authorization"))) {
            response.setStatusCode(401).end(json(object().put("message", "Unauthorized")
                    .put("request_id", "0f1e2d3c")));
            return;
        }
        switch (request.path()) {
            case "/v1/chat/completions" -> chat(response, body, cutStream);
            case "/v1/embeddings" -> embeddings(response, body);
            default -> response.setStatusCode(404).end(json(object().put("detail", "Not Found")));
        }
    }

    private void chat(HttpServerResponse response, JsonNode body, boolean cutStream) {
        ArrayNode extra = extraFields(body);
        if (!extra.isEmpty()) {
            ObjectNode error = object().put("object", "error");
            error.putObject("message").set("detail", extra);
            error.put("type", "invalid_request_message_error").putNull("param");
            error.putNull("code");
            response.setStatusCode(422).end(json(error));
            return;
        }
        String invalid = invalidChat(body);
        if (invalid != null) {
            response.setStatusCode(400).end(errorBody(400, invalid));
            return;
        }
        JsonNode messages = body.get("messages");
        boolean toolResult = "tool".equals(messages.get(messages.size() - 1).path("role").asText());
        boolean tools = body.path("tools").isArray() && !body.get("tools").isEmpty() && !toolResult;
        String text = toolResult ? "It is sunny in Paris." : "Hello from mistral";
        String model = body.get("model").asText();
        if (body.path("stream").asBoolean(false)) {
            sendEvents(response, events(model, tools, text), cutStream);
            return;
        }
        ObjectNode completion = chunk(model, "chat.completion");
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (tools) {
            message.put("content", "");
            message.set("tool_calls", toolCalls());
        } else {
            message.put("content", text);
            message.putNull("tool_calls");
        }
        message.put("prefix", false);
        choice.put("finish_reason", tools ? "tool_calls" : "stop");
        completion.set("usage", usage());
        response.end(json(completion));
    }

    private static ArrayNode extraFields(JsonNode body) {
        ArrayNode errors = object().arrayNode();
        if (body == null) {
            return errors;
        }
        body.fieldNames().forEachRemaining(field -> {
            if (!CHAT_FIELDS.contains(field)) {
                errors.add(extra("body", field));
            }
        });
        int index = 0;
        for (JsonNode message : body.path("messages")) {
            Set<String> allowed = MESSAGE_FIELDS.getOrDefault(message.path("role").asText(), Set.of());
            int at = index++;
            message.fieldNames().forEachRemaining(field -> {
                if (!allowed.contains(field)) {
                    errors.add(extra("body.messages." + at, field));
                }
            });
        }
        return errors;
    }

    private static ObjectNode extra(String location, String field) {
        ObjectNode error = object().put("type", "extra_forbidden");
        ArrayNode loc = error.putArray("loc");
        for (String part : location.split("\\.")) {
            loc.add(part);
        }
        loc.add(field);
        return error.put("msg", "Extra inputs are not permitted");
    }

    private static String invalidChat(JsonNode body) {
        if (body == null || !body.hasNonNull("model") || !body.path("messages").isArray()
                || body.get("messages").isEmpty()) {
            return "model and messages are required";
        }
        for (JsonNode message : body.get("messages")) {
            for (JsonNode call : message.path("tool_calls")) {
                String id = call.path("id").asText();
                if (!TOOL_CALL_ID.matcher(id).matches()) {
                    return "Tool call id was " + id + " but must be a-z, A-Z, 0-9, with a length of 9.";
                }
            }
            if (message.has("tool_call_id") && !TOOL_CALL_ID.matcher(message.get("tool_call_id").asText()).matches()) {
                return "Tool call id was " + message.get("tool_call_id").asText()
                        + " but must be a-z, A-Z, 0-9, with a length of 9.";
            }
        }
        JsonNode choice = body.get("tool_choice");
        if (choice != null && choice.isTextual() && !TOOL_CHOICES.contains(choice.asText())) {
            return "Invalid tool_choice: " + choice.asText();
        }
        return null;
    }

    private static ArrayNode toolCalls() {
        ArrayNode calls = object().arrayNode();
        calls.addObject().put("id", "Wthr00001").put("type", "function").put("index", 0).putObject("function")
                .put("name", "get_weather").put("arguments", "{\"city\": \"Paris\"}");
        calls.addObject().put("id", "Time00002").put("type", "function").put("index", 1).putObject("function")
                .put("name", "get_time").put("arguments", "{}");
        return calls;
    }

    private static ObjectNode usage() {
        return object().put("prompt_tokens", 12).put("total_tokens", 17).put("completion_tokens", 5);
    }

    private static ObjectNode chunk(String model, String object) {
        return object().put("id", "cmpl-mistral").put("object", object).put("created", 1_700_000_000L)
                .put("model", model);
    }

    private static List<String> events(String model, boolean tools, String text) {
        List<ObjectNode> chunks = new ArrayList<>();
        chunks.add(delta(model, object().put("role", "assistant").put("content", ""), null));
        ObjectNode last;
        if (tools) {
            ObjectNode delta = object();
            delta.set("tool_calls", toolCalls());
            last = delta(model, delta, "tool_calls");
        } else {
            int middle = text.length() / 2;
            chunks.add(delta(model, object().put("content", text.substring(0, middle)), null));
            last = delta(model, object().put("content", text.substring(middle)), "stop");
        }
        last.set("usage", usage());
        chunks.add(last);
        List<String> events = new ArrayList<>();
        for (ObjectNode chunk : chunks) {
            events.add("data: " + json(chunk) + "\n\n");
        }
        events.add("data: [DONE]\n\n");
        return events;
    }

    private static ObjectNode delta(String model, ObjectNode delta, String finishReason) {
        ObjectNode chunk = chunk(model, "chat.completion.chunk");
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        return chunk;
    }

    private void embeddings(HttpServerResponse response, JsonNode body) {
        JsonNode input = body == null ? null : body.get("input");
        if (input == null || body.has("user") || body.has("dimensions")) {
            response.setStatusCode(422).end(errorBody(422, "invalid embeddings request"));
            return;
        }
        ObjectNode list = object().put("id", "emb-mistral").put("object", "list")
                .put("model", body.path("model").asText());
        ArrayNode data = list.putArray("data");
        int count = input.isArray() ? input.size() : 1;
        for (int i = 0; i < count; i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            item.putArray("embedding").add(0.125).add(-0.5).add(i);
        }
        list.putObject("usage").put("prompt_tokens", 4 * count).put("total_tokens", 4 * count)
                .put("completion_tokens", 0);
        response.end(json(list));
    }

    @Override
    protected String errorBody(int status, String message) {
        String type = status == 429 ? "rate_limited" : status >= 500 ? "internal_server_error"
                : "invalid_request_error";
        ObjectNode error = object().put("object", "error").put("message", message).put("type", type);
        error.putNull("param");
        error.putNull("code");
        return json(error);
    }
}

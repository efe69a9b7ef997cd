package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * A mock of Ollama's native API after its reference (docs/api.md of the ollama repository, "Generate a chat
 * completion" and "Generate embeddings"): {@code POST /api/chat}, which streams unless {@code stream} is false,
 * as {@code application/x-ndjson} lines of {@code {model, created_at, message, done}} ending with a line that has
 * {@code done: true}, {@code done_reason}, {@code prompt_eval_count} and {@code eval_count}; and
 * {@code POST /api/embed} returning {@code embeddings}. Errors have the shape {@code {"error":"..."}}.
 *
 * <p>Ollama has no keys. When this mock is given one it plays an authenticating proxy in front of Ollama and
 * responds with 401 to requests without {@code Authorization: Bearer KEY}.
 *
 * <p>Validation: a model named {@code missing...} is not found (404); images must be plain base64, so a
 * {@code data:} prefix is rejected with 400; tool call arguments must be a JSON object.
 *
 * <p>Answers: with tools and no tool result yet, two tool calls without ids in one line, {@code get_weather} with
 * {@code {"city":"Paris"}} and {@code get_time} with {@code {}}; after a tool result, "It is sunny in Paris.";
 * otherwise "Hello from ollama".
 */
public final class OllamaMock extends MockServer {

    private final String key;

    /** Creates a mock without a key, as Ollama itself runs, or behind a proxy that requires {@code key}. */
    public OllamaMock(String key) {
        this.key = key;
    }

    /** Returns the base URL a provider of type ollama is configured with. */
    public String baseUrl() {
        return url();
    }

    @Override
    protected void serve(HttpServerRequest request, JsonNode body, boolean cutStream) {
        HttpServerResponse response = request.response().putHeader("content-type", "application/json");
        if (key != null && !("Bearer " + key).equals(request.getHeader("authorization"))) {
            response.setStatusCode(401).end(errorBody(401, "unauthorized"));
            return;
        }
        String model = body == null ? "" : body.path("model").asText();
        if (model.startsWith("missing")) {
            response.setStatusCode(404).end(errorBody(404, "model \"" + model + "\" not found, try pulling it first"));
            return;
        }
        switch (request.path()) {
            case "/api/chat" -> chat(response, body, cutStream);
            case "/api/embed" -> embed(response, body);
            default -> response.setStatusCode(404).end("404 page not found");
        }
    }

    private void chat(HttpServerResponse response, JsonNode body, boolean cutStream) {
        String invalid = invalidChat(body);
        if (invalid != null) {
            response.setStatusCode(400).end(errorBody(400, invalid));
            return;
        }
        JsonNode messages = body.get("messages");
        boolean toolResult = "tool".equals(messages.get(messages.size() - 1).path("role").asText());
        boolean tools = body.path("tools").isArray() && !body.get("tools").isEmpty() && !toolResult;
        String text = toolResult ? "It is sunny in Paris." : "Hello from ollama";
        String model = body.get("model").asText();
        List<ObjectNode> lines = new ArrayList<>();
        if (tools) {
            ObjectNode message = message("");
            ArrayNode calls = message.putArray("tool_calls");
            call(calls.addObject(), 0, "get_weather").putObject("arguments").put("city", "Paris");
            call(calls.addObject(), 1, "get_time").putObject("arguments");
            lines.add(line(model, message, false));
        } else {
            int middle = text.length() / 2;
            lines.add(line(model, message(text.substring(0, middle)), false));
            lines.add(line(model, message(text.substring(middle)), false));
        }
        ObjectNode last = line(model, message(""), true).put("done_reason", "stop").put("total_duration", 5_000_000)
                .put("load_duration", 1_000_000).put("prompt_eval_count", 12).put("eval_count", 5);
        lines.add(last);
        if (!body.path("stream").asBoolean(true)) {
            response.end(json(merge(lines)));
            return;
        }
        response.setChunked(true).putHeader("content-type", "application/x-ndjson");
        writeLines(response, lines, 0, cutStream);
    }

    private static String invalidChat(JsonNode body) {
        if (body == null || !body.hasNonNull("model")) {
            return "model is required";
        }
        if (!body.path("messages").isArray() || body.get("messages").isEmpty()) {
            return "messages are required";
        }
        for (JsonNode message : body.get("messages")) {
            for (JsonNode image : message.path("images")) {
                if (image.asText().startsWith("data:")) {
                    return "illegal base64 data at input byte 4";
                }
            }
            for (JsonNode call : message.path("tool_calls")) {
                if (!call.path("function").path("arguments").isObject()) {
                    return "json: cannot unmarshal string into Go struct field .messages.tool_calls.function"
                            + ".arguments of type api.ToolCallFunctionArguments";
                }
            }
        }
        return null;
    }

    private static ObjectNode message(String content) {
        return object().put("role", "assistant").put("content", content);
    }

    private static ObjectNode call(ObjectNode call, int index, String name) {
        return call.putObject("function").put("index", index).put("name", name);
    }

    private static ObjectNode line(String model, ObjectNode message, boolean done) {
        ObjectNode line = object().put("model", model).put("created_at", "2025-06-01T10:00:00.000000Z");
        line.set("message", message);
        return line.put("done", done);
    }

    /** Merges the lines into the single response of a request with {@code stream: false}. */
    private static ObjectNode merge(List<ObjectNode> lines) {
        ObjectNode last = lines.get(lines.size() - 1).deepCopy();
        ObjectNode message = message("");
        StringBuilder content = new StringBuilder();
        for (ObjectNode line : lines) {
            content.append(line.path("message").path("content").asText());
            if (line.path("message").has("tool_calls")) {
                message.set("tool_calls", line.path("message").get("tool_calls").deepCopy());
            }
        }
        message.put("content", content.toString());
        last.set("message", message);
        return last;
    }

    private void writeLines(HttpServerResponse response, List<ObjectNode> lines, int index, boolean cut) {
        if (cut && index == 1) {
            response.reset();
            return;
        }
        if (index == lines.size()) {
            response.end();
            return;
        }
        response.write(json(lines.get(index)) + "\n")
                .onComplete(written -> writeLines(response, lines, index + 1, cut));
    }

    private void embed(HttpServerResponse response, JsonNode body) {
        JsonNode input = body == null ? null : body.get("input");
        if (input == null || input.isArray() && input.isEmpty()) {
            response.setStatusCode(400).end(errorBody(400, "invalid input type"));
            return;
        }
        ObjectNode reply = object().put("model", body.path("model").asText());
        ArrayNode embeddings = reply.putArray("embeddings");
        int count = input.isArray() ? input.size() : 1;
        for (int i = 0; i < count; i++) {
            embeddings.addArray().add(0.75).add(-0.5).add(i);
        }
        reply.put("total_duration", 1_000_000).put("load_duration", 10_000).put("prompt_eval_count", 3 * count);
        response.end(json(reply));
    }

    @Override
    protected String errorBody(int status, String message) {
        return json(object().put("error", message));
    }
}

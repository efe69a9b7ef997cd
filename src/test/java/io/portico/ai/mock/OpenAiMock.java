package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/**
 * A mock of OpenAI's API as its reference documents it: {@code POST /v1/chat/completions} (with server-sent event
 * streams of {@code chat.completion.chunk} objects ending in {@code data: [DONE]}, and the usage chunk with empty
 * {@code choices} when {@code stream_options.include_usage} is set), {@code POST /v1/embeddings} and
 * {@code POST /v1/responses}. Keys are checked as {@code Authorization: Bearer}; errors have the shape
 * {@code {"error":{"message","type","param","code"}}}.
 *
 * <p>Models whose name starts with {@code missing} get 404 {@code model_not_found}, with {@code no-access} 403
 * {@code model_not_found} naming the model (what OpenAI returns to a project without access to it), and with
 * {@code restricted} 403 without a code or the model's name.
 *
 * <p>Answers: with tools and no tool result yet, two parallel tool calls, {@code get_weather} with
 * {@code {"city":"Paris"}} and {@code get_time} without arguments; after a tool result, "It is sunny in Paris.";
 * with a JSON schema response format, {@code {"answer":"42"}}; otherwise "Hello from NAME". Models whose name starts
 * with {@code three-calls} call a third tool after {@code get_time}, {@code get_weather} with
 * {@code {"city":"Rome"}}, so the call without arguments is not the last one. Models whose name starts with
 * {@code reasoning-field} send {@link #REASONING} before the text, in the {@code reasoning} field of the message or
 * delta, where some OpenAI-compatible services put reasoning in place of {@code reasoning_content}.
 */
public final class OpenAiMock extends MockServer {

    /** The reasoning of the {@code reasoning-field} models. */
    public static final String REASONING = "Thinking via reasoning field.";

    private final String name;
    private final List<String> keys;
    private final boolean azure;
    /** Whether embeddings and Responses API responses leave out {@code usage}. */
    private volatile boolean usageOmitted;
    /** Whether Responses API streams end with an {@code error} event after their first output delta. */
    private volatile boolean streamErrors;

    public OpenAiMock(String name, String key) {
        this(name, key, false);
    }

    /** Creates a mock of OpenAI that accepts each of {@code keys}, as one account with a pool of keys. */
    public OpenAiMock(String name, List<String> keys) {
        this.name = name;
        this.keys = List.copyOf(keys);
        this.azure = false;
    }

    /**
     * Creates a mock of OpenAI, or with {@code azure} of Azure OpenAI: keys in {@code api-key}, and chat completions
     * at {@code /openai/deployments/{deployment}/chat/completions?api-version=...}, where the deployment stands for
     * the model.
     */
    public OpenAiMock(String name, String key, boolean azure) {
        this.name = name;
        this.keys = List.of(key);
        this.azure = azure;
    }

    /** Makes embeddings and Responses API responses leave out {@code usage}, as some compatible providers do. */
    public void omitUsage(boolean omit) {
        usageOmitted = omit;
    }

    /**
     * Makes Responses API streams end with an {@code error} event after their first output delta, as OpenAI ends a
     * stream that fails on its side.
     */
    public void failResponseStreams(boolean fail) {
        streamErrors = fail;
    }

    /** The base URL a provider of type openai is configured with. */
    public String baseUrl() {
        return url() + "/v1";
    }

    @Override
    protected void serve(HttpServerRequest request, JsonNode body, boolean cutStream) {
        HttpServerResponse response = request.response().putHeader("content-type", "application/json");
        if (azure) {
            serveAzure(request, response, body, cutStream);
            return;
        }
        String authorization = String.valueOf(request.getHeader("authorization"));
        if (!authorization.startsWith("Bearer ") || !keys.contains(authorization.substring(7))) {
            response.setStatusCode(401).end(error("Incorrect API key provided.", "invalid_request_error",
                    "invalid_api_key"));
            return;
        }
        String model = body == null ? "" : body.path("model").asText("");
        if (model.startsWith("echo-key")) {
            echoKey(response, body, authorization.substring(7), request.path());
            return;
        }
        switch (request.path()) {
            case "/v1/chat/completions" -> chat(response, body, cutStream);
            case "/v1/embeddings" -> embeddings(response, body);
            case "/v1/responses" -> responses(response, body, cutStream);
            default -> response.setStatusCode(404).end(error("Invalid URL (POST " + request.path() + ")",
                    "invalid_request_error", null));
        }
    }

    private void serveAzure(HttpServerRequest request, HttpServerResponse response, JsonNode body,
                            boolean cutStream) {
        if (!keys.contains(request.getHeader("api-key"))) {
            response.setStatusCode(401).end(error("Access denied due to invalid subscription key.",
                    "invalid_request_error", "401"));
            return;
        }
        String prefix = "/openai/deployments/";
        String suffix = "/chat/completions";
        String path = request.path();
        if (!path.startsWith(prefix) || !path.endsWith(suffix) || request.getParam("api-version") == null) {
            response.setStatusCode(404).end(error("Resource not found", "invalid_request_error", "404"));
            return;
        }
        ObjectNode withModel = body == null ? object() : ((ObjectNode) body).deepCopy();
        withModel.put("model", path.substring(prefix.length(), path.length() - suffix.length()));
        chat(response, withModel, cutStream);
    }

    /**
     * Fails with a message that shows the key this mock received, whole and masked, as some OpenAI-compatible servers
     * and proxies do: model {@code echo-key} before the response, {@code echo-key-stream} in the stream after a first
     * content chunk, as a chat chunk or, on {@code /v1/responses}, as a Responses API {@code error} event.
     */
    private void echoKey(HttpServerResponse response, JsonNode body, String key, String path) {
        String model = body.get("model").asText();
        String message = "Incorrect API key provided: " + key + " (shown as "
                + key.substring(0, key.length() - 4) + "****) for model " + model;
        if (!model.equals("echo-key-stream")) {
            response.setStatusCode(400).end(error(message, "invalid_request_error", "invalid_api_key"));
            return;
        }
        List<String> events = new ArrayList<>();
        if (path.equals("/v1/responses")) {
            events.add(event("response.created", events.size(), object()));
            events.add(event("response.output_text.delta", events.size(), object().put("delta", "Hel")));
            events.add(event("error", events.size(), object().put("code", "invalid_api_key").put("message", message)
                    .putNull("param")));
            sendEvents(response, events, false);
            return;
        }
        events.add("data: " + json(delta(model, object().put("role", "assistant").put("content", "Hel"))) + "\n\n");
        events.add("data: " + error(message, "invalid_request_error", "invalid_api_key") + "\n\n");
        sendEvents(response, events, false);
    }

    private void chat(HttpServerResponse response, JsonNode body, boolean cutStream) {
        if (body == null || !body.hasNonNull("model") || !body.path("messages").isArray()) {
            response.setStatusCode(400).end(error("you must provide a model parameter", "invalid_request_error",
                    null));
            return;
        }
        if (body.has("max_tokens") && body.has("max_completion_tokens")) {
            response.setStatusCode(400).end(error("max_tokens and max_completion_tokens cannot both be set",
                    "invalid_request_error", null));
            return;
        }
        String model = body.get("model").asText();
        if (model.startsWith("missing")) {
            response.setStatusCode(404).end(error("The model `" + model + "` does not exist",
                    "invalid_request_error", "model_not_found"));
            return;
        }
        if (model.startsWith("no-access")) {
            response.setStatusCode(403).end(error("Project `proj_mock` does not have access to model `" + model + "`",
                    "invalid_request_error", "model_not_found"));
            return;
        }
        if (model.startsWith("restricted")) {
            response.setStatusCode(403).end(error("You are not allowed to sample from this model",
                    "invalid_request_error", null));
            return;
        }
        JsonNode messages = body.get("messages");
        boolean toolResult = "tool".equals(messages.get(messages.size() - 1).path("role").asText());
        boolean tools = body.path("tools").isArray() && !body.get("tools").isEmpty() && !toolResult;
        String text = toolResult ? "It is sunny in Paris."
                : "json_schema".equals(body.path("response_format").path("type").asText()) ? "{\"answer\":\"42\"}"
                : "Hello from " + name;
        if (body.path("stream").asBoolean(false)) {
            boolean usage = body.path("stream_options").path("include_usage").asBoolean(false);
            sendEvents(response, streamEvents(model, tools, text, usage), cutStream);
            return;
        }
        ObjectNode completion = object().put("id", "chatcmpl-" + name).put("object", "chat.completion")
                .put("created", 1_700_000_000L).put("model", model);
        ObjectNode choice = completion.putArray("choices").addObject().put("index", 0);
        ObjectNode message = choice.putObject("message").put("role", "assistant");
        if (tools) {
            message.putNull("content");
            ArrayNode calls = message.putArray("tool_calls");
            calls.addObject().put("id", "call_weather").put("type", "function").putObject("function")
                    .put("name", "get_weather").put("arguments", "{\"city\":\"Paris\"}");
            calls.addObject().put("id", "call_time").put("type", "function").putObject("function")
                    .put("name", "get_time").put("arguments", "{}");
            if (model.startsWith("three-calls")) {
                calls.addObject().put("id", "call_rome").put("type", "function").putObject("function")
                        .put("name", "get_weather").put("arguments", "{\"city\":\"Rome\"}");
            }
            choice.put("finish_reason", "tool_calls");
        } else {
            message.put("content", text);
            if (model.startsWith("reasoning-field")) {
                message.put("reasoning", REASONING);
            }
            choice.put("finish_reason", "stop");
        }
        completion.set("usage", usage());
        response.end(json(completion));
    }

    private static ObjectNode usage() {
        ObjectNode usage = object().put("prompt_tokens", 12).put("completion_tokens", 5).put("total_tokens", 17);
        usage.putObject("prompt_tokens_details").put("cached_tokens", 2);
        usage.putObject("completion_tokens_details").put("reasoning_tokens", 1);
        return usage;
    }

    private List<String> streamEvents(String model, boolean tools, String text, boolean includeUsage) {
        List<ObjectNode> chunks = new ArrayList<>();
        chunks.add(delta(model, object().put("role", "assistant").put("content", "")));
        if (tools) {
            chunks.add(delta(model, toolDelta(0, "call_weather", "get_weather", "")));
            chunks.add(delta(model, toolDelta(0, null, null, "{\"ci")));
            chunks.add(delta(model, toolDelta(0, null, null, "ty\": \"Paris\"}")));
            chunks.add(delta(model, toolDelta(1, "call_time", "get_time", "")));
            if (model.startsWith("three-calls")) {
                chunks.add(delta(model, toolDelta(2, "call_rome", "get_weather", "")));
                chunks.add(delta(model, toolDelta(2, null, null, "{\"city\": ")));
                chunks.add(delta(model, toolDelta(2, null, null, "\"Rome\"}")));
            }
            chunks.add(finish(model, "tool_calls"));
        } else {
            if (model.startsWith("reasoning-field")) {
                chunks.add(delta(model, object().put("reasoning", REASONING)));
            }
            int middle = text.length() / 2;
            chunks.add(delta(model, object().put("content", text.substring(0, middle))));
            chunks.add(delta(model, object().put("content", text.substring(middle))));
            chunks.add(finish(model, "stop"));
        }
        List<String> events = new ArrayList<>();
        for (ObjectNode chunk : chunks) {
            if (includeUsage) {
                chunk.putNull("usage");
            }
            events.add("data: " + json(chunk) + "\n\n");
        }
        if (includeUsage) {
            ObjectNode last = chunk(model);
            last.putArray("choices");
            last.set("usage", usage());
            events.add("data: " + json(last) + "\n\n");
        }
        events.add("data: [DONE]\n\n");
        return events;
    }

    private ObjectNode chunk(String model) {
        return object().put("id", "chatcmpl-" + name).put("object", "chat.completion.chunk")
                .put("created", 1_700_000_000L).put("model", model);
    }

    private ObjectNode delta(String model, ObjectNode delta) {
        ObjectNode chunk = chunk(model);
        ObjectNode choice = chunk.putArray("choices").addObject().put("index", 0);
        choice.set("delta", delta);
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return chunk;
    }

    private ObjectNode finish(String model, String reason) {
        ObjectNode chunk = delta(model, object());
        ((ObjectNode) chunk.get("choices").get(0)).put("finish_reason", reason);
        return chunk;
    }

    private static ObjectNode toolDelta(int index, String id, String function, String arguments) {
        ObjectNode delta = object();
        ObjectNode call = delta.putArray("tool_calls").addObject().put("index", index);
        if (id != null) {
            call.put("id", id).put("type", "function");
        }
        ObjectNode fn = call.putObject("function");
        if (function != null) {
            fn.put("name", function);
        }
        fn.put("arguments", arguments);
        return delta;
    }

    private void embeddings(HttpServerResponse response, JsonNode body) {
        JsonNode input = body == null ? null : body.get("input");
        if (input == null) {
            response.setStatusCode(400).end(error("'input' is a required property", "invalid_request_error", null));
            return;
        }
        ObjectNode list = object().put("object", "list").put("model", body.path("model").asText());
        ArrayNode data = list.putArray("data");
        int count = input.isArray() ? input.size() : 1;
        // Without dimensions, each vector has 3 numbers; with it, that many, each 0.25 after the first 3.
        int dimensions = Math.max(3, body.path("dimensions").asInt(3));
        for (int i = 0; i < count; i++) {
            ObjectNode item = data.addObject().put("object", "embedding").put("index", i);
            ArrayNode vector = item.putArray("embedding").add(0.25).add(-0.5).add(i);
            for (int d = 3; d < dimensions; d++) {
                vector.add(0.25);
            }
        }
        if (!usageOmitted) {
            list.putObject("usage").put("prompt_tokens", 3 * count).put("total_tokens", 3 * count);
        }
        response.end(json(list));
    }

    private void responses(HttpServerResponse response, JsonNode body, boolean cutStream) {
        String model = body.path("model").asText();
        ObjectNode usage = object().put("input_tokens", 7).put("output_tokens", 4).put("total_tokens", 11);
        usage.putObject("input_tokens_details").put("cached_tokens", 0);
        usage.putObject("output_tokens_details").put("reasoning_tokens", 0);
        ObjectNode result = object().put("id", "resp_" + name).put("object", "response").put("model", model)
                .put("status", "completed");
        ObjectNode message = result.putArray("output").addObject().put("type", "message").put("role", "assistant");
        message.putArray("content").addObject().put("type", "output_text").put("text", "Hello from " + name);
        if (!usageOmitted) {
            result.set("usage", usage);
        }
        if (body.path("stream").asBoolean(false)) {
            List<String> events = new ArrayList<>();
            events.add(event("response.created", events.size(), object()));
            events.add(event("response.output_text.delta", events.size(),
                    object().put("delta", "Hello from " + name)));
            if (streamErrors) {
                events.add(event("error", events.size(), object().put("code", "server_error")
                        .put("message", "The server had an error while processing your request.").putNull("param")));
            } else {
                ObjectNode completed = object();
                completed.set("response", result);
                events.add(event("response.completed", events.size(), completed));
            }
            sendEvents(response, events, cutStream);
            return;
        }
        response.end(json(result));
    }

    /**
     * Returns a Responses API stream event: {@code type} as the event name and the data's {@code type}, then the
     * fields of {@code data}, and {@code sequence}, the event's place in the stream from 0, as
     * {@code sequence_number}.
     */
    private static String event(String type, int sequence, ObjectNode data) {
        ObjectNode event = object().put("type", type);
        event.setAll(data);
        event.put("sequence_number", sequence);
        return "event: " + type + "\ndata: " + json(event) + "\n\n";
    }

    private static String error(String message, String type, String code) {
        ObjectNode body = object();
        ObjectNode error = body.putObject("error").put("message", message).put("type", type);
        error.putNull("param");
        if (code == null) {
            error.putNull("code");
        } else {
            error.put("code", code);
        }
        return json(body);
    }

    @Override
    protected String errorBody(int status, String message) {
        String type = status == 429 ? "rate_limit_exceeded" : status == 401 ? "invalid_request_error" : "server_error";
        return error(message, type, null);
    }
}

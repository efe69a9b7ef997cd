package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A mock of Cohere's v2 API after its reference (docs.cohere.com/reference/chat, /reference/chat-stream and
 * /reference/embed, and the request and event types of the cohere-python SDK generated from it):
 * {@code POST /v2/chat} returning a message with {@code content}, {@code tool_plan}, {@code tool_calls},
 * {@code finish_reason} and {@code usage.billed_units} / {@code usage.tokens}, or with {@code stream: true} a
 * server-sent event stream of {@code message-start}, {@code content-start}, {@code content-delta},
 * {@code content-end}, {@code tool-plan-delta}, {@code tool-call-start}, {@code tool-call-delta},
 * {@code tool-call-end} and {@code message-end}; and {@code POST /v2/embed} returning
 * {@code embeddings.float}. Keys are checked as {@code Authorization: Bearer}; errors have the shape
 * {@code {"id","message"}}.
 *
 * <p>Validation: {@code model} and a non-empty {@code messages} are required; roles must be system, user,
 * assistant or tool; a tool message needs {@code tool_call_id}; {@code tool_choice} must be {@code REQUIRED} or
 * {@code NONE}; {@code /embed} needs {@code input_type} and {@code texts}. NOTE: this mock rejects fields outside
 * the documented request body, so that tests catch OpenAI fields sent by mistake. Whether the real API rejects
 * them was not checked.
 *
 * <p>Answers: with tools and no tool result yet, a tool plan and two tool calls, {@code get_weather} with
 * {@code {"city":"Paris"}} and {@code get_time} without arguments; after a tool result, "It is sunny in Paris.";
 * otherwise "Hello from cohere".
 */
public final class CohereMock extends MockServer {

    private static final Set<String> CHAT_FIELDS = Set.of("model", "messages", "tools", "strict_tools", "documents",
            "citation_options", "response_format", "safety_mode", "max_tokens", "stop_sequences", "temperature",
            "seed", "frequency_penalty", "presence_penalty", "k", "p", "logprobs", "tool_choice", "thinking",
            "stream");
    private static final Set<String> ROLES = Set.of("system", "user", "assistant", "tool");
    private static final Set<String> INPUT_TYPES = Set.of("search_document", "search_query", "classification",
            "clustering", "image");

    private final String key;

    public CohereMock(String key) {
        this.key = key;
    }

    /** Returns the base URL a provider of type cohere is configured with. */
    public String baseUrl() {
        return url() + "/v2";
    }

    @Override
    protected void serve(HttpServerRequest request, JsonNode body, boolean cutStream) {
        HttpServerResponse response = request.response().putHeader("content-type", "application/json");
        if (!("Bearer " + key).equals(request.getHeader("authorization"))) {
            response.setStatusCode(401).end(errorBody(401, "invalid api token"));
            return;
        }
        switch (request.path()) {
            case "/v2/chat" -> chat(response, body, cutStream);
            case "/v2/embed" -> embed(response, body);
            default -> response.setStatusCode(404).end(errorBody(404, "no such endpoint " + request.path()));
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
        String text = toolResult ? "It is sunny in Paris." : "Hello from cohere";
        if (body.path("stream").asBoolean(false)) {
            sendEvents(response, events(tools, text), cutStream);
            return;
        }
        ObjectNode reply = object().put("id", "c0a8-chat").put("finish_reason", tools ? "TOOL_CALL" : "COMPLETE");
        ObjectNode message = reply.putObject("message").put("role", "assistant");
        if (tools) {
            message.put("tool_plan", "I will look up the weather and the time.");
            ArrayNode calls = message.putArray("tool_calls");
            call(calls.addObject(), "get_weather_0", "get_weather", "{\"city\":\"Paris\"}");
            call(calls.addObject(), "get_time_1", "get_time", "{}");
        } else {
            message.putArray("content").addObject().put("type", "text").put("text", text);
        }
        reply.set("usage", usage());
        response.end(json(reply));
    }

    private static String invalidChat(JsonNode body) {
        if (body == null || !body.hasNonNull("model")) {
            return "invalid request: model must be specified";
        }
        for (var fields = body.fieldNames(); fields.hasNext();) {
            String field = fields.next();
            if (!CHAT_FIELDS.contains(field)) {
                return "invalid request: unknown field " + field;
            }
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            return "invalid request: messages must not be empty";
        }
        for (JsonNode message : messages) {
            String role = message.path("role").asText();
            if (!ROLES.contains(role)) {
                return "invalid request: invalid role " + role;
            }
            if ("tool".equals(role) && !message.hasNonNull("tool_call_id")) {
                return "invalid request: tool messages need a tool_call_id";
            }
        }
        String choice = body.path("tool_choice").asText("REQUIRED");
        if (!"REQUIRED".equals(choice) && !"NONE".equals(choice)) {
            return "invalid request: tool_choice must be one of REQUIRED, NONE";
        }
        return null;
    }

    private static void call(ObjectNode call, String id, String name, String arguments) {
        call.put("id", id).put("type", "function").putObject("function").put("name", name)
                .put("arguments", arguments);
    }

    private static ObjectNode usage() {
        ObjectNode usage = object();
        usage.putObject("billed_units").put("input_tokens", 12).put("output_tokens", 5);
        usage.putObject("tokens").put("input_tokens", 120).put("output_tokens", 5);
        return usage;
    }

    private static List<String> events(boolean tools, String text) {
        List<String> events = new ArrayList<>();
        ObjectNode start = object().put("id", "c0a8-stream").put("type", "message-start");
        start.putObject("delta").putObject("message").put("role", "assistant").put("tool_plan", "")
                .putArray("content");
        events.add(event(start));
        if (tools) {
            events.add(event(delta("tool-plan-delta", null, object().put("tool_plan", "I will look it up."))));
            ObjectNode weather = object();
            call(weather.putObject("tool_calls"), "get_weather_0", "get_weather", "");
            events.add(event(delta("tool-call-start", 0, weather)));
            events.add(event(delta("tool-call-delta", 0, arguments("{\"city\":"))));
            events.add(event(delta("tool-call-delta", 0, arguments(" \"Paris\"}"))));
            events.add(event(object().put("type", "tool-call-end").put("index", 0)));
            ObjectNode time = object();
            call(time.putObject("tool_calls"), "get_time_1", "get_time", "");
            events.add(event(delta("tool-call-start", 1, time)));
            events.add(event(object().put("type", "tool-call-end").put("index", 1)));
        } else {
            ObjectNode open = object();
            open.putObject("content").put("type", "text").put("text", "");
            events.add(event(delta("content-start", 0, open)));
            int middle = text.length() / 2;
            for (String piece : List.of(text.substring(0, middle), text.substring(middle))) {
                ObjectNode content = object();
                content.putObject("content").put("text", piece);
                events.add(event(delta("content-delta", 0, content)));
            }
            events.add(event(object().put("type", "content-end").put("index", 0)));
        }
        ObjectNode end = object().put("type", "message-end");
        end.putObject("delta").put("finish_reason", tools ? "TOOL_CALL" : "COMPLETE").set("usage", usage());
        events.add(event(end));
        return events;
    }

    private static ObjectNode delta(String type, Integer index, ObjectNode message) {
        ObjectNode event = object().put("type", type);
        if (index != null) {
            event.put("index", index);
        }
        event.putObject("delta").set("message", message);
        return event;
    }

    private static ObjectNode arguments(String fragment) {
        ObjectNode message = object();
        message.putObject("tool_calls").putObject("function").put("arguments", fragment);
        return message;
    }

    private static String event(ObjectNode event) {
        return "event: " + event.get("type").asText() + "\ndata: " + json(event) + "\n\n";
    }

    private void embed(HttpServerResponse response, JsonNode body) {
        String inputType = body == null ? "" : body.path("input_type").asText();
        if (!INPUT_TYPES.contains(inputType)) {
            response.setStatusCode(400).end(errorBody(400, "invalid request: input_type must be one of "
                    + INPUT_TYPES));
            return;
        }
        JsonNode texts = body.get("texts");
        if (texts == null || !texts.isArray() || texts.isEmpty()) {
            response.setStatusCode(400).end(errorBody(400, "invalid request: texts must not be empty"));
            return;
        }
        ObjectNode reply = object().put("id", "c0a8-embed").put("response_type", "embeddings_by_type");
        ArrayNode vectors = reply.putObject("embeddings").putArray("float");
        for (int i = 0; i < texts.size(); i++) {
            vectors.addArray().add(0.5).add(-0.25).add(i);
        }
        reply.set("texts", texts.deepCopy());
        reply.putObject("meta").putObject("billed_units").put("input_tokens", 2 * texts.size());
        response.end(json(reply));
    }

    @Override
    protected String errorBody(int status, String message) {
        return json(object().put("id", "c0a8-error").put("message", message));
    }
}

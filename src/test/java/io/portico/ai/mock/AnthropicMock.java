package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A mock of Anthropic's Messages API as its reference documents it: {@code POST /v1/messages} with the
 * {@code x-api-key} (or bearer) and {@code anthropic-version} headers, streams of {@code message_start},
 * {@code content_block_start}, {@code content_block_delta} ({@code text_delta}, {@code input_json_delta},
 * {@code thinking_delta}, {@code signature_delta}), {@code content_block_stop}, {@code ping},
 * {@code message_delta} and {@code message_stop} events, and {@code POST /v1/messages/count_tokens}. Like the real
 * API it rejects a request without {@code max_tokens}, and one whose {@code tool_use} blocks are not answered by
 * {@code tool_result} blocks at the start of the next user message.
 *
 * <p>Answers: with tools and no tool result yet, two tool calls, {@code get_weather} with {@code {"city":"Paris"}}
 * and {@code get_time} with {@code {}}; otherwise "Hello from NAME", after a thinking block when thinking is enabled.
 * Models whose name starts with {@code redacted} put a redacted thinking block with the data {@link #REDACTED}
 * first, which a stream carries whole in its {@code content_block_start}. Streams of models whose name starts with
 * {@code overloaded} fail before any content, as the API does when it is overloaded: {@code message_start} with the
 * usage of 40 uncached input tokens, 3 cache writes and 12 cache reads, an empty text block start, and an
 * {@code error} event of type {@code overloaded_error}.
 */
public final class AnthropicMock extends MockServer {

    /** The encrypted reasoning of the redacted thinking block of the {@code redacted} models. */
    public static final String REDACTED = "RU5DUllQVEVE";

    private final String name;
    private final String key;

    public AnthropicMock(String name, String key) {
        this.name = name;
        this.key = key;
    }

    /** The base URL a provider of type anthropic is configured with. */
    public String baseUrl() {
        return url() + "/v1";
    }

    @Override
    protected void serve(HttpServerRequest request, JsonNode body, boolean cutStream) {
        HttpServerResponse response = request.response().putHeader("content-type", "application/json");
        String bearer = request.getHeader("authorization");
        if (!key.equals(request.getHeader("x-api-key")) && !("Bearer " + key).equals(bearer)) {
            response.setStatusCode(401).end(errorBody(401, "invalid x-api-key"));
            return;
        }
        if (request.getHeader("anthropic-version") == null) {
            response.setStatusCode(400).end(errorBody(400, "anthropic-version: header is required"));
            return;
        }
        String problem = validate(body);
        if (problem != null) {
            response.setStatusCode(400).end(errorBody(400, problem));
            return;
        }
        if ("/v1/messages/count_tokens".equals(request.path())) {
            response.end(json(object().put("input_tokens", 21)));
            return;
        }
        if (!"/v1/messages".equals(request.path())) {
            response.setStatusCode(404).end(errorBody(404, "Not found"));
            return;
        }
        if (!body.has("max_tokens")) {
            response.setStatusCode(400).end(errorBody(400, "max_tokens: Field required"));
            return;
        }
        if ("tool".equals(body.path("tool_choice").path("type").asText()) && !body.path("stream").asBoolean()) {
            response.end(json(forcedTool(body.path("model").asText(), body.path("tool_choice").path("name").asText())));
            return;
        }
        boolean tools = body.path("tools").isArray() && !body.get("tools").isEmpty() && !answersTools(body);
        boolean thinking = "enabled".equals(body.path("thinking").path("type").asText());
        String model = body.path("model").asText();
        if (body.path("stream").asBoolean(false) && model.startsWith("overloaded")) {
            sendEvents(response, overloadedEvents(model), cutStream);
        } else if (body.path("stream").asBoolean(false)) {
            sendEvents(response, events(model, tools, thinking), cutStream);
        } else {
            response.end(json(message(model, tools, thinking)));
        }
    }

    private static String validate(JsonNode body) {
        if (body == null || !body.hasNonNull("model")) {
            return "model: Field required";
        }
        JsonNode messages = body.path("messages");
        for (int i = 0; i < messages.size(); i++) {
            Set<String> ids = new HashSet<>();
            for (JsonNode block : messages.get(i).path("content")) {
                if ("tool_use".equals(block.path("type").asText())) {
                    ids.add(block.path("id").asText());
                }
            }
            if (ids.isEmpty()) {
                continue;
            }
            JsonNode next = i + 1 < messages.size() ? messages.get(i + 1) : null;
            if (next == null) {
                continue;
            }
            for (JsonNode block : next.path("content")) {
                if (!"tool_result".equals(block.path("type").asText())) {
                    break;
                }
                ids.remove(block.path("tool_use_id").asText());
            }
            if (!ids.isEmpty()) {
                return "messages." + (i + 1) + ".content.0: tool_use ids were found without tool_result blocks"
                        + " immediately after: " + ids;
            }
        }
        return null;
    }

    private static boolean answersTools(JsonNode body) {
        JsonNode messages = body.path("messages");
        JsonNode last = messages.get(messages.size() - 1);
        for (JsonNode block : last.path("content")) {
            if ("tool_result".equals(block.path("type").asText())) {
                return true;
            }
        }
        return false;
    }

    private ObjectNode forcedTool(String model, String tool) {
        ObjectNode message = object().put("id", "msg_" + name).put("type", "message").put("role", "assistant")
                .put("model", model);
        message.putArray("content").addObject().put("type", "tool_use").put("id", "toolu_forced").put("name", tool)
                .putObject("input").put("answer", "42");
        message.put("stop_reason", "tool_use");
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 20).put("output_tokens", 8);
        return message;
    }

    private ObjectNode message(String model, boolean tools, boolean thinking) {
        ObjectNode message = object().put("id", "msg_" + name).put("type", "message").put("role", "assistant")
                .put("model", model);
        ArrayNode content = message.putArray("content");
        if (model.startsWith("redacted")) {
            content.addObject().put("type", "redacted_thinking").put("data", REDACTED);
        }
        if (thinking) {
            content.addObject().put("type", "thinking").put("thinking", "Let me think.").put("signature", "sig-1");
        }
        if (tools) {
            content.addObject().put("type", "tool_use").put("id", "toolu_weather").put("name", "get_weather")
                    .putObject("input").put("city", "Paris");
            content.addObject().put("type", "tool_use").put("id", "toolu_time").put("name", "get_time")
                    .putObject("input");
            message.put("stop_reason", "tool_use");
        } else {
            content.addObject().put("type", "text").put("text", "Hello from " + name);
            message.put("stop_reason", "end_turn");
        }
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", 12).put("cache_creation_input_tokens", 0)
                .put("cache_read_input_tokens", 3).put("output_tokens", 6);
        return message;
    }

    private List<String> events(String model, boolean tools, boolean thinking) {
        List<String> events = new ArrayList<>();
        events.add(messageStart(model, 12, 0, 3));
        int index = 0;
        if (model.startsWith("redacted")) {
            events.add(blockStart(index, object().put("type", "redacted_thinking").put("data", REDACTED)));
            events.add(event("content_block_stop", object().put("type", "content_block_stop").put("index", index)));
            index++;
        }
        if (thinking) {
            events.add(blockStart(index, object().put("type", "thinking").put("thinking", "")));
            events.add(blockDelta(index, object().put("type", "thinking_delta").put("thinking", "Let me think.")));
            events.add(blockDelta(index, object().put("type", "signature_delta").put("signature", "sig-1")));
            events.add(event("content_block_stop", object().put("type", "content_block_stop").put("index", index)));
            index++;
        }
        events.add(event("ping", object().put("type", "ping")));
        if (tools) {
            ObjectNode weather = object().put("type", "tool_use").put("id", "toolu_weather").put("name", "get_weather");
            weather.putObject("input");
            events.add(blockStart(index, weather));
            events.add(blockDelta(index, object().put("type", "input_json_delta").put("partial_json", "")));
            events.add(blockDelta(index, object().put("type", "input_json_delta").put("partial_json", "{\"city\": ")));
            events.add(blockDelta(index, object().put("type", "input_json_delta").put("partial_json", "\"Paris\"}")));
            events.add(event("content_block_stop", object().put("type", "content_block_stop").put("index", index)));
            index++;
            ObjectNode time = object().put("type", "tool_use").put("id", "toolu_time").put("name", "get_time");
            time.putObject("input");
            events.add(blockStart(index, time));
            events.add(event("content_block_stop", object().put("type", "content_block_stop").put("index", index)));
        } else {
            events.add(blockStart(index, object().put("type", "text").put("text", "")));
            events.add(blockDelta(index, object().put("type", "text_delta").put("text", "Hello from ")));
            events.add(blockDelta(index, object().put("type", "text_delta").put("text", name)));
            events.add(event("content_block_stop", object().put("type", "content_block_stop").put("index", index)));
        }
        ObjectNode delta = object().put("type", "message_delta");
        delta.putObject("delta").put("stop_reason", tools ? "tool_use" : "end_turn").putNull("stop_sequence");
        delta.putObject("usage").put("output_tokens", 6);
        events.add(event("message_delta", delta));
        events.add(event("message_stop", object().put("type", "message_stop")));
        return events;
    }

    private List<String> overloadedEvents(String model) {
        ObjectNode error = object().put("type", "error");
        error.putObject("error").put("type", "overloaded_error").put("message", "Overloaded");
        return List.of(messageStart(model, 40, 3, 12), blockStart(0, object().put("type", "text").put("text", "")),
                event("error", error));
    }

    /** Builds a {@code message_start} event with the given input token counts and the placeholder output count 1. */
    private String messageStart(String model, int inputTokens, int cacheWrites, int cacheReads) {
        ObjectNode start = object().put("type", "message_start");
        ObjectNode message = start.putObject("message").put("id", "msg_" + name).put("type", "message")
                .put("role", "assistant").put("model", model);
        message.putArray("content");
        message.putNull("stop_reason");
        message.putNull("stop_sequence");
        message.putObject("usage").put("input_tokens", inputTokens).put("cache_creation_input_tokens", cacheWrites)
                .put("cache_read_input_tokens", cacheReads).put("output_tokens", 1);
        return event("message_start", start);
    }

    private static String blockStart(int index, ObjectNode block) {
        ObjectNode event = object().put("type", "content_block_start").put("index", index);
        event.set("content_block", block);
        return event("content_block_start", event);
    }

    private static String blockDelta(int index, ObjectNode delta) {
        ObjectNode event = object().put("type", "content_block_delta").put("index", index);
        event.set("delta", delta);
        return event("content_block_delta", event);
    }

    private static String event(String name, ObjectNode data) {
        return "event: " + name + "\ndata: " + json(data) + "\n\n";
    }

    @Override
    protected String errorBody(int status, String message) {
        String type = switch (status) {
            case 400 -> "invalid_request_error";
            case 401 -> "authentication_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> "api_error";
        };
        ObjectNode body = object().put("type", "error");
        body.putObject("error").put("type", type).put("message", message);
        return json(body);
    }
}

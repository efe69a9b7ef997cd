package io.portico.ai.frontend;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Writes server-sent events to a client response. */
final class Sse {

    private Sse() {
    }

    /** Sends the headers of an event stream. */
    static void start(HttpServerResponse response) {
        response.setStatusCode(200)
                .setChunked(true)
                .putHeader("content-type", "text/event-stream; charset=utf-8")
                .putHeader("cache-control", "no-cache")
                .putHeader("x-accel-buffering", "no");
    }

    /** Writes one event with an optional name and a JSON payload. */
    static void write(HttpServerResponse response, String event, JsonNode data) {
        write(response, event, json(data));
    }

    /** Writes one event with an optional name and a payload of one line. */
    static void write(HttpServerResponse response, String event, String data) {
        StringBuilder text = new StringBuilder(data.length() + 32);
        if (event != null) {
            text.append("event: ").append(event).append('\n');
        }
        for (String line : data.split("\n", -1)) {
            text.append("data: ").append(line).append('\n');
        }
        text.append('\n');
        response.write(Buffer.buffer(text.toString()));
    }

    static String json(JsonNode node) {
        try {
            return Json.MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a JSON tree failed to serialize", e);
        }
    }
}

package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.ai.stream.FrameTooLargeException;
import io.vertx.core.buffer.Buffer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage of one Responses API stream that Portico relays byte for byte. It reads the provider's usage from
 * {@code response.completed}, the time of the first output delta, and the text of the output deltas, from which
 * {@link #usage} estimates the usage of a stream that ended, or that the client left, before the provider reported
 * any. Used on the request's event loop only.
 */
final class ResponsesUsage {

    private static final Logger LOG = LoggerFactory.getLogger(ResponsesUsage.class);
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** The delta event whose {@code delta} is base64-encoded audio, which the estimate does not count as text. */
    private static final String AUDIO_DELTA = "response.audio.delta";

    private final String requestId;
    private final String provider;
    private final FrameParser parser = FrameParser.create(Framing.SSE);
    private final StringBuilder output = new StringBuilder();
    private Usage reported = Usage.NONE;
    private long firstTokenNanos;
    private boolean observing = true;

    /** Creates the usage of a stream of request {@code requestId} from the provider named {@code provider}. */
    ResponsesUsage(String requestId, String provider) {
        this.requestId = requestId;
        this.provider = provider;
    }

    /** Reads the events that {@code bytes} completes. The caller relays the bytes unchanged. */
    void feed(Buffer bytes) {
        if (!observing) {
            return;
        }
        try {
            parser.feed(bytes, this::frame);
        } catch (FrameTooLargeException e) {
            // The bytes are relayed as they are, so only the usage is lost with the events after this one.
            observing = false;
            LOG.debug("Request {}: stopped reading the usage of provider {}'s stream: {}", requestId, provider,
                    e.getMessage());
        }
    }

    private void frame(StreamFrame frame) {
        String event = frame.event();
        if (isOutputDelta(event)) {
            if (firstTokenNanos == 0) {
                firstTokenNanos = System.nanoTime();
            }
            if (!AUDIO_DELTA.equals(event)) {
                JsonNode json = Wire.parse(frame.data());
                JsonNode delta = json == null ? null : json.get("delta");
                if (delta != null && delta.isTextual()) {
                    output.append(delta.textValue());
                }
            }
        } else if ("response.completed".equals(event)) {
            JsonNode json = Wire.parse(frame.data());
            reported = read(json == null ? null : json.path("response").get("usage"));
        }
    }

    /** Returns when the first output delta arrived, in {@link System#nanoTime()} units, or 0 before it. */
    long firstTokenNanos() {
        return firstTokenNanos;
    }

    /**
     * Returns the usage that the provider reported, or when it reported none, Portico's estimate from the prompt
     * tokens that {@code prompt} supplies and the text of the output deltas that arrived.
     */
    Usage usage(Supplier<PromptTokens> prompt) {
        return reported.totalTokens() > 0 ? reported : prompt.get().estimate(output);
    }

    /**
     * Returns whether a Responses API stream event carries generated output, such as
     * {@code response.output_text.delta}, {@code response.refusal.delta} or
     * {@code response.function_call_arguments.delta}. The first one marks the time to first token.
     */
    private static boolean isOutputDelta(String event) {
        return event != null && event.startsWith("response.") && event.endsWith(".delta");
    }

    /** Reads Responses API usage: input_tokens, output_tokens and their details. */
    static Usage read(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        return new Usage(Wire.number(usage, "input_tokens"), Wire.number(usage, "output_tokens"),
                Wire.number(usage.get("input_tokens_details"), "cached_tokens"), 0,
                Wire.number(usage.get("output_tokens_details"), "reasoning_tokens"), false);
    }

    /**
     * Returns the prompt of a Responses API request in the Chat Completions shape that {@link PromptTokens} counts:
     * {@code instructions} as a system message, then each {@code input} item's {@code content} (a function call
     * output's {@code output}) and a function call's name and arguments, and the {@code tools}. Other input items,
     * such as reasoning items and images, add no text, so the count is an estimate.
     */
    static ObjectNode prompt(JsonNode request) {
        ObjectNode chat = NODES.objectNode();
        ArrayNode messages = chat.putArray("messages");
        JsonNode instructions = request.get("instructions");
        if (instructions != null && instructions.isTextual()) {
            messages.addObject().put("role", "system").set("content", instructions);
        }
        JsonNode input = request.get("input");
        if (input != null && input.isTextual()) {
            messages.addObject().put("role", "user").set("content", input);
        } else if (input != null && input.isArray()) {
            input.forEach(item -> messages.add(message(item)));
        }
        JsonNode tools = request.get("tools");
        if (tools != null && tools.isArray()) {
            chat.set("tools", tools);
        }
        return chat;
    }

    private static ObjectNode message(JsonNode item) {
        ObjectNode message = NODES.objectNode();
        JsonNode content = item.has("content") ? item.get("content") : item.get("output");
        if (content != null) {
            message.set("content", content);
        }
        if ("function_call".equals(item.path("type").asText())) {
            message.putArray("tool_calls").addObject().putObject("function")
                    .put("name", item.path("name").asText()).put("arguments", item.path("arguments").asText());
        }
        return message;
    }
}

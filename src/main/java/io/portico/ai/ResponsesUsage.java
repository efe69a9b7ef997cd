package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.ai.stream.FrameTooLargeException;
import io.vertx.core.buffer.Buffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The usage of one Responses API stream that Portico relays byte for byte. It reads the provider's usage from the
 * terminal event ({@code response.completed}, {@code response.incomplete} or {@code response.failed}), the time of
 * the first output delta, the text of the output deltas, from which {@link #usage} estimates the usage of a stream
 * that the provider reported none for, and whether the stream ended or failed. Used on the request's event loop
 * only.
 */
final class ResponsesUsage {

    private static final Logger LOG = LoggerFactory.getLogger(ResponsesUsage.class);
    /** The delta event whose {@code delta} is base64-encoded audio, which the estimate does not count as text. */
    private static final String AUDIO_DELTA = "response.audio.delta";
    /** The fields of an output item whose text is generated: function and tool call arguments, tool input, code. */
    private static final List<String> OUTPUT_FIELDS = List.of("arguments", "input", "code");
    /** The fields of a content or summary part whose text is generated. */
    private static final List<String> PART_FIELDS = List.of("text", "refusal", "transcript");

    private final String requestId;
    private final String provider;
    private final FrameParser parser = FrameParser.create(Framing.SSE);
    private final StringBuilder output = new StringBuilder();
    private Usage reported = Usage.NONE;
    private long firstTokenNanos;
    private boolean observing = true;
    /** The events read so far. */
    private long events;
    /** True once {@code response.completed} or {@code response.incomplete} arrived. */
    private boolean completed;
    /** The error of an {@code error} or {@code response.failed} event; null until one arrives. */
    private AiError failure;

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
        events++;
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
            return;
        }
        switch (event == null ? "" : event) {
            case "response.completed", "response.incomplete" -> {
                completed = true;
                readUsage(frame);
            }
            case "response.failed" -> {
                JsonNode response = readUsage(frame);
                failure = providerError(response == null ? null : response.get("error"));
            }
            case "error" -> failure = providerError(Wire.parse(frame.data()));
            default -> {
            }
        }
    }

    /** Reads the usage of the response in a terminal event, and returns that response; null when it has none. */
    private JsonNode readUsage(StreamFrame frame) {
        JsonNode json = Wire.parse(frame.data());
        JsonNode response = json == null ? null : json.get("response");
        Usage usage = read(response == null ? null : response.get("usage"));
        if (usage.totalTokens() > 0) {
            reported = usage;
        }
        return response;
    }

    /** Returns the error that an {@code error} event or a failed response reports, with status 500. */
    private AiError providerError(JsonNode error) {
        String code = error == null ? null : Wire.text(error, "code");
        String message = error == null ? null : Wire.text(error, "message");
        return new AiError(500, AiError.typeFor(500), code, "provider '" + provider + "' reported an error in the"
                + " stream: " + (message == null ? "no message" : message), -1);
    }

    /** Returns when the first output delta arrived, in {@link System#nanoTime()} units, or 0 before it. */
    long firstTokenNanos() {
        return firstTokenNanos;
    }

    /**
     * Returns the usage that the provider reported, or when it reported none, Portico's estimate from the prompt
     * tokens of {@code input} and the text of the output deltas that arrived.
     */
    Usage usage(PromptTokens input) {
        return input.reportedOrEstimate(reported, () -> output);
    }

    /** Returns whether {@code response.completed} or {@code response.incomplete} arrived. */
    boolean completed() {
        return completed;
    }

    /**
     * Returns whether an event too long to read stopped the reading, so that the events after it, the terminal
     * one included, are unknown.
     */
    boolean stoppedReading() {
        return !observing;
    }

    /** Returns the error that the provider reported with {@code error} or {@code response.failed}, or null. */
    AiError failure() {
        return failure;
    }

    /**
     * Returns the {@code sequence_number} of the next event: the number of events read, which is the next number
     * of a provider that numbers its events from 0, as OpenAI does.
     */
    long nextSequenceNumber() {
        // NOTE: once an event too long to read stopped the reading, the events after it are not counted.
        return events;
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
     * Returns the generated text of a Responses API response, the text that the output deltas of a stream carry:
     * the text, refusal and transcript of each content and summary part, and the arguments, input and code of each
     * tool call. Audio, images and files add no text.
     */
    static String outputText(JsonNode response) {
        StringBuilder text = new StringBuilder();
        for (JsonNode item : response.path("output")) {
            appendFields(item, OUTPUT_FIELDS, text);
            for (JsonNode part : item.path("content")) {
                appendFields(part, PART_FIELDS, text);
            }
            for (JsonNode part : item.path("summary")) {
                appendFields(part, PART_FIELDS, text);
            }
        }
        return text.toString();
    }

    private static void appendFields(JsonNode node, List<String> fields, StringBuilder text) {
        for (String field : fields) {
            JsonNode value = node.get(field);
            if (value != null && value.isTextual()) {
                text.append(value.textValue());
            }
        }
    }
}

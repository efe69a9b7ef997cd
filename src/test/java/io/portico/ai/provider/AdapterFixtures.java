package io.portico.ai.provider;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds requests and targets for adapter tests and records what a translator emits. */
final class AdapterFixtures {

    private AdapterFixtures() {
    }

    /**
     * Parses {@code text} as a JSON object. Tests write JSON with single quotes for readability, and a backtick for
     * an escaped double quote inside a string.
     */
    static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(quotes(text));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid test JSON: " + text, e);
        }
    }

    /** Turns the single quotes and backticks of test JSON into double quotes and escaped double quotes. */
    static String quotes(String text) {
        return text.replace('\'', '"').replace("`", "\\\"");
    }

    /** Serializes and parses {@code node} again, so numbers compare by value with nodes parsed from text. */
    static JsonNode reparse(JsonNode node) {
        try {
            return Json.MAPPER.readTree(Wire.json(node).getBytes());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Returns a target of provider {@code type} at {@code baseUrl} with one key, or none when {@code key} is null. */
    static CallTarget target(String type, String baseUrl, String model, String key) {
        return target(type, baseUrl, model, key, Map.of());
    }

    static CallTarget target(String type, String baseUrl, String model, String key, Map<String, String> headers) {
        List<ProviderSpec.Key> keys = key == null ? List.of() : List.of(new ProviderSpec.Key(key, null, null));
        ProviderSpec spec = new ProviderSpec(type + "-test", type, baseUrl, keys, null, List.of(model), headers,
                null, null, null, null, null, null, null, null, null, null, null, null);
        return new CallTarget(spec, baseUrl, model, key, null);
    }

    /** Returns a chat request in internal form, as an OpenAI client sent it. */
    static ChatRequest chat(ObjectNode body) {
        return new ChatRequest(body, body, Protocol.OPENAI, body.path("model").asText("test-model"),
                body.path("stream").asBoolean(false), true);
    }

    /** Feeds {@code events} (event name, data) to {@code translator} and ends the stream. */
    static Recording translate(StreamTranslator translator, List<StreamFrame> events) {
        Recording recording = new Recording();
        for (StreamFrame event : events) {
            translator.frame(event, recording);
        }
        translator.end(recording);
        return recording;
    }

    /** A {@link ChunkSink} that keeps every chunk, the last usage and the failure. */
    static final class Recording implements ChunkSink {

        final List<JsonNode> chunks = new ArrayList<>();
        Usage usage = Usage.NONE;
        AiError error;

        @Override
        public synchronized void chunk(ObjectNode chunk) {
            chunks.add(reparse(chunk));
        }

        @Override
        public synchronized void usage(Usage usage) {
            this.usage = this.usage.merge(usage);
        }

        @Override
        public synchronized void fail(AiError error) {
            this.error = error;
        }

        /** Returns the deltas of every chunk, in order. */
        synchronized List<JsonNode> deltas() {
            return chunks.stream().map(chunk -> chunk.path("choices").path(0).path("delta")).toList();
        }

        /** Returns the concatenated text content of every chunk. */
        synchronized String text() {
            StringBuilder text = new StringBuilder();
            deltas().forEach(delta -> text.append(delta.path("content").asText("")));
            return text.toString();
        }

        /** Returns the concatenated argument fragments of the tool call at {@code index}. */
        synchronized String arguments(int index) {
            StringBuilder arguments = new StringBuilder();
            for (JsonNode delta : deltas()) {
                for (JsonNode call : delta.path("tool_calls")) {
                    if (call.path("index").asInt() == index) {
                        arguments.append(call.path("function").path("arguments").asText(""));
                    }
                }
            }
            return arguments.toString();
        }

        /** Returns the finish reason of the last chunk that has one, or null. */
        synchronized String finishReason() {
            String reason = null;
            for (JsonNode chunk : chunks) {
                JsonNode value = chunk.path("choices").path(0).path("finish_reason");
                if (value.isTextual()) {
                    reason = value.asText();
                }
            }
            return reason;
        }
    }
}

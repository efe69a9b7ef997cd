package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.ToolCalls;
import io.portico.ai.spi.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.util.Locale;

/**
 * Translates Gemini {@code GenerateContentResponse} objects, whole or streamed, and Google error bodies into
 * Portico's OpenAI shapes. The Gemini API and Vertex AI send the same shapes.
 *
 * <p>Only the first candidate is read. Thought parts ({@code thought: true}) become {@code reasoning_content}.
 * Each {@code thoughtSignature} becomes a {@code thinking_blocks} entry with empty thinking text, and a signature
 * on a function call is also set on that tool call as {@code extra_content.google.thought_signature}, so a client
 * can send either back. Function calls keep the id Gemini gave them, or get one from {@link ToolCallIds#digest} of
 * the response id, the call's position, name and arguments, the same streamed and not. Gemini models before
 * Gemini 3 send no ids, and numbering the calls of each response from 0 would repeat ids across the turns of a
 * conversation. Image, code execution and grounding parts are dropped.
 * A prompt that Gemini blocked ({@code promptFeedback.blockReason} and no candidate) becomes an empty assistant
 * message with finish reason {@code content_filter}.
 */
public final class GeminiResponses {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private GeminiResponses() {
    }

    /**
     * Reads {@code usageMetadata}. The prompt count includes cached tokens and tool use prompt tokens; the output
     * count includes thought tokens, as OpenAI counts reasoning in completion tokens.
     */
    public static Usage usage(JsonNode metadata) {
        if (metadata == null || !metadata.isObject()) {
            return Usage.NONE;
        }
        long thoughts = Wire.number(metadata, "thoughtsTokenCount");
        return new Usage(
                Wire.number(metadata, "promptTokenCount") + Wire.number(metadata, "toolUsePromptTokenCount"),
                Wire.number(metadata, "candidatesTokenCount") + thoughts,
                Wire.number(metadata, "cachedContentTokenCount"),
                0,
                thoughts,
                false);
    }

    /** Translates a whole response into an OpenAI {@code chat.completion}. */
    public static ObjectNode chatCompletion(JsonNode body, String model) {
        String id = responseId(body);
        JsonNode candidate = body.path("candidates").path(0);
        ObjectNode message = NODES.objectNode().put("role", "assistant");
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        ArrayNode thinkingBlocks = NODES.arrayNode();
        ArrayNode toolCalls = NODES.arrayNode();
        for (JsonNode part : candidate.path("content").path("parts")) {
            String signature = Wire.text(part, "thoughtSignature");
            if (part.path("thought").asBoolean(false)) {
                reasoning.append(part.path("text").asText());
            } else if (part.get("functionCall") instanceof ObjectNode functionCall) {
                toolCalls.add(toolCall(functionCall, id, toolCalls.size(), signature));
            } else if (part.has("text")) {
                text.append(part.path("text").asText());
            }
            if (signature != null) {
                thinkingBlocks.add(thinkingBlock(signature));
            }
        }

        if (text.length() > 0 || toolCalls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (reasoning.length() > 0) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!thinkingBlocks.isEmpty()) {
            message.set("thinking_blocks", thinkingBlocks);
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }

        ObjectNode response = NODES.objectNode()
                .put("id", id)
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", body.path("modelVersion").asText(model));
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", finishReason(body, candidate, !toolCalls.isEmpty()));
        response.set("usage", OpenAiUsage.write(usage(body.get("usageMetadata"))));
        return response;
    }

    /** Returns Gemini's {@code responseId}, or a new id when the response has none. */
    private static String responseId(JsonNode body) {
        String id = Wire.text(body, "responseId");
        return id == null || id.isBlank() ? Wire.completionId() : id;
    }

    private static String finishReason(JsonNode body, JsonNode candidate, boolean calledFunctions) {
        if (candidate.isMissingNode() && blocked(body)) {
            return "content_filter";
        }
        return FinishReasons.fromGemini(Wire.text(candidate, "finishReason"), calledFunctions);
    }

    private static boolean blocked(JsonNode body) {
        return Wire.text(body.path("promptFeedback"), "blockReason") != null;
    }

    private static ObjectNode toolCall(ObjectNode functionCall, String responseId, int position, String signature) {
        String arguments = arguments(functionCall);
        ObjectNode call = NODES.objectNode()
                .put("id", callId(functionCall, responseId, position, arguments))
                .put("type", "function");
        call.putObject("function")
                .put("name", functionCall.path("name").asText())
                .put("arguments", arguments);
        if (signature != null) {
            call.putObject("extra_content").putObject("google").put("thought_signature", signature);
        }
        return call;
    }

    private static String callId(JsonNode functionCall, String responseId, int position, String arguments) {
        String id = Wire.text(functionCall, "id");
        return id == null || id.isEmpty()
                ? ToolCallIds.digest(responseId, position, functionCall.path("name").asText(), arguments) : id;
    }

    private static String arguments(JsonNode functionCall) {
        JsonNode args = functionCall.get("args");
        return args instanceof ObjectNode ? Wire.json(args).toString() : "{}";
    }

    private static ObjectNode thinkingBlock(String signature) {
        return NODES.objectNode().put("type", "thinking").put("thinking", "").put("signature", signature);
    }

    /** Creates the translator of one streamed response. */
    public static StreamTranslator streamTranslator(String model) {
        return new Translator(model);
    }

    /**
     * Reads a Google error body, {@code {"error":{"code":429,"message":...,"status":"RESOURCE_EXHAUSTED",
     * "details":[...]}}}. The status name becomes the error code, and a {@code google.rpc.RetryInfo} detail's
     * {@code retryDelay} serves as Retry-After when the response has no such header.
     */
    public static AiError error(int status, MultiMap headers, Buffer body) {
        AiError read = Wire.error(status, headers, body, "provider");
        JsonNode json = body == null ? null : Wire.parse(body);
        if (json != null && json.isArray() && !json.isEmpty()) {
            json = json.get(0);
        }
        JsonNode error = json == null ? null : json.get("error");
        if (error == null || !error.isObject()) {
            return read;
        }
        String statusName = Wire.text(error, "status");
        String code = statusName == null ? read.code() : statusName.toLowerCase(Locale.ROOT);
        long retryAfter = read.retryAfterMillis() >= 0 ? read.retryAfterMillis() : retryDelayMillis(error);
        return new AiError(status, read.type(), code, read.message(), retryAfter);
    }

    private static long retryDelayMillis(JsonNode error) {
        for (JsonNode detail : error.path("details")) {
            String delay = Wire.text(detail, "retryDelay");
            if (delay != null && delay.endsWith("s")) {
                try {
                    return (long) (Double.parseDouble(delay.substring(0, delay.length() - 1)) * 1000);
                } catch (NumberFormatException e) {
                    return -1;
                }
            }
        }
        return -1;
    }

    /** Returns the HTTP status of an error inside a stream: its numeric code, or the one its status name implies. */
    static int streamErrorStatus(JsonNode error) {
        int code = error.path("code").asInt(0);
        if (code >= 400 && code < 600) {
            return code;
        }
        return switch (error.path("status").asText()) {
            case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE" -> 400;
            case "UNAUTHENTICATED" -> 401;
            case "PERMISSION_DENIED" -> 403;
            case "NOT_FOUND" -> 404;
            case "RESOURCE_EXHAUSTED" -> 429;
            case "UNAVAILABLE" -> 503;
            case "DEADLINE_EXCEEDED" -> 504;
            default -> 500;
        };
    }

    /** Translates the events of one {@code streamGenerateContent?alt=sse} response, each a whole response object. */
    private static final class Translator implements StreamTranslator {

        private final Chunks chunks;
        private final ToolCalls toolCalls = new ToolCalls();
        private Usage usage = Usage.NONE;
        private boolean started;
        private boolean finished;

        Translator(String model) {
            this.chunks = new Chunks(Wire.completionId(), System.currentTimeMillis() / 1000, model);
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            JsonNode event = Wire.parse(frame.data());
            if (event == null || !event.isObject()) {
                sink.fail(Wire.invalidEvent(frame.data()));
                return;
            }
            if (event.get("error") instanceof ObjectNode error) {
                finished = true;
                sink.fail(error(streamErrorStatus(error), null, Buffer.buffer(frame.data())));
                return;
            }
            if (!started) {
                started = true;
                chunks.identify(Wire.text(event, "responseId"), Wire.text(event, "modelVersion"));
                sink.chunk(chunks.role());
            }

            Usage read = usage(event.get("usageMetadata"));
            if (read.totalTokens() > 0) {
                usage = usage.merge(read);
                sink.usage(usage);
            }
            if (finished) {
                return;
            }

            JsonNode candidate = event.path("candidates").path(0);
            if (candidate.isMissingNode()) {
                if (blocked(event)) {
                    finish(sink, "content_filter");
                }
                return;
            }
            for (JsonNode part : candidate.path("content").path("parts")) {
                part(part, sink);
            }
            String reason = Wire.text(candidate, "finishReason");
            if (reason != null) {
                finish(sink, FinishReasons.fromGemini(reason, toolCalls.count() > 0));
            }
        }

        private void part(JsonNode part, ChunkSink sink) {
            String signature = Wire.text(part, "thoughtSignature");
            String text = part.path("text").asText("");
            if (part.path("thought").asBoolean(false)) {
                if (!text.isEmpty()) {
                    sink.chunk(chunks.reasoning(text));
                }
            } else if (part.get("functionCall") instanceof ObjectNode functionCall) {
                functionCall(functionCall, signature, sink);
            } else if (!text.isEmpty()) {
                sink.chunk(chunks.text(text));
            }
            if (signature != null) {
                sink.chunk(chunks.thinkingSignature(signature));
            }
        }

        /** Emits one call: Gemini sends each function call whole, so its arguments are one fragment. */
        private void functionCall(ObjectNode functionCall, String signature, ChunkSink sink) {
            int index = toolCalls.start("call:" + toolCalls.count());
            // The chunks carry the response id of the first event, or a new one when Gemini sent none.
            ObjectNode start = chunks.toolStart(index, callId(functionCall, chunks.id(), index,
                    arguments(functionCall)), functionCall.path("name").asText());
            if (signature != null) {
                ObjectNode call = (ObjectNode) start.at("/choices/0/delta/tool_calls/0");
                call.putObject("extra_content").putObject("google").put("thought_signature", signature);
            }
            sink.chunk(start);
            if (functionCall.get("args") instanceof ObjectNode) {
                toolCalls.arguments(index);
                sink.chunk(chunks.toolArguments(index, arguments(functionCall)));
            }
        }

        private void finish(ChunkSink sink, String finishReason) {
            toolCalls.completeEmpty(chunks, sink);
            finished = true;
            sink.chunk(chunks.finish(finishReason));
        }

        @Override
        public void end(ChunkSink sink) {
            if (!finished) {
                toolCalls.completeEmpty(chunks, sink);
            }
        }
    }
}

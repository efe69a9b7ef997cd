package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.ToolCalls;
import io.portico.ai.spi.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Cohere's v2 API: {@code POST /chat} and {@code POST /embed}, with {@code Authorization: Bearer KEY}.
 *
 * <p>Request rules: system and developer messages stay system messages, with array content joined into text;
 * user images go as data URIs under the media type their bytes show, because Cohere's documentation shows only
 * inline images, so Portico fetches image URLs first (see {@link #acceptsImageUrl}); text an assistant wrote beside
 * tool calls becomes its {@code tool_plan}; tool results stay one {@code tool} message per call, matched by
 * {@code tool_call_id}. {@code max_tokens} or {@code max_completion_tokens} becomes {@code max_tokens}, sent only
 * when given because Cohere defaults to the model's maximum. {@code top_p} becomes {@code p}, {@code top_k}
 * {@code k}, {@code stop} {@code stop_sequences}; {@code temperature}, {@code seed} and the penalties keep their
 * names. {@code response_format} {@code json_object} stays; {@code json_schema} becomes {@code json_object} with
 * the schema in {@code json_schema}. {@code tool_choice} {@code required} and {@code none} become
 * {@code REQUIRED} and {@code NONE}; a named tool choice sends only that tool, with {@code REQUIRED}. A tool marked
 * {@code strict} sets {@code strict_tools}. Anthropic-style {@code thinking} maps to Cohere's {@code thinking}
 * with {@code token_budget}. Dropped: {@code user}, {@code n}, {@code logprobs}, {@code logit_bias},
 * {@code parallel_tool_calls}, assistant reasoning and thinking blocks. Content parts other than text and images
 * are rejected with 400.
 *
 * <p>Response rules: text content joins into {@code content}, thinking content into {@code reasoning_content};
 * the tool plan becomes {@code content} when the message has no text, in streams too. Usage reports the billed
 * units, which are what Cohere charges, and falls back to the raw token counts when billed units are missing.
 * Finish reasons map through {@link FinishReasons#fromCohere}; a stream whose {@code message-end} carries an
 * error or the {@code ERROR} reason ends with a failure.
 */
public final class CohereAdapter implements ProviderAdapter {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    /** Returns false: Cohere documents only inline images, so Portico fetches image URLs and sends the bytes. */
    @Override
    public boolean acceptsImageUrl(String url) {
        return false;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        return call(target, "chat", CohereRequests.chat(request.body(), target));
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        JsonNode source = body.path("message");
        StringBuilder text = new StringBuilder();
        StringBuilder reasoning = new StringBuilder();
        for (JsonNode item : source.path("content")) {
            switch (item.path("type").asText()) {
                case "text" -> text.append(item.path("text").asText());
                case "thinking" -> reasoning.append(item.path("thinking").asText());
                default -> {
                    // Other content types have no OpenAI counterpart.
                }
            }
        }
        if (text.length() == 0) {
            text.append(source.path("tool_plan").asText(""));
        }

        ArrayNode toolCalls = toolCalls(source.path("tool_calls"));
        ObjectNode message = NODES.objectNode().put("role", "assistant");
        if (text.length() > 0 || toolCalls.isEmpty()) {
            message.put("content", text.toString());
        } else {
            message.putNull("content");
        }
        if (reasoning.length() > 0) {
            message.put("reasoning_content", reasoning.toString());
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }

        ObjectNode response = NODES.objectNode()
                .put("id", body.path("id").asText("cohere"))
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", target.model());
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", FinishReasons.fromCohere(Wire.text(body, "finish_reason")));
        response.set("usage", OpenAiUsage.write(usage(body.get("usage"))));
        return response;
    }

    private static ArrayNode toolCalls(JsonNode calls) {
        ArrayNode converted = NODES.arrayNode();
        for (JsonNode call : calls) {
            String arguments = call.path("function").path("arguments").asText("");
            ObjectNode toolCall = converted.addObject()
                    .put("id", call.path("id").asText())
                    .put("type", "function");
            toolCall.putObject("function").put("name", call.path("function").path("name").asText())
                    .put("arguments", arguments.isBlank() ? "{}" : arguments);
        }
        return converted;
    }

    /** Reads Cohere usage: billed units first, the raw token counts when billed units are missing. */
    static Usage usage(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        JsonNode billed = usage.get("billed_units");
        JsonNode counts = billed != null && billed.isObject() && Wire.number(billed, "input_tokens")
                + Wire.number(billed, "output_tokens") > 0 ? billed : usage.get("tokens");
        return new Usage(Wire.number(counts, "input_tokens"), Wire.number(counts, "output_tokens"),
                Wire.number(usage, "cached_tokens"), 0, 0, false);
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return new Translator(target.model());
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        return call(target, "embed", CohereRequests.embed(request, target));
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        JsonNode embeddings = body.path("embeddings");
        JsonNode vectors = embeddings.isArray() ? embeddings : embeddings.path("float");
        long tokens = Wire.number(body.path("meta").get("billed_units"), "input_tokens");
        return Embeddings.list(vectors, target.model(), tokens, Embeddings.wantsBase64(request));
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        return Wire.error(status, headers, body, "provider");
    }

    private static ProviderCall call(CallTarget target, String operation, ObjectNode body) {
        ProviderCall call = ProviderCall.postJson(Wire.join(target.baseUrl(), operation), Wire.json(body));
        if (target.key() != null) {
            call.headers().set("authorization", "Bearer " + target.key());
        }
        target.provider().headers().forEach(call.headers()::set);
        return call;
    }

    /** Translates Cohere v2 chat stream events into OpenAI chunks. */
    private static final class Translator implements StreamTranslator {

        private final Chunks chunks;
        private final ToolCalls toolCalls = new ToolCalls();
        private boolean started;
        private boolean finished;

        Translator(String model) {
            this.chunks = new Chunks("cohere", System.currentTimeMillis() / 1000, model);
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            if (finished) {
                return;
            }
            JsonNode event = Wire.parse(frame.data());
            if (event == null) {
                sink.fail(Wire.invalidEvent(frame.data()));
                return;
            }
            String type = Wire.text(event, "type");
            if (type == null) {
                type = frame.event() == null ? "" : frame.event();
            }
            JsonNode message = event.path("delta").path("message");
            switch (type) {
                case "message-start" -> start(Wire.text(event, "id"), sink);
                case "content-start", "content-delta" -> content(message.path("content"), sink);
                case "tool-plan-delta" -> text(message.path("tool_plan").asText(""), sink);
                case "tool-call-start" -> toolStart(event, message.path("tool_calls"), sink);
                case "tool-call-delta" -> toolDelta(event, message.path("tool_calls"), sink);
                case "tool-call-end" -> toolCalls.completeEmpty(chunks, sink);
                case "message-end" -> end(event.path("delta"), sink);
                default -> {
                    // citation-start, citation-end and debug events have no OpenAI counterpart.
                }
            }
        }

        private void start(String id, ChunkSink sink) {
            chunks.identify(id, null);
            started = true;
            sink.chunk(chunks.role());
        }

        private void ensureStarted(ChunkSink sink) {
            if (!started) {
                start(null, sink);
            }
        }

        private void content(JsonNode content, ChunkSink sink) {
            String thinking = content.path("thinking").asText("");
            if (!thinking.isEmpty()) {
                ensureStarted(sink);
                sink.chunk(chunks.reasoning(thinking));
            }
            text(content.path("text").asText(""), sink);
        }

        private void text(String text, ChunkSink sink) {
            if (!text.isEmpty()) {
                ensureStarted(sink);
                sink.chunk(chunks.text(text));
            }
        }

        private void toolStart(JsonNode event, JsonNode call, ChunkSink sink) {
            ensureStarted(sink);
            int index = toolCalls.start("index:" + event.path("index").asText());
            JsonNode function = call.path("function");
            sink.chunk(chunks.toolStart(index, call.path("id").asText(), function.path("name").asText()));
            arguments(index, function.path("arguments").asText(""), sink);
        }

        private void toolDelta(JsonNode event, JsonNode call, ChunkSink sink) {
            int index = toolCalls.indexOf("index:" + event.path("index").asText());
            if (index >= 0) {
                arguments(index, call.path("function").path("arguments").asText(""), sink);
            }
        }

        private void arguments(int index, String fragment, ChunkSink sink) {
            if (!fragment.isEmpty()) {
                toolCalls.arguments(index);
                sink.chunk(chunks.toolArguments(index, fragment));
            }
        }

        private void end(JsonNode delta, ChunkSink sink) {
            Usage usage = usage(delta.get("usage"));
            if (usage.totalTokens() > 0) {
                sink.usage(usage);
            }
            finished = true;
            String reason = Wire.text(delta, "finish_reason");
            String error = Wire.text(delta, "error");
            if (error != null || "ERROR".equals(reason)) {
                String message = error == null ? "generation failed with finish reason ERROR" : error;
                sink.fail(AiError.of(500, "provider: " + message));
                return;
            }
            ensureStarted(sink);
            toolCalls.completeEmpty(chunks, sink);
            sink.chunk(chunks.finish(FinishReasons.fromCohere(reason)));
        }

        @Override
        public void end(ChunkSink sink) {
            if (!finished) {
                toolCalls.completeEmpty(chunks, sink);
            }
        }
    }
}

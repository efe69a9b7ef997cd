package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Mistral's API: {@code POST /chat/completions} and {@code POST /embeddings}, with {@code Authorization: Bearer
 * KEY}. The shapes are OpenAI's, so responses and streams are normalized by an {@link OpenAiAdapter}, but Mistral
 * rejects fields it does not know, so requests are rebuilt from the fields it accepts.
 *
 * <p>Request rules: {@code developer} messages become {@code system} messages; image parts keep their URL, data
 * URIs under the media type their bytes show. Mistral accepts only tool call ids of 9 letters or digits. Any
 * other id is replaced by a 9-character digest of it, in the assistant's tool calls and in the tool results alike,
 * so every turn of a conversation maps an id the same way. {@code max_tokens} or
 * {@code max_completion_tokens} becomes {@code max_tokens}; {@code seed} becomes {@code random_seed};
 * {@code tool_choice} {@code required} becomes {@code any}. Kept as they are: {@code temperature}, {@code top_p},
 * {@code stop}, {@code response_format} (text, JSON mode and JSON schema), {@code tools}, {@code n}, the
 * penalties, {@code parallel_tool_calls}, {@code prediction} and Mistral's own {@code safe_prompt} and
 * {@code prompt_mode}. Dropped: {@code user}, {@code logprobs}, {@code top_logprobs}, {@code logit_bias},
 * {@code top_k}, {@code stream_options} (Mistral sends usage in the last chunk unasked), {@code thinking} and
 * every other field, as well as assistant reasoning and thinking blocks.
 *
 * <p>Response rules: content that reasoning models send as an array of chunks is split into {@code content} and
 * {@code reasoning_content}. A completion keeps only the fields that OpenAI's chat completion object defines (see
 * {@link MistralMessages#keepOpenAiFields}), so Mistral's {@code prefix} and {@code tool_calls: null} are dropped.
 * Finish reasons map through {@link FinishReasons#fromMistral}; a stream that finishes with {@code error} ends
 * with a failure. Errors whose {@code message} is a validation object are reported with
 * that object as text.
 */
public final class MistralAdapter implements ProviderAdapter {

    private static final String[] KEPT_FIELDS = {"temperature", "top_p", "stop", "response_format", "n",
        "presence_penalty", "frequency_penalty", "parallel_tool_calls", "prediction", "safe_prompt", "prompt_mode"};

    private final OpenAiAdapter openAi = new OpenAiAdapter(
            new OpenAiDialect(OpenAiDialect.Auth.BEARER, "max_tokens", false, false, true, false, true));

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        ObjectNode source = request.body();
        ObjectNode body = source.objectNode();
        body.put("model", target.model());
        body.set("messages", MistralMessages.translate(source.path("messages")));
        JsonNode limit = source.has("max_completion_tokens") ? source.get("max_completion_tokens")
                : source.get("max_tokens");
        if (limit != null && !limit.isNull()) {
            body.set("max_tokens", limit.deepCopy());
        }
        for (String field : KEPT_FIELDS) {
            JsonNode value = source.get(field);
            if (value != null && !value.isNull()) {
                body.set(field, value.deepCopy());
            }
        }
        if (source.hasNonNull("seed")) {
            body.set("random_seed", source.get("seed").deepCopy());
        }
        if (source.get("tools") instanceof ArrayNode tools && !tools.isEmpty()) {
            body.set("tools", CacheControl.removedFrom(tools));
            JsonNode choice = source.get("tool_choice");
            if (choice != null && !choice.isNull()) {
                body.set("tool_choice", "required".equals(choice.asText()) ? body.textNode("any") : choice.deepCopy());
            }
        }
        body.put("stream", source.path("stream").asBoolean(false));
        return call(target, "chat/completions", body);
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        ObjectNode response = openAi.chatResponse(body, request, target);
        for (JsonNode choice : response.path("choices")) {
            if (choice instanceof ObjectNode object) {
                object.put("finish_reason", FinishReasons.fromMistral(Wire.text(object, "finish_reason")));
                MistralMessages.splitContent(Wire.object(object, "message"));
            }
        }
        MistralMessages.keepOpenAiFields(response);
        return response;
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return new Translator(openAi.chatStream(request, target));
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        ObjectNode body = request.objectNode();
        body.put("model", target.model());
        body.set("input", Embeddings.texts(request.get("input")));
        JsonNode dimensions = request.get("dimensions");
        if (dimensions != null && dimensions.canConvertToInt()) {
            body.put("output_dimension", dimensions.asInt());
        }
        return call(target, "embeddings", body);
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        ArrayNode vectors = request.arrayNode();
        for (JsonNode item : body.path("data")) {
            vectors.add(item.path("embedding"));
        }
        long tokens = Wire.number(body.path("usage"), "prompt_tokens");
        return Embeddings.list(vectors, body.path("model").asText(target.model()), tokens,
                Embeddings.wantsBase64(request));
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        AiError error = Wire.error(status, headers, body, "provider");
        JsonNode json = body == null ? null : Wire.parse(body);
        JsonNode detail = json == null ? null : json.has("message") ? json.get("message") : json.get("detail");
        if (detail != null && (detail.isObject() || detail.isArray())) {
            return new AiError(error.status(), error.type(), error.code(), "provider: " + detail,
                    error.retryAfterMillis());
        }
        return error;
    }

    private static ProviderCall call(CallTarget target, String operation, ObjectNode body) {
        ProviderCall call = ProviderCall.postJson(Wire.join(target.baseUrl(), operation), Wire.json(body));
        if (target.key() != null) {
            call.headers().set("authorization", "Bearer " + target.key());
        }
        target.provider().headers().forEach(call.headers()::set);
        return call;
    }

    /**
     * Applies Mistral's rules to each chunk, then lets the OpenAI translator renumber tool calls and report usage.
     */
    private static final class Translator implements StreamTranslator {

        private final StreamTranslator openAi;
        private boolean failed;

        Translator(StreamTranslator openAi) {
            this.openAi = openAi;
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            if (failed) {
                return;
            }
            JsonNode json = Wire.parse(frame.data());
            JsonNode choices = json == null ? null : json.get("choices");
            if (choices == null || !choices.isArray() || choices.isEmpty()) {
                openAi.frame(frame, sink);
                return;
            }
            for (JsonNode choice : choices) {
                if (!(choice instanceof ObjectNode object)) {
                    // The OpenAI translator rejects the event.
                    continue;
                }
                String reason = Wire.text(object, "finish_reason");
                if ("error".equals(reason)) {
                    failed = true;
                    sink.fail(AiError.of(500, "provider: generation failed with finish reason error"));
                    return;
                }
                if (reason != null) {
                    object.put("finish_reason", FinishReasons.fromMistral(reason));
                }
                MistralMessages.splitContent(Wire.object(object, "delta"));
            }
            openAi.frame(new StreamFrame(frame.event(), Wire.json(json).toString(), frame.headers()), sink);
        }

        @Override
        public void end(ChunkSink sink) {
            if (!failed) {
                openAi.end(sink);
            }
        }
    }
}

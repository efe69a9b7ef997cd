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
 * Ollama's native API: {@code POST /api/chat} and {@code POST /api/embed}. Ollama needs no key; a configured key is
 * sent as {@code Authorization: Bearer KEY}, for Ollama behind an authenticating proxy.
 *
 * <p>Request rules: {@code stream} is always sent, because Ollama streams when it is absent. System and developer
 * messages become {@code system} messages and array content is joined into text. Images must be data URIs, whose
 * base64 payload goes into the message's {@code images}. Portico fetches image URLs before the adapter runs (see
 * {@link #acceptsImageUrl}), and an image URL that still reaches it is rejected with 400 "this provider accepts
 * only inline images". Assistant tool calls carry their arguments as a JSON object and reasoning as
 * {@code thinking}; a tool result carries the {@code tool_name} of the call its {@code tool_call_id} names, since
 * Ollama matches results by name. {@code response_format} {@code json_object} becomes {@code format: "json"},
 * {@code json_schema} its schema as {@code format}. {@code max_tokens} or {@code max_completion_tokens} becomes
 * {@code options.num_predict}; {@code temperature}, {@code top_p}, {@code top_k}, {@code seed}, the penalties and
 * {@code stop} go into {@code options}. Anthropic-style {@code thinking} becomes {@code think} true or false.
 * {@code tool_choice} {@code none} sends no tools; other tool choices are dropped, as Ollama cannot force a call.
 * Dropped: {@code user}, {@code n}, {@code logprobs}, {@code logit_bias}, {@code parallel_tool_calls},
 * {@code reasoning_effort}.
 *
 * <p>Response rules: Ollama responses carry no id, so each response or stream gets a new one from
 * {@link Wire#completionId}. {@code message.thinking} becomes {@code reasoning_content}. Ollama tool calls carry
 * no ids either, so each gets {@code call_} and a digest of the response's {@code created_at}, the call's
 * position, name and arguments, which stays the same however often the same response is translated. Usage is
 * {@code prompt_eval_count} and {@code eval_count}. Finish reasons map through {@link FinishReasons#fromOllama};
 * a streamed line with {@code error} ends the stream with a failure.
 */
public final class OllamaAdapter implements ProviderAdapter {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Override
    public Framing framing() {
        return Framing.JSON_LINES;
    }

    /** Returns false: Ollama takes only base64 images, so Portico fetches image URLs and sends the bytes. */
    @Override
    public boolean acceptsImageUrl(String url) {
        return false;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        return call(target, "api/chat", OllamaRequests.chat(request.body(), target));
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        JsonNode source = body.path("message");
        ArrayNode toolCalls = NODES.arrayNode();
        String createdAt = body.path("created_at").asText("");
        int position = 0;
        for (JsonNode call : source.path("tool_calls")) {
            JsonNode function = call.path("function");
            String arguments = arguments(function.get("arguments"));
            String name = function.path("name").asText();
            ObjectNode toolCall = toolCalls.addObject()
                    .put("id", callId(call, createdAt, position++, name, arguments))
                    .put("type", "function");
            toolCall.putObject("function").put("name", name).put("arguments", arguments);
        }

        ObjectNode message = NODES.objectNode().put("role", "assistant");
        String content = source.path("content").asText("");
        if (!content.isEmpty() || toolCalls.isEmpty()) {
            message.put("content", content);
        } else {
            message.putNull("content");
        }
        String thinking = source.path("thinking").asText("");
        if (!thinking.isEmpty()) {
            message.put("reasoning_content", thinking);
        }
        if (!toolCalls.isEmpty()) {
            message.set("tool_calls", toolCalls);
        }

        ObjectNode response = NODES.objectNode()
                .put("id", Wire.completionId())
                .put("object", "chat.completion")
                .put("created", System.currentTimeMillis() / 1000)
                .put("model", body.path("model").asText(target.model()));
        ObjectNode choice = response.putArray("choices").addObject().put("index", 0);
        choice.set("message", message);
        choice.put("finish_reason", FinishReasons.fromOllama(Wire.text(body, "done_reason"), !toolCalls.isEmpty()));
        response.set("usage", OpenAiUsage.write(usage(body)));
        return response;
    }

    static Usage usage(JsonNode body) {
        return new Usage(Wire.number(body, "prompt_eval_count"), Wire.number(body, "eval_count"), 0, 0, 0, false);
    }

    /** Returns the arguments as JSON text. Ollama sends an object, and an absent or empty one becomes {@code "{}"}. */
    private static String arguments(JsonNode arguments) {
        if (arguments == null || arguments.isNull() || arguments.isEmpty() && !arguments.isTextual()) {
            return "{}";
        }
        String text = arguments.isTextual() ? arguments.asText() : Wire.json(arguments).toString();
        return text.isBlank() ? "{}" : text;
    }

    /** Returns the call's own id when a newer Ollama sends one, else a digest that is stable for one response. */
    private static String callId(JsonNode call, String createdAt, int position, String name, String arguments) {
        String id = Wire.text(call, "id");
        if (id != null && !id.isEmpty()) {
            return id;
        }
        return ToolCallIds.digest(createdAt, position, name, arguments);
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
        return call(target, "api/embed", OllamaRequests.embed(request, target));
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        return Embeddings.list(body.path("embeddings"), body.path("model").asText(target.model()),
                Wire.number(body, "prompt_eval_count"), Embeddings.wantsBase64(request));
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

    /** Translates Ollama's JSON lines into OpenAI chunks. */
    private static final class Translator implements StreamTranslator {

        private final Chunks chunks;
        private final ToolCalls toolCalls = new ToolCalls();
        private boolean started;
        private boolean finished;

        Translator(String model) {
            this.chunks = new Chunks(Wire.completionId(), System.currentTimeMillis() / 1000, model);
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            if (finished) {
                return;
            }
            JsonNode line = Wire.parse(frame.data());
            if (line == null) {
                sink.fail(Wire.invalidEvent(frame.data()));
                return;
            }
            String error = Wire.text(line, "error");
            if (error != null) {
                finished = true;
                sink.fail(AiError.of(500, "provider: " + error));
                return;
            }
            if (!started) {
                started = true;
                chunks.identify(null, Wire.text(line, "model"));
                sink.chunk(chunks.role());
            }
            JsonNode message = line.path("message");
            String thinking = message.path("thinking").asText("");
            if (!thinking.isEmpty()) {
                sink.chunk(chunks.reasoning(thinking));
            }
            String content = message.path("content").asText("");
            if (!content.isEmpty()) {
                sink.chunk(chunks.text(content));
            }
            toolCalls(message.path("tool_calls"), line.path("created_at").asText(""), sink);
            if (line.path("done").asBoolean(false)) {
                done(line, sink);
            }
        }

        /** Emits each call whole: Ollama sends a tool call complete in one line. */
        private void toolCalls(JsonNode calls, String createdAt, ChunkSink sink) {
            for (JsonNode call : calls) {
                JsonNode function = call.path("function");
                String name = function.path("name").asText();
                String arguments = arguments(function.get("arguments"));
                int index = toolCalls.count();
                String id = callId(call, createdAt, index, name, arguments);
                toolCalls.start(id);
                toolCalls.arguments(index);
                sink.chunk(chunks.toolStart(index, id, name));
                sink.chunk(chunks.toolArguments(index, arguments));
            }
        }

        private void done(JsonNode line, ChunkSink sink) {
            finished = true;
            Usage usage = usage(line);
            if (usage.totalTokens() > 0) {
                sink.usage(usage);
            }
            String reason = FinishReasons.fromOllama(Wire.text(line, "done_reason"), toolCalls.count() > 0);
            sink.chunk(chunks.finish(reason));
        }

        @Override
        public void end(ChunkSink sink) {
            // Every call arrives with its arguments, so an unfinished stream leaves nothing to complete.
        }
    }
}

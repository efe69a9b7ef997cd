package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ChunkSink;
import io.portico.ai.spi.Chunks;
import io.portico.ai.spi.CopiedCompletion;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.ToolCalls;
import io.portico.ai.spi.Usage;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * OpenAI's Chat Completions protocol, for OpenAI, Azure OpenAI and every OpenAI-compatible provider; a
 * {@link OpenAiDialect} carries the differences. Requests keep their shape: the adapter sets the model, the output
 * limit field and the stream usage option, and removes Portico's own extension fields. A request from a client of
 * another protocol is rejected with 400 when it contains a content part that Chat Completions has no type for.
 * Responses are normalized:
 * usage moves to the top level, tool calls are numbered from 0, and a tool call without arguments gets
 * {@code "{}"}.
 */
public final class OpenAiAdapter implements ProviderAdapter {

    private static final Set<String> OPENAI_PART_TYPES = Set.of("text", "image_url", "input_audio", "file",
            "refusal");
    /** Portico's extension fields of messages, which Chat Completions does not define. */
    private static final List<String> MESSAGE_EXTENSIONS = List.of("thinking_blocks", "reasoning_content",
            CacheControl.FIELD, "is_error");

    private final OpenAiDialect dialect;

    public OpenAiAdapter(OpenAiDialect dialect) {
        this.dialect = requireNonNull(dialect, "dialect");
    }

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    @Override
    public boolean acceptsImageUrl(String url) {
        return dialect.imageUrls();
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        // A shallow copy: top-level fields are replaced below, and messages are copied only when they change.
        ObjectNode body = request.body().objectNode();
        body.setAll(request.body());
        body.put("model", target.model());
        body.remove("thinking");
        if (!dialect.topK()) {
            body.remove("top_k");
        }
        JsonNode limit = body.has("max_completion_tokens") ? body.get("max_completion_tokens") : body.get("max_tokens");
        body.remove("max_completion_tokens");
        body.remove("max_tokens");
        if (limit != null && !limit.isNull()) {
            body.set(dialect.maxTokensField(), limit);
        }
        if (body.path("stream").asBoolean(false)) {
            if (dialect.streamUsage()) {
                body.putObject("stream_options").put("include_usage", true);
            } else {
                body.remove("stream_options");
            }
        } else {
            body.remove("stream_options");
        }
        JsonNode messages = body.get("messages");
        if (request.protocol() != Protocol.OPENAI) {
            rejectForeignParts(body.path("messages"), target);
        }
        if (messages instanceof ArrayNode list && hasExtensions(list)) {
            ArrayNode copy = list.deepCopy();
            for (JsonNode message : copy) {
                if (message instanceof ObjectNode object) {
                    object.remove(MESSAGE_EXTENSIONS);
                    if (CacheControl.presentIn(object.get("content"))) {
                        object.set("content", CacheControl.removedFrom(object.get("content")));
                    }
                }
            }
            body.set("messages", copy);
        }
        if (CacheControl.presentIn(body.get("tools"))) {
            body.set("tools", CacheControl.removedFrom(body.get("tools")));
        }
        return call(target, "chat/completions", body);
    }

    /**
     * Rejects the content parts that a client of another protocol sent and that Chat Completions has no part type
     * for, such as Anthropic's {@code search_result} blocks or documents from a URL, and the parts other than text
     * in tool messages, whose content Chat Completions limits to text.
     */
    private static void rejectForeignParts(JsonNode messages, CallTarget target) {
        for (JsonNode message : messages) {
            if ("tool".equals(message.path("role").asText())) {
                ContentParts.requireTextResult(message.get("content"), target);
                continue;
            }
            for (JsonNode part : message.path("content")) {
                String type = part.path("type").asText();
                if (!OPENAI_PART_TYPES.contains(type)) {
                    throw ContentParts.unsupported(type, target);
                }
            }
        }
    }

    private static boolean hasExtensions(ArrayNode messages) {
        for (JsonNode message : messages) {
            for (String field : MESSAGE_EXTENSIONS) {
                if (message.has(field)) {
                    return true;
                }
            }
            if (CacheControl.presentIn(message.get("content"))) {
                return true;
            }
        }
        return false;
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        // The body was parsed for this response alone, so it is changed in place.
        ObjectNode response = (ObjectNode) body;
        JsonNode usage = OpenAiUsage.find(response);
        if (usage != null && response.get("usage") != usage) {
            response.set("usage", usage.deepCopy());
        }
        response.remove("x_groq");
        JsonNode choices = response.get("choices");
        if (choices != null) {
            for (JsonNode choice : choices) {
                if (choice instanceof ObjectNode object) {
                    object.remove("usage");
                    completeArguments(object.get("message"));
                }
            }
        }
        return response;
    }

    /** Copies the completions that {@link #chatResponse} leaves unchanged, as {@link CompletionCopy} lists them. */
    @Override
    public CopiedCompletion copyChatResponse(Buffer body) {
        return CompletionCopy.copy(body);
    }

    private static void completeArguments(JsonNode message) {
        JsonNode calls = message == null ? null : message.get("tool_calls");
        if (calls == null || !calls.isArray()) {
            return;
        }
        for (JsonNode call : calls) {
            ObjectNode function = Wire.object(call, "function");
            if (function != null && Wire.text(function, "arguments") == null
                    || function != null && function.get("arguments").asText().isBlank()) {
                function.put("arguments", "{}");
            }
        }
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return new Translator(target.model());
    }

    @Override
    public boolean supportsEmbeddings() {
        return dialect.embeddings();
    }

    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        ObjectNode body = request.deepCopy();
        body.put("model", target.model());
        return call(target, "embeddings", body);
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        return body.deepCopy();
    }

    @Override
    public ProviderCall responses(ObjectNode request, CallTarget target) {
        if (!dialect.responses()) {
            return null;
        }
        ObjectNode body = request.deepCopy();
        body.put("model", target.model());
        return call(target, "responses", body);
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        return Wire.error(status, headers, body, "provider");
    }

    private ProviderCall call(CallTarget target, String operation, ObjectNode body) {
        ProviderCall call = ProviderCall.postJson(url(target, operation), Wire.json(body));
        if (target.key() != null) {
            if (dialect.auth() == OpenAiDialect.Auth.AZURE) {
                call.headers().set("api-key", target.key());
            } else {
                call.headers().set("authorization", "Bearer " + target.key());
            }
        }
        target.provider().headers().forEach(call.headers()::set);
        return call;
    }

    /**
     * The URL of an operation. Azure OpenAI with an {@code apiVersion} uses deployment URLs, where the deployment is
     * the one configured for the model or the model id itself; without one it uses the version-less v1 API.
     */
    private String url(CallTarget target, String operation) {
        if (dialect.auth() != OpenAiDialect.Auth.AZURE) {
            return Wire.join(target.baseUrl(), operation);
        }
        String apiVersion = target.provider().apiVersion();
        if (apiVersion == null) {
            return Wire.join(target.baseUrl(), "openai/v1/" + operation);
        }
        String deployment = target.provider().deployments().getOrDefault(target.model(), target.model());
        Wire.rejectDotSegment(deployment, "deployment");
        return Wire.join(target.baseUrl(), "openai/deployments/" + encode(deployment) + "/" + operation
                + "?api-version=" + encode(apiVersion));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Normalizes one OpenAI-compatible stream. A request with {@code n} above 1 streams several choices, each with
     * its own {@code index}. Each choice keeps its index, tool call numbering and finish reason, and a chunk that
     * carries several choices is split into one chunk per choice.
     */
    private static final class Translator implements StreamTranslator {

        private final Chunks chunks;
        /** The tool calls and state of each choice, by the choice's index. */
        private final Map<Integer, Choice> choices = new TreeMap<>();

        Translator(String model) {
            this.chunks = new Chunks("chatcmpl-portico", System.currentTimeMillis() / 1000, model);
        }

        @Override
        public void frame(StreamFrame frame, ChunkSink sink) {
            String data = frame.data();
            if (data.isEmpty() || "[DONE]".equals(data)) {
                return;
            }
            JsonNode json = Wire.parse(data);
            if (!(json instanceof ObjectNode chunk)) {
                sink.fail(Wire.invalidEvent(data));
                return;
            }
            if (chunk.get("error") != null && !chunk.get("error").isNull()) {
                sink.fail(Wire.streamError(data));
                return;
            }
            chunks.identify(Wire.text(chunk, "id"), Wire.text(chunk, "model"), chunk.path("created").asLong(0));
            JsonNode usage = OpenAiUsage.find(chunk);
            if (usage != null) {
                Usage read = OpenAiUsage.read(usage);
                if (read.totalTokens() > 0) {
                    sink.usage(read);
                }
            }
            chunk.remove("usage");
            chunk.remove("x_groq");
            JsonNode list = chunk.get("choices");
            if (list == null || !list.isArray() || list.isEmpty()) {
                return;
            }
            for (JsonNode choice : list) {
                if (!(choice instanceof ObjectNode)) {
                    sink.fail(Wire.invalidEvent(data));
                    return;
                }
            }
            if (list.size() == 1) {
                choice(chunk, (ObjectNode) list.get(0), sink);
                return;
            }
            chunk.remove("choices");
            for (JsonNode choice : list) {
                ObjectNode single = chunk.deepCopy();
                single.putArray("choices").add(choice);
                choice(single, (ObjectNode) choice, sink);
            }
        }

        /** Emits one choice of a chunk whose only choice it is. */
        private void choice(ObjectNode chunk, ObjectNode choice, ChunkSink sink) {
            JsonNode indexNode = choice.get("index");
            int index = indexNode != null && indexNode.canConvertToInt() ? indexNode.asInt() : 0;
            choice.put("index", index);
            Choice state = choices.computeIfAbsent(index, unused -> new Choice());
            choice.remove("usage");
            JsonNode delta = choice.get("delta");
            if (delta instanceof ObjectNode object && object.get("tool_calls") instanceof ArrayNode calls) {
                state.renumber(calls);
            }
            String finish = Wire.text(choice, "finish_reason");
            // OpenAI's chunk schema requires the field, null until the last chunk; some providers omit it.
            choice.putNull("finish_reason");
            if (finish == null) {
                sink.chunk(chunk);
                return;
            }
            if (delta != null && !delta.isEmpty()) {
                sink.chunk(chunk);
            }
            state.toolCalls.completeEmpty(chunks, index, sink);
            state.finished = true;
            sink.chunk(Chunks.forChoice(chunks.finish(finish), index));
        }

        @Override
        public void end(ChunkSink sink) {
            choices.forEach((index, state) -> {
                if (!state.finished) {
                    state.toolCalls.completeEmpty(chunks, index, sink);
                }
            });
        }
    }

    /** The tool calls of one choice of a stream, numbered from 0, and whether the choice finished. */
    private static final class Choice {

        private final ToolCalls toolCalls = new ToolCalls();
        private int lastCall = -1;
        private boolean finished;

        /**
         * Numbers calls from 0 and keeps id, type and name on each call's first delta only. When a call starts and
         * the call before it received no arguments, an entry with that call's {@code "{}"} goes first, because
         * OpenAI's stream finishes each call before the next one starts, and clients close a call's block (an
         * Anthropic {@code tool_use}) when the next one appears.
         *
         * <p>NOTE: a provider that sent more arguments for a call after a later call started would give that call
         * {@code "{}"} and then those fragments, which do not parse together. OpenAI's API never sends them so.
         */
        private void renumber(ArrayNode calls) {
            List<JsonNode> entries = new ArrayList<>();
            calls.forEach(entries::add);
            calls.removeAll();
            for (JsonNode node : entries) {
                if (!(node instanceof ObjectNode call)) {
                    calls.add(node);
                    continue;
                }
                String id = Wire.text(call, "id");
                String upstreamIndex = call.has("index") ? "index:" + call.get("index").asText() : null;
                int index = id == null ? -1 : toolCalls.indexOf("id:" + id);
                boolean first = false;
                if (id != null && index < 0) {
                    index = toolCalls.start("id:" + id);
                    first = true;
                    if (upstreamIndex != null) {
                        toolCalls.alias(upstreamIndex, index);
                    }
                } else if (index < 0 && upstreamIndex != null) {
                    index = toolCalls.indexOf(upstreamIndex);
                }
                if (index < 0) {
                    index = lastCall >= 0 ? lastCall : toolCalls.start("anonymous");
                    first = lastCall < 0;
                }
                if (first && lastCall >= 0 && !toolCalls.hasArguments(lastCall)) {
                    calls.addObject().put("index", lastCall).putObject("function").put("arguments", "{}");
                    toolCalls.arguments(lastCall);
                }
                calls.add(call);
                lastCall = index;
                call.put("index", index);
                ObjectNode function = Wire.object(call, "function");
                if (first) {
                    call.put("type", "function");
                    if (function == null) {
                        function = call.putObject("function");
                    }
                    if (!function.has("arguments") || function.get("arguments").isNull()) {
                        function.put("arguments", "");
                    }
                } else {
                    call.remove("id");
                    call.remove("type");
                    if (function != null) {
                        function.remove("name");
                    }
                }
                String arguments = function == null ? null : Wire.text(function, "arguments");
                if (arguments != null && !arguments.isEmpty()) {
                    toolCalls.arguments(index);
                }
            }
        }
    }
}

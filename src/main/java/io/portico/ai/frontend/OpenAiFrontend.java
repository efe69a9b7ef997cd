package io.portico.ai.frontend;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.provider.OpenAiUsage;
import io.portico.ai.provider.Wire;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.StreamFrame;
import io.portico.ai.spi.Usage;
import io.vertx.core.http.HttpServerResponse;
import java.util.ArrayList;
import java.util.List;

/** OpenAI's Chat Completions API on the client side; requests are already in Portico's internal form. */
public final class OpenAiFrontend implements Frontend {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @Override
    public Protocol protocol() {
        return Protocol.OPENAI;
    }

    @Override
    public ChatRequest parse(ObjectNode body) {
        JsonNode model = body.get("model");
        if (model == null || !model.isTextual() || model.asText().isBlank()) {
            throw AiException.invalidParam("model", "'model' is required and must be a string");
        }
        JsonNode messages = body.get("messages");
        if (messages == null || !messages.isArray() || messages.isEmpty()) {
            throw AiException.invalidParam("messages", "'messages' is required and must be a non-empty array");
        }
        for (int i = 0; i < messages.size(); i++) {
            validateMessage(messages.get(i), i);
        }
        positiveInteger(body, "max_tokens");
        positiveInteger(body, "max_completion_tokens");
        number(body, "temperature");
        number(body, "top_p");
        tools(body);
        JsonNode stream = body.get("stream");
        if (stream != null && !stream.isBoolean() && !stream.isNull()) {
            throw AiException.invalidParam("stream", "'stream' must be a boolean");
        }
        boolean streaming = stream != null && stream.asBoolean(false);
        boolean includeUsage = streaming && body.path("stream_options").path("include_usage").asBoolean(false);
        return new ChatRequest(body, body, Protocol.OPENAI, model.asText(), streaming, includeUsage);
    }

    private static final java.util.Set<String> ROLES =
            java.util.Set.of("system", "developer", "user", "assistant", "tool", "function");

    private static void validateMessage(JsonNode message, int index) {
        if (!message.isObject()) {
            throw invalidMessage(index, "", "' must be an object");
        }
        JsonNode role = message.get("role");
        if (role == null || !role.isTextual() || !ROLES.contains(role.asText())) {
            throw invalidMessage(index, ".role", "' must be one of system, developer, user, assistant, tool");
        }
        JsonNode content = message.get("content");
        boolean valid = content == null || content.isNull() || content.isTextual() || content.isArray();
        if (!valid) {
            throw invalidMessage(index, ".content", "' must be a string or an array of content parts");
        }
        if (content != null && content.isArray()) {
            for (JsonNode part : content) {
                if (!part.isObject() || !part.path("type").isTextual()) {
                    throw invalidMessage(index, ".content", "' parts must be objects with a type");
                }
            }
        }
    }

    /**
     * Returns the error about {@code field} of message {@code index}, such as {@code .role}, or about the whole
     * message when {@code field} is empty. The texts are built only here, because valid messages are the rule.
     */
    private static AiException invalidMessage(int index, String field, String problem) {
        // OpenAI names a field of a message as messages.[0].role in an error's param.
        return AiException.invalidParam("messages.[" + index + "]" + field,
                "'messages[" + index + "]" + field + problem);
    }

    private static void positiveInteger(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value != null && !value.isNull() && (!value.canConvertToInt() || !value.isIntegralNumber()
                || value.asInt() < 1)) {
            throw AiException.invalidParam(field, "'" + field + "' must be a positive integer");
        }
    }

    private static void number(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value != null && !value.isNull() && !value.isNumber()) {
            throw AiException.invalidParam(field, "'" + field + "' must be a number");
        }
    }

    /** Checks that {@code tools} is an array of objects, since adapters that translate it skip anything else. */
    private static void tools(JsonNode body) {
        JsonNode tools = body.get("tools");
        if (tools == null || tools.isNull()) {
            return;
        }
        if (!tools.isArray()) {
            throw AiException.invalidParam("tools", "'tools' must be an array of tool objects");
        }
        for (int i = 0; i < tools.size(); i++) {
            if (!tools.get(i).isObject()) {
                throw AiException.invalidParam("tools.[" + i + "]", "'tools[" + i + "]' must be an object");
            }
        }
    }

    @Override
    public void writeResponse(HttpServerResponse response, ObjectNode completion, ChatRequest request,
                              Usage usage) {
        response.putHeader("content-type", "application/json").end(Wire.json(completion));
    }

    @Override
    public StreamWriter streamWriter(HttpServerResponse response, ChatRequest request, Usage promptEstimate) {
        return new Writer(response, request.includeUsage());
    }

    /** Writes {@code error} with the status and shape of {@link AiError#forOpenAiClient()}. */
    @Override
    public void writeError(HttpServerResponse response, AiError error) {
        AiError sent = error.forOpenAiClient();
        RetryHeaders.set(response, sent.status(), error);
        response.setStatusCode(sent.status()).putHeader("content-type", "application/json")
                .end(Sse.json(errorBody(sent)));
    }

    /**
     * Returns the OpenAI error object, {@code {"error":{"message","type","param","code"}}}, of
     * {@link AiError#forOpenAiClient()}.
     */
    static ObjectNode errorBody(AiError error) {
        AiError sent = error.forOpenAiClient();
        ObjectNode body = NODES.objectNode();
        ObjectNode inner = body.putObject("error")
                .put("message", sent.message())
                .put("type", sent.type());
        if (sent.param() == null) {
            inner.putNull("param");
        } else {
            inner.put("param", sent.param());
        }
        if (sent.code() == null) {
            inner.putNull("code");
        } else {
            inner.put("code", sent.code());
        }
        return body;
    }

    /**
     * Writes OpenAI chunks as server-sent events, then the usage chunk when asked for, then {@code [DONE]}. Chunks
     * without content, such as the first one with the role, are held back until the first chunk that commits the
     * stream (see {@link StreamCommit}), and written just before it.
     */
    private static final class Writer implements StreamWriter {

        private final HttpServerResponse response;
        private final boolean includeUsage;
        private final List<ObjectNode> heldBack = new ArrayList<>();
        private String id = "chatcmpl-portico";
        private String model = "";
        private long created = System.currentTimeMillis() / 1000;
        private boolean started;

        Writer(HttpServerResponse response, boolean includeUsage) {
            this.response = response;
            this.includeUsage = includeUsage;
        }

        @Override
        public boolean started() {
            return started;
        }

        private void ensureStarted() {
            if (!started) {
                started = true;
                Sse.start(response);
                heldBack.forEach(chunk -> Sse.write(response, null, chunk));
                heldBack.clear();
            }
        }

        @Override
        public void chunk(ObjectNode chunk) {
            id = chunk.path("id").asText(id);
            model = chunk.path("model").asText(model);
            created = chunk.path("created").asLong(created);
            if (!started && heldBack.size() < StreamCommit.MAX_HELD_BACK && !StreamCommit.commits(chunk)) {
                heldBack.add(chunk);
                return;
            }
            ensureStarted();
            Sse.write(response, null, chunk);
        }

        @Override
        public void usage(Usage usage) {
            // The exchange passes the final usage to finish.
        }

        @Override
        public void fail(AiError error) {
            abort(error);
        }

        @Override
        public void nativeFrame(StreamFrame frame) {
            ensureStarted();
            Sse.write(response, frame.event(), frame.data());
        }

        @Override
        public void finish(Usage usage) {
            ensureStarted();
            if (includeUsage) {
                ObjectNode chunk = NODES.objectNode()
                        .put("id", id)
                        .put("object", "chat.completion.chunk")
                        .put("created", created)
                        .put("model", model);
                chunk.putArray("choices");
                chunk.set("usage", OpenAiUsage.write(usage));
                Sse.write(response, null, chunk);
            }
            Sse.write(response, null, "[DONE]");
            StreamEnd.end(response);
        }

        @Override
        public void abort(AiError error) {
            ensureStarted();
            Sse.write(response, null, errorBody(error));
            StreamEnd.end(response);
        }
    }

    /** Returns the text of an OpenAI message's content, whether a string or a list of text parts. */
    static String contentText(JsonNode content) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode part : content) {
            String value = Wire.text(part, "text");
            if (value != null) {
                text.append(value);
            }
        }
        return text.toString();
    }
}

package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Framing;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamTranslator;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/**
 * The Gemini API (Google AI Studio): {@code models/{model}:generateContent}, {@code :streamGenerateContent?alt=sse}
 * and {@code :batchEmbedContents}, with the API key in the {@code x-goog-api-key} header. Requests are translated
 * by {@link GeminiRequests}, responses and streams by {@link GeminiResponses}, embeddings by
 * {@link GeminiEmbeddings}; their class comments list what is mapped and what is dropped.
 */
public final class GeminiAdapter implements ProviderAdapter {

    @Override
    public Framing framing() {
        return Framing.SSE;
    }

    @Override
    public ProviderCall chat(ChatRequest request, CallTarget target) {
        ObjectNode body = GeminiRequests.fromOpenAi(request.body(), GeminiRequests.Service.GEMINI_API, target);
        String operation = request.stream() ? ":streamGenerateContent?alt=sse" : ":generateContent";
        return call(target, modelName(target.model()) + operation, body);
    }

    @Override
    public ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target) {
        return GeminiResponses.chatCompletion(body, target.model());
    }

    @Override
    public StreamTranslator chatStream(ChatRequest request, CallTarget target) {
        return GeminiResponses.streamTranslator(target.model());
    }

    @Override
    public boolean acceptsImageUrl(String url) {
        return GeminiRequests.fetchable(url, GeminiRequests.Service.GEMINI_API);
    }

    @Override
    public boolean supportsEmbeddings() {
        return true;
    }

    @Override
    public ProviderCall embeddings(ObjectNode request, CallTarget target) {
        String model = modelName(target.model());
        return call(target, model + ":batchEmbedContents", GeminiEmbeddings.batchRequest(request, model));
    }

    @Override
    public ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        return GeminiEmbeddings.fromBatch(body, request, target.model());
    }

    @Override
    public AiError error(int status, MultiMap headers, Buffer body) {
        return GeminiResponses.error(status, headers, body);
    }

    /** Returns the resource name of a model, {@code models/{id}}, whether or not the id already has the prefix. */
    static String modelName(String model) {
        String id = model.startsWith("models/") ? model.substring("models/".length()) : model;
        return "models/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static ProviderCall call(CallTarget target, String path, ObjectNode body) {
        ProviderCall call = ProviderCall.postJson(Wire.join(target.baseUrl(), path), Wire.json(body));
        if (target.key() != null) {
            call.headers().set("x-goog-api-key", target.key());
        }
        target.provider().headers().forEach(call.headers()::set);
        return call;
    }
}

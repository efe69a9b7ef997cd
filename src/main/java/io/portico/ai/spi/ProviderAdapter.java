package io.portico.ai.spi;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;

/**
 * Speaks one provider's wire protocol: builds its requests from Portico's internal form (OpenAI's Chat
 * Completions shape) and translates its responses, streams and errors back. Adapters are stateless and shared by
 * every request; per-stream state lives in the {@link StreamTranslator} they create.
 */
public interface ProviderAdapter {

    /** Returns the framing of this provider's streamed responses. */
    Framing framing();

    /**
     * The client protocol this provider speaks natively for {@code model}, if any. A request in that protocol is
     * forwarded with only its model replaced, and the response is relayed as it is.
     */
    default Protocol nativeProtocol(String model) {
        return null;
    }

    /**
     * True when the provider fetches the image at the http or https {@code url} itself. For other URLs Portico
     * fetches the image and sends it inline as a data URI before calling {@link #chat}.
     */
    default boolean acceptsImageUrl(String url) {
        return true;
    }

    /** Builds the call for a chat request. */
    ProviderCall chat(ChatRequest request, CallTarget target);

    /**
     * Translates a successful non-streamed chat response into an OpenAI {@code chat.completion}. The body was parsed
     * for this call alone, so the adapter may change it and return it.
     */
    ObjectNode chatResponse(JsonNode body, ChatRequest request, CallTarget target);

    /**
     * Reads the token counts of a successful non-streamed chat response, the same body that {@link #chatResponse}
     * translated. Returns null when the translated completion's OpenAI usage carries every count. An adapter whose
     * provider reports prompt cache writes overrides it, because OpenAI's usage has no field for them.
     */
    default Usage chatUsage(JsonNode body, CallTarget target) {
        return null;
    }

    /**
     * Copies a successful non-streamed chat response for a client of OpenAI's Chat Completions API without building
     * its tree. The copy's JSON is exactly what {@link #chatResponse} would return, serialized, and its usage is what
     * {@link #chatUsage} or the completion's OpenAI usage would report. Returns null when the response needs
     * {@link #chatResponse}, for example to be translated or changed, and so does every adapter that does not
     * override this method.
     */
    default CopiedCompletion copyChatResponse(Buffer body) {
        return null;
    }

    /** Creates the translator for one streamed chat response. */
    StreamTranslator chatStream(ChatRequest request, CallTarget target);

    /**
     * Builds the call for a request in this provider's native protocol: the client's body with the model replaced.
     *
     * @throws UnsupportedOperationException when {@link #nativeProtocol} is null for the target's model
     */
    default ProviderCall nativeChat(ChatRequest request, CallTarget target) {
        throw new UnsupportedOperationException("no native protocol");
    }

    /** Reads the token counts of a native non-streamed response. */
    default Usage nativeUsage(JsonNode body) {
        return Usage.NONE;
    }

    /**
     * Reads token counts from one event of a native stream; {@link Usage#NONE} when it carries none. An output count
     * that is a placeholder rather than the count of the tokens streamed so far is returned as 0.
     */
    default Usage nativeStreamUsage(StreamFrame frame) {
        return Usage.NONE;
    }

    /**
     * Returns the generated text, reasoning and tool call arguments that one event of a native stream carries, for
     * the output estimate of a stream that ends before the provider reports its output tokens.
     */
    default String nativeStreamOutput(StreamFrame frame) {
        return "";
    }

    /** True when this provider offers embeddings. */
    default boolean supportsEmbeddings() {
        return false;
    }

    /** Builds the call for an OpenAI-shaped embeddings request. */
    default ProviderCall embeddings(ObjectNode request, CallTarget target) {
        throw new UnsupportedOperationException("embeddings are not supported");
    }

    /** Translates an embeddings response into OpenAI's {@code list} of embeddings. */
    default ObjectNode embeddingsResponse(JsonNode body, ObjectNode request, CallTarget target) {
        throw new UnsupportedOperationException("embeddings are not supported");
    }

    /**
     * Builds the call that relays an OpenAI Responses API request, or returns null when the provider does not
     * offer that API.
     */
    default ProviderCall responses(ObjectNode request, CallTarget target) {
        return null;
    }

    /**
     * Builds a call to the provider's own token counting for an Anthropic {@code count_tokens} request, or
     * returns null when the provider has none and Portico should count.
     */
    default ProviderCall countTokens(ObjectNode anthropicRequest, CallTarget target) {
        return null;
    }

    /**
     * Completes a built call before it is sent, for credentials that must be fetched first, such as an OAuth
     * access token exchanged for a service account. Most adapters add credentials while building and return
     * the call as it is. The client of a failed authorization gets a generic message, and the failure's message
     * goes to the node's log, so it may name endpoints and accounts but must contain no secret.
     */
    default Future<ProviderCall> authorize(ProviderCall call, CallTarget target) {
        return Future.succeededFuture(call);
    }

    /** Reads a provider error response into an {@link AiError} with the provider's status and message. */
    AiError error(int status, MultiMap headers, Buffer body);
}

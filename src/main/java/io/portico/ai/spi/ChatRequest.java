package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * A chat request on its way to a provider.
 *
 * <p>{@link #body()} is the request in Portico's internal form: OpenAI's Chat Completions shape, extended with
 * {@code thinking_blocks} on assistant messages (Anthropic thinking blocks with their signatures), {@code top_k}
 * and {@code thinking} (Anthropic's extended thinking settings). Adapters read it and never change it.
 * {@link #original()} is the body exactly as the client sent it, in the client's protocol, for adapters that
 * speak that protocol natively.
 *
 * @param body the request in internal form
 * @param original the client's body
 * @param protocol the client's protocol
 * @param model the model name the client asked for
 * @param stream true when the client asked for a stream
 * @param includeUsage true when the client asked for usage at the end of the stream
 */
public record ChatRequest(ObjectNode body, ObjectNode original, Protocol protocol, String model, boolean stream,
                          boolean includeUsage) {

    public ChatRequest {
        requireNonNull(body, "body");
        requireNonNull(original, "original");
        requireNonNull(protocol, "protocol");
        requireNonNull(model, "model");
    }
}

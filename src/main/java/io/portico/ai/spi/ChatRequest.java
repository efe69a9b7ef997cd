package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;

/**
 * A chat request on its way to a provider.
 *
 * <p>{@link #body()} is the request in Portico's internal form: OpenAI's Chat Completions shape, extended with
 * {@code thinking_blocks} on assistant messages (Anthropic thinking blocks with their signatures), {@code top_k}
 * and {@code thinking} (Anthropic's extended thinking settings). An Anthropic client's cache breakpoints are
 * {@code cache_control} objects on content parts, tool and assistant messages and entries of {@code tools}, and a
 * tool message with {@code is_error: true} carries a failed tool result whose content starts with {@code Error: }.
 * Adapters read it and never change it.
 * {@link #original()} is the body exactly as the client sent it, in the client's protocol, for adapters that
 * speak that protocol natively.
 *
 * @param body the request in internal form
 * @param original the client's body
 * @param protocol the client's protocol
 * @param model the model name the client asked for
 * @param stream true when the client asked for a stream
 * @param includeUsage true when the client asked for usage at the end of the stream
 * @param clientHeaders client headers that a provider speaking the client's protocol natively receives as they
 *     are, such as Anthropic's {@code anthropic-beta}
 */
public record ChatRequest(ObjectNode body, ObjectNode original, Protocol protocol, String model, boolean stream,
                          boolean includeUsage, Map<String, String> clientHeaders) {

    public ChatRequest {
        requireNonNull(body, "body");
        requireNonNull(original, "original");
        requireNonNull(protocol, "protocol");
        requireNonNull(model, "model");
        clientHeaders = clientHeaders == null ? Map.of() : Map.copyOf(clientHeaders);
    }

    public ChatRequest(ObjectNode body, ObjectNode original, Protocol protocol, String model, boolean stream,
                       boolean includeUsage) {
        this(body, original, protocol, model, stream, includeUsage, Map.of());
    }

    /** Returns this request with {@code clientHeaders} to forward to native providers. */
    public ChatRequest withClientHeaders(Map<String, String> headers) {
        return new ChatRequest(body, original, protocol, model, stream, includeUsage, headers);
    }

    /** Returns this request with {@code body} in place of its internal form. */
    public ChatRequest withBody(ObjectNode replacement) {
        return new ChatRequest(replacement, original, protocol, model, stream, includeUsage, clientHeaders);
    }
}

package io.portico.ai.frontend;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.AiException;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Protocol;
import io.portico.ai.spi.Usage;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** The client side of a chat endpoint: reads requests and writes responses, streams and errors in one protocol. */
public interface Frontend {

    Protocol protocol();

    /**
     * Reads a chat request and converts it to Portico's internal form.
     *
     * @throws AiException with status 400 when the request is invalid
     */
    ChatRequest parse(ObjectNode body);

    /**
     * Writes a complete response given in OpenAI's {@code chat.completion} shape. {@code usage} contains the
     * response's token counts, cache writes included, which the completion's OpenAI usage has no field for.
     */
    void writeResponse(HttpServerResponse response, ObjectNode completion, ChatRequest request, Usage usage);

    /**
     * Checks that a translated completion can be written in this protocol before the attempt counts as a success.
     *
     * @throws AiException with the error that fails the attempt when the completion contains what this protocol
     *     cannot carry
     */
    default void checkCompletion(ObjectNode completion) {
    }

    /** Writes a response of a provider that speaks this protocol natively, as it is. */
    default void writeNative(HttpServerResponse response, Buffer body) {
        response.putHeader("content-type", "application/json").end(body);
    }

    /** Creates the writer of a streamed response. */
    StreamWriter streamWriter(HttpServerResponse response, ChatRequest request, Usage promptEstimate);

    /** Writes {@code error} with its status in this protocol's error shape. */
    void writeError(HttpServerResponse response, AiError error);
}

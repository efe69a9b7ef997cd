package io.portico.ai.frontend;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;

/** Ends streamed AI responses, whose usage may follow as trailers. */
public final class StreamEnd {

    private StreamEnd() {
    }

    /**
     * Ends {@code response}. An HTTP/2 response with trailers ends only once everything written before has been
     * written to the connection. Vert.x 5.0.7 queues the trailers behind data that waits to be written, with no
     * promise, and its stream then fails with a NullPointerException, logged at ERROR with a stack trace, when the
     * client's connection closes before they are sent. After an empty write has completed, the trailers are written
     * at once, and when the connection closes first, the response is not ended at all.
     */
    public static void end(HttpServerResponse response) {
        if (response.streamId() < 0 || response.trailers().isEmpty()) {
            response.end();
            return;
        }
        response.write(Buffer.buffer()).onSuccess(written -> response.end());
    }
}

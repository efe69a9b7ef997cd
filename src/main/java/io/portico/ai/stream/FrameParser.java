package io.portico.ai.stream;

import io.portico.ai.spi.Framing;
import io.portico.ai.spi.StreamFrame;
import io.vertx.core.buffer.Buffer;
import java.util.function.Consumer;

/** Splits the bytes of a streamed response into the provider's events, whatever the network's chunk boundaries. */
public interface FrameParser {

    /**
     * The largest line or event a parser accepts, in bytes, the same limit as the AWS event stream's largest
     * message. A longer one raises {@link FrameTooLargeException}.
     */
    int MAX_FRAME_BYTES = 16 * 1024 * 1024;

    /**
     * Consumes the next bytes and emits every event they complete.
     *
     * @throws FrameTooLargeException when a line or event grows beyond {@link #MAX_FRAME_BYTES}
     */
    void feed(Buffer bytes, Consumer<StreamFrame> frames);

    /** The stream ended: emits a last event that was not terminated, where the framing allows that. */
    void end(Consumer<StreamFrame> frames);

    /** Returns a new parser for {@code framing}. */
    static FrameParser create(Framing framing) {
        return switch (framing) {
            case SSE -> new SseParser();
            case JSON_LINES -> new JsonLinesParser();
            case AWS_EVENT_STREAM -> new EventStreamParser();
        };
    }
}

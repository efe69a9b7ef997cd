package io.portico.ai.stream;

/**
 * Thrown by a {@link FrameParser} when one line or event of a stream exceeds {@link FrameParser#MAX_FRAME_BYTES},
 * so a provider cannot make the gateway buffer an unbounded event. The stream cannot go on after it.
 */
public final class FrameTooLargeException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    FrameTooLargeException(String message) {
        super(message, null, false, false);
    }
}

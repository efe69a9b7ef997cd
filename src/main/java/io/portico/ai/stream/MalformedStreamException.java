package io.portico.ai.stream;

/**
 * Thrown by a {@link FrameParser} when a streamed response breaks its framing, such as an AWS event stream message
 * with a wrong CRC; the stream cannot continue.
 */
public final class MalformedStreamException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public MalformedStreamException(String message) {
        super(message);
    }
}

package io.portico.ai.stream;

import io.vertx.core.buffer.Buffer;

/**
 * Holds back the bytes of a server-sent event until the blank line that ends it arrives. A relay that passes a
 * stream on byte for byte can then end it with an event of its own, which must not land inside a provider's event.
 * An event longer than {@link FrameParser#MAX_FRAME_BYTES} is passed on before it ends, so that it is never
 * held whole, and until it ends the stream is not {@link #betweenEvents() between events}.
 */
public final class SseRelayBuffer {

    private Buffer held = Buffer.buffer();
    /** The characters of the current line so far, not counting its line break. */
    private long lineLength;
    /** True when the last byte read was a CR, so that an LF right after it ends no further line. */
    private boolean afterCr;
    /** True while an event that was passed on before its end has not ended yet. */
    private boolean insideEvent;

    /**
     * Reads the next bytes of the stream and returns the bytes to pass on now: the held bytes and those of
     * {@code bytes} up to the end of the last event that they complete. The rest is held back.
     */
    public Buffer feed(Buffer bytes) {
        int end = -1;
        int length = bytes.length();
        for (int i = 0; i < length; i++) {
            byte b = bytes.getByte(i);
            if (b == '\n' && afterCr) {
                // The LF of a CRLF: the CR already ended the line, and the LF belongs to the same line break.
                afterCr = false;
                if (end == i) {
                    end = i + 1;
                }
                continue;
            }
            afterCr = b == '\r';
            if (b != '\n' && b != '\r') {
                lineLength++;
                continue;
            }
            if (lineLength == 0) {
                end = i + 1;
            }
            lineLength = 0;
        }
        if (end < 0) {
            held.appendBuffer(bytes);
            if (held.length() <= FrameParser.MAX_FRAME_BYTES) {
                return Buffer.buffer();
            }
            insideEvent = true;
            return rest();
        }
        insideEvent = false;
        if (held.length() == 0 && end == length) {
            return bytes;
        }
        Buffer ready = held.appendBuffer(bytes, 0, end);
        held = bytes.getBuffer(end, length);
        return ready;
    }

    /** Returns the bytes held back and clears them. At the end of a stream, they are its unfinished event. */
    public Buffer rest() {
        Buffer rest = held;
        held = Buffer.buffer();
        return rest;
    }

    /**
     * Returns whether the bytes passed on so far end between two events, so that an event written after them is
     * a complete event of its own. Held bytes are not counted, because they were not passed on.
     */
    public boolean betweenEvents() {
        return !insideEvent;
    }
}

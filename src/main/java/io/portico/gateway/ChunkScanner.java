package io.portico.gateway;

import io.netty.buffer.ByteBuf;

/**
 * Follows the chunked framing of one request body, over the bytes Netty's decoder consumed, to check each chunk size
 * before Netty's value of it is trusted.
 *
 * <p>Netty 4.2.9 parses a chunk size into an int and rejects it only when the int turns negative, so a size of
 * 2^32 or more wraps around: {@code 100000000} reads as 0 and ends the body, {@code 100000003} reads as 3. This
 * scanner computes each size without overflow and reports a violation for every size of 2^31 or more, whatever
 * the number of hexadecimal digits. Leading zeros are allowed.
 *
 * <p>The scanner reads the framing as Netty does for every body Netty accepts: a size line up to LF, whose size is
 * the hexadecimal digits after optional whitespace; for a size above zero, that many bytes of data and a line end;
 * after the size 0, trailer lines up to an empty line. Where Netty rejects the framing, the scanner may read it
 * differently, which does not matter because the request is rejected and the connection closed.
 */
final class ChunkScanner {

    private enum State { SIZE, DATA, DATA_END, TRAILER, DONE }

    private State state = State.DONE;
    private boolean digitsStarted;
    private boolean digitsEnded;
    private long size;
    private long remaining;
    private boolean lineEmpty;
    private boolean violation;

    /** Starts following a new chunked body, whose first byte is a chunk size. */
    void start() {
        state = State.SIZE;
        startSizeLine();
        violation = false;
    }

    /** Returns true from {@link #start} until the empty line after the trailers, or until a violation. */
    boolean active() {
        return state != State.DONE;
    }

    /** Returns true once a chunk size of 2^31 or more was read. */
    boolean violation() {
        return violation;
    }

    /** Stops following the body, when the decoder reports its end or a failure. */
    void stop() {
        state = State.DONE;
    }

    /**
     * Reads the bytes of {@code buffer} from index {@code from} (inclusive) to {@code to} (exclusive), which continue
     * the bytes of the previous call. Stops at the end of the body or at a violation.
     */
    void scan(ByteBuf buffer, int from, int to) {
        int index = from;
        while (index < to && state != State.DONE) {
            if (state == State.DATA) {
                // Chunk data is skipped in bulk; only the framing around it is read byte by byte.
                int skipped = (int) Math.min(remaining, to - index);
                remaining -= skipped;
                index += skipped;
                if (remaining == 0) {
                    state = State.DATA_END;
                }
                continue;
            }
            process(buffer.getByte(index));
            index++;
        }
    }

    private void process(byte value) {
        switch (state) {
            case SIZE -> processSizeLine(value);
            case DATA_END -> {
                if (value == '\n') {
                    state = State.SIZE;
                    startSizeLine();
                }
            }
            case TRAILER -> {
                if (value == '\n') {
                    state = lineEmpty ? State.DONE : State.TRAILER;
                    lineEmpty = true;
                } else if (value != '\r') {
                    lineEmpty = false;
                }
            }
            default -> throw new IllegalStateException("no byte is read in state " + state);
        }
    }

    private void processSizeLine(byte value) {
        if (value == '\n') {
            if (size == 0) {
                state = State.TRAILER;
                lineEmpty = true;
            } else {
                state = State.DATA;
                remaining = size;
            }
            return;
        }
        if (digitsEnded) {
            return;
        }
        int digit = Character.digit(value, 16);
        if (digit < 0) {
            // Netty skips whitespace before the digits and rejects any other byte there, so only a byte after the
            // digits ends them.
            digitsEnded = digitsStarted;
            return;
        }
        digitsStarted = true;
        // size stays at most 2^31 - 1 here, so the multiplication cannot overflow a long.
        size = size * 16 + digit;
        if (size > Integer.MAX_VALUE) {
            violation = true;
            state = State.DONE;
        }
    }

    private void startSizeLine() {
        digitsStarted = false;
        digitsEnded = false;
        size = 0;
    }
}

package io.portico.gateway;

import io.netty.util.ByteProcessor;

/**
 * Reads the bytes of one request head, in order and across several buffers, to find a line that starts with a
 * space or tab. Such a line continues the previous header (obs-fold, RFC 9112 section 5.2), which Netty would
 * join into one value, or, before the first header, would be read differently by other parsers. Stops at the empty
 * line that ends the head.
 */
final class HeadScanner implements ByteProcessor {

    private boolean started;
    private boolean lineStart;
    private boolean ended;
    private boolean obsFold;

    /** Returns false, which stops {@code forEachByte}, at the end of the head or at an obs-fold. */
    @Override
    public boolean process(byte value) {
        if (ended || obsFold) {
            return false;
        }
        switch (value) {
            case '\n':
                if (lineStart && started) {
                    ended = true;
                    return false;
                }
                lineStart = started;
                return true;
            case '\r':
                return true;
            case ' ':
            case '\t':
                obsFold = lineStart;
                return !obsFold;
            default:
                started = true;
                lineStart = false;
                return true;
        }
    }

    /** Returns true once a byte of the request line arrived, not counting the empty lines Netty skips before it. */
    boolean started() {
        return started;
    }

    boolean foundObsFold() {
        return obsFold;
    }

    /** Prepares for the head of the next request on the connection. */
    void reset() {
        started = false;
        lineStart = false;
        ended = false;
        obsFold = false;
    }
}

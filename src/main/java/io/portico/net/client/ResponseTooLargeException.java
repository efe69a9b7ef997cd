package io.portico.net.client;

import java.io.IOException;

/** The failure of an exchange whose response content exceeded the limit of the body handler that collected it. */
public final class ResponseTooLargeException extends IOException {

    private static final long serialVersionUID = 1L;

    private final long maxBytes;

    public ResponseTooLargeException(long maxBytes) {
        super("the response is larger than " + maxBytes + " bytes");
        this.maxBytes = maxBytes;
    }

    /** Returns the limit that the response exceeded, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }
}

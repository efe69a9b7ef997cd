package io.portico.net.client;

import java.io.IOException;

/**
 * The failure of a request that {@link Http1Client#shutdown(long)} cut off: the client's drain time ended before the
 * response did, so the client closed the request's connection, or the request never got one. The server is not at
 * fault.
 */
public final class DrainExpiredException extends IOException {

    private static final long serialVersionUID = 1L;

    DrainExpiredException(long drainMillis) {
        super("the HTTP/1.1 client was shut down, and its drain time of " + drainMillis
                + " ms ended before the response did");
    }
}

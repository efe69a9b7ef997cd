package io.portico.net.client;

import java.io.IOException;

/**
 * The failure of an exchange whose server sent a response that cannot be relayed: a malformed head or framing, or a
 * status that the request did not allow, such as {@code 101 Switching Protocols} to a request that asked for no
 * upgrade. The connection is closed, because the bytes after such a response cannot be framed.
 */
public final class InvalidResponseException extends IOException {

    private static final long serialVersionUID = 1L;

    public InvalidResponseException(String message) {
        super(message);
    }

    public InvalidResponseException(String message, Throwable cause) {
        super(message, cause);
    }
}

package io.portico.net.client;

import java.io.IOException;

/**
 * The failure of an exchange whose server sent a response that cannot be relayed: a malformed head or framing, or a
 * status that the request did not allow, such as {@code 101 Switching Protocols} to a request that asked for no
 * upgrade. The connection is closed, because the bytes after such a response cannot be framed.
 */
public final class InvalidResponseException extends IOException {

    private static final long serialVersionUID = 1L;

    /** The fault of the response, without the server's address, or null when not given apart. */
    private final String reason;

    public InvalidResponseException(String message) {
        super(message);
        this.reason = null;
    }

    /**
     * Creates the failure of an invalid response from {@code server}.
     *
     * @param server the server's address, as host and port
     * @param reason the fault of the response, such as a malformed chunk
     */
    public static InvalidResponseException from(String server, String reason) {
        return new InvalidResponseException("invalid response from " + server + ": " + reason, reason);
    }

    private InvalidResponseException(String message, String reason) {
        super(message);
        this.reason = reason;
    }

    public InvalidResponseException(String message, Throwable cause) {
        super(message, cause);
        this.reason = null;
    }

    /** Returns the fault of the response, without the server's address, or null when not given apart. */
    public String reason() {
        return reason;
    }
}

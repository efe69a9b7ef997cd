package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

/**
 * Ends an AI request with an error the client receives in its protocol's shape. Front ends throw it for invalid
 * requests, and adapters for requests the provider cannot take, such as an image URL where only inline bytes go.
 */
public final class AiException extends RuntimeException {

    private final transient AiError error;

    public AiException(AiError error) {
        super(error.message(), null, false, false);
        this.error = requireNonNull(error, "error");
    }

    public static AiException badRequest(String message) {
        return new AiException(AiError.of(400, message));
    }

    public AiError error() {
        return error;
    }
}

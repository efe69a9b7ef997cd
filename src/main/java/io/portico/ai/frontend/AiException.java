package io.portico.ai.frontend;

import static java.util.Objects.requireNonNull;

import io.portico.ai.spi.AiError;

/** Ends an AI request with an error the client receives in its protocol's shape. */
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

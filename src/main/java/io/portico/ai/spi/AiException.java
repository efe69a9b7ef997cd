package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

/**
 * Ends an AI request with an error the client receives in its protocol's shape. Adapters throw it to reject a
 * request they cannot translate, such as an image URL for a provider that takes only inline images.
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

package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

/**
 * Thrown by an adapter that cannot build a provider call for a request, such as a request with an image the
 * provider cannot take; the gateway returns {@link #error()} to the client without calling the provider.
 */
public final class AiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient AiError error;

    public AiException(AiError error) {
        super(requireNonNull(error, "error").message());
        this.error = error;
    }

    /** The error to return to the client. */
    public AiError error() {
        return error;
    }
}

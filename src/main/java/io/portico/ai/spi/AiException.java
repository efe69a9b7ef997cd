package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

/**
 * Ends an AI request with an error the client receives in its protocol's shape. Front ends throw it for invalid
 * requests, and adapters for requests they cannot translate, such as an image the provider cannot take; the
 * gateway then returns {@link #error()} without calling the provider.
 */
public final class AiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient AiError error;

    public AiException(AiError error) {
        super(requireNonNull(error, "error").message(), null, false, false);
        this.error = error;
    }

    /** Creates an exception for an invalid request, status 400. */
    public static AiException badRequest(String message) {
        return new AiException(AiError.of(400, message));
    }

    /**
     * Creates an exception for an invalid request field, status 400.
     *
     * @param param the field in OpenAI's notation, such as {@code max_tokens} or {@code messages.[0].role}
     */
    public static AiException invalidParam(String param, String message) {
        return new AiException(new AiError(400, AiError.typeFor(400), null, message, -1, param));
    }

    /** The error to return to the client. */
    public AiError error() {
        return error;
    }
}

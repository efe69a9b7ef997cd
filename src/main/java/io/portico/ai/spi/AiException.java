package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

/**
 * Ends an AI request with an error the client receives in its protocol's shape. Front ends throw it for invalid
 * requests, and adapters for requests they cannot translate, such as an image the provider cannot take; the
 * gateway then returns {@link #error()} without calling the provider. Adapters also throw it for a successful
 * provider response whose output cannot be used, such as an invalid tool call, with the usage that the response
 * reported.
 */
public final class AiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient AiError error;
    private final transient Usage usage;

    public AiException(AiError error) {
        this(error, Usage.NONE);
    }

    /**
     * Creates the exception of a provider response that failed after the provider produced it.
     *
     * @param usage the token counts that the response reported; {@link Usage#NONE} when it reported none
     */
    public AiException(AiError error, Usage usage) {
        super(requireNonNull(error, "error").message(), null, false, false);
        this.error = error;
        this.usage = requireNonNull(usage, "usage");
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

    /**
     * Returns the token counts that the failed provider response reported; {@link Usage#NONE} for other failures.
     */
    public Usage usage() {
        return usage;
    }
}

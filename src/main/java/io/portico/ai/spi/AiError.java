package io.portico.ai.spi;

import java.util.Set;

/**
 * An error of an AI request, from the provider or from Portico, in terms both client protocols can express.
 *
 * @param status the HTTP status returned to the client
 * @param type the OpenAI error type, such as {@code invalid_request_error} or {@code rate_limit_error}
 * @param code the OpenAI error code, such as {@code model_not_found}; may be null
 * @param message a message for people; never contains a key
 * @param retryAfterMillis the provider's Retry-After in milliseconds, at most {@link #MAX_RETRY_AFTER_MILLIS};
 *     negative when it sent none
 * @param param the request field that the error is about, in OpenAI's notation such as {@code max_tokens} or
 *     {@code messages.[0].role}; null when the error is about no single field
 */
public record AiError(int status, String type, String code, String message, long retryAfterMillis, String param) {

    /** The longest Retry-After that Portico honours or passes on to a client: one hour. */
    public static final long MAX_RETRY_AFTER_MILLIS = 60 * 60 * 1000;

    /** The OpenAI error code of a rate limit that waiting lifts, with status 429. */
    public static final String RATE_LIMIT_EXCEEDED = "rate_limit_exceeded";

    /**
     * The OpenAI error type and code of a 429 that waiting does not lift, such as a billing quota that is used up.
     */
    public static final String INSUFFICIENT_QUOTA = "insufficient_quota";

    private static final String OVERLOADED = "overloaded_error";

    /**
     * The codes that the OpenAI API gives its own 429 errors: a request or token rate limit, a traffic increase
     * that was too fast, and the billing limits that waiting does not lift.
     */
    private static final Set<String> OPENAI_RATE_LIMIT_CODES = Set.of(RATE_LIMIT_EXCEEDED, "slow_down",
            INSUFFICIENT_QUOTA, "credit_balance_exhausted");

    /**
     * The codes of Portico's own limits that waiting lifts within seconds or a minute: a rate limit, a concurrency
     * limit and a token limit per minute. Each is its problem type with underscores.
     */
    private static final Set<String> PORTICO_RATE_LIMIT_CODES = Set.of("rate_limited", "concurrency_limited",
            "token_limit_exceeded");

    /** The codes of Portico's own limits per day or month: a call quota and a spend budget. */
    private static final Set<String> PORTICO_PERIOD_LIMIT_CODES = Set.of("quota_exceeded", "budget_exceeded");

    /** Caps {@code retryAfterMillis} at {@link #MAX_RETRY_AFTER_MILLIS}. */
    public AiError {
        retryAfterMillis = Math.min(retryAfterMillis, MAX_RETRY_AFTER_MILLIS);
    }

    /** Creates an error about no single request field. */
    public AiError(int status, String type, String code, String message, long retryAfterMillis) {
        this(status, type, code, message, retryAfterMillis, null);
    }

    public static AiError of(int status, String message) {
        return new AiError(status, typeFor(status), null, message, -1);
    }

    public static AiError of(int status, String code, String message) {
        return new AiError(status, typeFor(status), code, message, -1);
    }

    /**
     * Returns the OpenAI error type that usually goes with {@code status}. A 401 is an {@code invalid_request_error},
     * as the OpenAI API types its errors for an invalid key.
     */
    public static String typeFor(int status) {
        return switch (status) {
            case 400, 401, 404, 413, 422 -> "invalid_request_error";
            case 403 -> "permission_error";
            case 429 -> "rate_limit_error";
            case 504 -> "timeout_error";
            case 529 -> "overloaded_error";
            default -> status >= 500 ? "api_error" : "invalid_request_error";
        };
    }

    /** Returns the Anthropic error type for this error's status, or {@code overloaded_error} when the type is that. */
    public String anthropicType() {
        if (OVERLOADED.equals(type)) {
            // An error event in a stream has no status of its own, so the provider's type is kept.
            return OVERLOADED;
        }
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 413 -> "request_too_large";
            case 429 -> "rate_limit_error";
            case 503, 529 -> "overloaded_error";
            case 504 -> "timeout_error";
            default -> status < 500 ? "invalid_request_error" : "api_error";
        };
    }

    /**
     * Returns a provider's 429 in the shape that Portico gives every rate limit of a provider: type
     * {@code rate_limit_error} with code {@code rate_limit_exceeded}. A 429 that already has one of the OpenAI API's
     * own 429 codes keeps its type and code, because clients tell a billing limit from a rate limit by the code.
     * Errors with another status are returned as they are.
     */
    public AiError asProviderRateLimit() {
        if (status != 429 || code != null && OPENAI_RATE_LIMIT_CODES.contains(code)) {
            return this;
        }
        return new AiError(status, "rate_limit_error", RATE_LIMIT_EXCEEDED, message, retryAfterMillis, param);
    }

    /**
     * Returns this error as an OpenAI client receives it. The OpenAI API has no status 529, so a provider's 529
     * (Anthropic's {@code overloaded_error}) becomes 503 with type {@code service_unavailable_error} and code
     * {@code server_is_overloaded}, the shape of the OpenAI API's own overload errors.
     *
     * <p>A 429 of Portico's own limits gets the type and code that the OpenAI API gives its 429s, because OpenAI
     * clients tell by them whether waiting helps. A rate limit, a concurrency limit and a token limit per minute
     * become type {@code rate_limit_error} with code {@code rate_limit_exceeded}. A call quota and a spend budget
     * of a day or month become {@link #INSUFFICIENT_QUOTA} as type and code, as a used-up OpenAI billing quota is,
     * since a retry within minutes finds them spent too. Any other error is returned as it is.
     */
    public AiError forOpenAiClient() {
        if (status == 529) {
            return new AiError(503, "service_unavailable_error", "server_is_overloaded", message, retryAfterMillis,
                    param);
        }
        if (status == 429 && code != null && PORTICO_RATE_LIMIT_CODES.contains(code)) {
            return new AiError(status, "rate_limit_error", RATE_LIMIT_EXCEEDED, message, retryAfterMillis, param);
        }
        if (periodLimit()) {
            return new AiError(status, INSUFFICIENT_QUOTA, INSUFFICIENT_QUOTA, message, retryAfterMillis, param);
        }
        return this;
    }

    /**
     * Returns whether this is the 429 of a call quota or a spend budget of Portico's, which lasts until its day or
     * month ends, so that a client's automatic retry cannot succeed.
     */
    public boolean periodLimit() {
        return status == 429 && code != null && PORTICO_PERIOD_LIMIT_CODES.contains(code);
    }

    /** True for failures worth another attempt: rate limits, server errors and timeouts. */
    public boolean retryable() {
        return status == 429 || status == 408 || status >= 500;
    }
}

package io.portico.ai.frontend;

import io.portico.ai.spi.AiError;
import io.vertx.core.http.HttpServerResponse;

/** The headers that tell a client whether and when to retry an AI error response, in either protocol. */
final class RetryHeaders {

    private RetryHeaders() {
    }

    /**
     * Sets the retry headers of an error response sent with {@code status}. A 429 or 503 whose error has a wait gets
     * {@code Retry-After} in whole seconds, rounded up. A call quota or spend budget ({@link AiError#periodLimit()})
     * gets {@code x-should-retry: false}: the SDKs that Stainless generates, such as the OpenAI Java SDK 4.105.0 and
     * the Anthropic Java SDK 3.16.0, retry every 429 unless that header says {@code false}.
     */
    static void set(HttpServerResponse response, int status, AiError error) {
        if (error.retryAfterMillis() > 0 && (status == 429 || status == 503)) {
            response.putHeader("retry-after", Long.toString((error.retryAfterMillis() + 999) / 1000));
        }
        if (error.periodLimit()) {
            response.putHeader("x-should-retry", "false");
        }
    }
}

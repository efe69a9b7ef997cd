package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import io.vertx.core.buffer.Buffer;

/**
 * A provider's non-streamed chat completion copied for a client of OpenAI's Chat Completions API, by
 * {@link ProviderAdapter#copyChatResponse}.
 *
 * @param json the completion as the client receives it
 * @param usage the token counts that the completion reports
 */
public record CopiedCompletion(Buffer json, Usage usage) {

    public CopiedCompletion {
        requireNonNull(json, "json");
        requireNonNull(usage, "usage");
    }
}

package io.portico.ai;

/**
 * What a chat request may consume, known before any provider is called.
 *
 * @param model the model the client requested, a virtual model or {@code provider/model}
 * @param promptTokens the prompt's tokens as counted with the o200k_base encoding; an estimate for models with
 *     other tokenizers
 * @param maxTokens the output tokens the client allows, from {@code max_tokens} or {@code max_completion_tokens};
 *     0 when the request sets none
 */
public record ChatEstimate(String model, long promptTokens, long maxTokens) {

    /** The tokens the request may consume at most, as far as the request says. */
    public long tokens() {
        return promptTokens + maxTokens;
    }
}

package io.portico.ai;

/**
 * The tokens an AI request may consume, known before any provider is called.
 *
 * @param model the model the client requested, a virtual model or {@code provider/model}
 * @param inputTokens the input's tokens as counted with the o200k_base encoding, an estimate for models with other
 *     tokenizers: the prompt of a chat request, the input and instructions of a Responses API request, the texts
 *     and token ids of an embeddings request, and 0 for token counting, which consumes no tokens
 * @param maxOutputTokens the output tokens the client allows, from {@code max_tokens},
 *     {@code max_completion_tokens} or {@code max_output_tokens}; 0 when the request sets none or produces no output
 */
public record TokenEstimate(String model, long inputTokens, long maxOutputTokens) {

    /** Returns the maximum tokens the request may consume, as far as its body states. */
    public long tokens() {
        return inputTokens + maxOutputTokens;
    }
}

package io.portico.ai.provider;

/**
 * The differences between providers that speak OpenAI's Chat Completions protocol.
 *
 * @param auth how the key is sent
 * @param maxTokensField the field that carries the output limit: {@code max_completion_tokens} or {@code max_tokens}
 * @param streamUsage true when the provider accepts {@code stream_options.include_usage}
 * @param responses true when the provider offers the Responses API
 * @param embeddings true when the provider offers embeddings
 * @param topK true when the provider accepts {@code top_k}
 * @param imageUrls true when the provider fetches images given by URL itself
 */
public record OpenAiDialect(Auth auth, String maxTokensField, boolean streamUsage, boolean responses,
                            boolean embeddings, boolean topK, boolean imageUrls) {

    /** How an OpenAI-compatible provider expects its key. */
    public enum Auth {
        /** {@code Authorization: Bearer KEY}, sent only when a key is configured. */
        BEARER,
        /** Azure OpenAI's {@code api-key: KEY}. */
        AZURE
    }

    /** OpenAI itself. */
    public static final OpenAiDialect OPENAI =
            new OpenAiDialect(Auth.BEARER, "max_completion_tokens", true, true, true, false, true);
    /** The usual OpenAI-compatible provider. */
    public static final OpenAiDialect COMPATIBLE =
            new OpenAiDialect(Auth.BEARER, "max_tokens", true, false, true, true, true);
    /** A server on the user's own machines, which usually cannot fetch images from the internet. */
    public static final OpenAiDialect LOCAL =
            new OpenAiDialect(Auth.BEARER, "max_tokens", true, false, true, true, false);
}

package io.portico.ai.spi;

/**
 * Token counts of one model call. Input tokens include cached ones, as OpenAI counts them; cache writes are
 * counted apart because some providers bill them at their own price.
 *
 * @param inputTokens prompt tokens, cached ones included
 * @param outputTokens generated tokens, reasoning ones included
 * @param cachedInputTokens prompt tokens read from the provider's prompt cache
 * @param cacheWriteTokens prompt tokens written to the provider's prompt cache
 * @param reasoningTokens generated tokens spent on reasoning
 * @param estimated true when Portico counted the tokens itself because the provider reported none
 */
public record Usage(long inputTokens, long outputTokens, long cachedInputTokens, long cacheWriteTokens,
                    long reasoningTokens, boolean estimated) {

    public static final Usage NONE = new Usage(0, 0, 0, 0, 0, false);

    public long totalTokens() {
        return inputTokens + outputTokens;
    }

    /**
     * Returns the sum of this usage and {@code other}, such as the usage of two provider calls. The sum is estimated
     * when either of them is.
     */
    public Usage plus(Usage other) {
        return new Usage(inputTokens + other.inputTokens, outputTokens + other.outputTokens,
                cachedInputTokens + other.cachedInputTokens, cacheWriteTokens + other.cacheWriteTokens,
                reasoningTokens + other.reasoningTokens, estimated || other.estimated);
    }

    /** Returns this usage with each count that {@code later} reports replacing the one here. */
    public Usage merge(Usage later) {
        return new Usage(
                later.inputTokens > 0 ? later.inputTokens : inputTokens,
                later.outputTokens > 0 ? later.outputTokens : outputTokens,
                later.cachedInputTokens > 0 ? later.cachedInputTokens : cachedInputTokens,
                later.cacheWriteTokens > 0 ? later.cacheWriteTokens : cacheWriteTokens,
                later.reasoningTokens > 0 ? later.reasoningTokens : reasoningTokens,
                estimated && later.estimated);
    }
}

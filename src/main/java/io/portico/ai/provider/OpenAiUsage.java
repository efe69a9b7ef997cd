package io.portico.ai.provider;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.spi.Usage;

/** Reads OpenAI-shaped usage objects, including the variants compatible providers send. */
public final class OpenAiUsage {

    private OpenAiUsage() {
    }

    /** Reads {@code usage}, or returns {@link Usage#NONE} when it is missing or null. */
    public static Usage read(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return Usage.NONE;
        }
        long cached = Wire.number(usage.get("prompt_tokens_details"), "cached_tokens");
        if (cached == 0) {
            // DeepSeek reports cache hits apart; Moonshot puts cached_tokens at the top level of usage.
            cached = Math.max(Wire.number(usage, "prompt_cache_hit_tokens"), Wire.number(usage, "cached_tokens"));
        }
        return new Usage(
                Wire.number(usage, "prompt_tokens"),
                Wire.number(usage, "completion_tokens"),
                cached,
                Wire.number(usage.get("prompt_tokens_details"), "cache_write_tokens"),
                Wire.number(usage.get("completion_tokens_details"), "reasoning_tokens"),
                false);
    }

    /**
     * Finds usage wherever a provider put it in a response or chunk: at the top level, under {@code x_groq}, or
     * inside the first choice. Returns null when there is none.
     */
    public static JsonNode find(JsonNode body) {
        JsonNode usage = body.get("usage");
        if (usage != null && usage.isObject()) {
            return usage;
        }
        JsonNode groq = body.get("x_groq");
        if (groq != null && groq.get("usage") != null && groq.get("usage").isObject()) {
            return groq.get("usage");
        }
        JsonNode choices = body.get("choices");
        if (choices != null && choices.isArray() && !choices.isEmpty()) {
            JsonNode inChoice = choices.get(0).get("usage");
            if (inChoice != null && inChoice.isObject()) {
                return inChoice;
            }
        }
        return null;
    }

    /**
     * Writes {@code usage} as an OpenAI usage object. Cache writes, which {@code prompt_tokens} includes, also go to
     * {@code prompt_tokens_details.cache_write_tokens} when there are any.
     */
    public static ObjectNode write(Usage usage) {
        var node = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode()
                .put("prompt_tokens", usage.inputTokens())
                .put("completion_tokens", usage.outputTokens())
                .put("total_tokens", usage.totalTokens());
        ObjectNode prompt = node.putObject("prompt_tokens_details").put("cached_tokens", usage.cachedInputTokens());
        if (usage.cacheWriteTokens() > 0) {
            prompt.put("cache_write_tokens", usage.cacheWriteTokens());
        }
        node.putObject("completion_tokens_details").put("reasoning_tokens", usage.reasoningTokens());
        return node;
    }
}

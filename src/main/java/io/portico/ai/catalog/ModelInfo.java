package io.portico.ai.catalog;

import static java.util.Objects.requireNonNull;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One model of one provider: the id sent in requests, its limits, what it supports and what it costs.
 *
 * @param provider provider type id, for example {@code openai} or {@code bedrock}
 * @param id model id as the provider expects it in requests
 * @param aliases other ids that resolve to this entry, such as dated snapshots
 * @param mode {@link #CHAT} or {@link #EMBEDDING}
 * @param contextWindow tokens the model accepts in one request as its source states it, or {@code null} if unknown
 * @param maxOutputTokens tokens the model can generate in one response, or {@code null} if unknown
 * @param capabilities features the model supports, each one of {@link #CAPABILITIES}
 * @param price list price, or {@code null} when the model has none (local models) or none was recorded
 */
public record ModelInfo(String provider, String id, List<String> aliases, String mode, Integer contextWindow,
                        Integer maxOutputTokens, Set<String> capabilities, ModelPrice price) {

    /** Mode of models that serve chat completions and messages. */
    public static final String CHAT = "chat";

    /** Mode of models that return embeddings. */
    public static final String EMBEDDING = "embedding";

    /** Every mode a catalog entry may have. */
    public static final Set<String> MODES = Set.of(CHAT, EMBEDDING);

    /** Every capability a catalog entry may list. */
    public static final Set<String> CAPABILITIES = Set.of("tools", "vision", "json-schema", "reasoning", "embeddings");

    /** Checks the required fields and copies the collections, so an instance never changes. */
    public ModelInfo {
        requireNonNull(provider, "provider");
        requireNonNull(id, "id");
        requireNonNull(mode, "mode");
        aliases = aliases == null ? List.of() : List.copyOf(aliases);
        capabilities = capabilities == null ? Set.of()
                : Collections.unmodifiableSet(new LinkedHashSet<>(capabilities));
    }

    /** Returns whether the model lists {@code capability}, for example {@code "tools"}. */
    public boolean supports(String capability) {
        return capabilities.contains(capability);
    }
}

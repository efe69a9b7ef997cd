package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import io.portico.ai.catalog.ModelInfo;
import io.portico.config.ProviderSpec;

/**
 * What one call goes to: a configured provider, a model id it serves, and the key chosen from its pool.
 *
 * @param provider the provider's configuration
 * @param baseUrl the provider's base URL without a trailing slash: configured, or the type's default
 * @param model the provider's model id
 * @param key the API key for this call; null for providers that authenticate otherwise or not at all
 * @param info the model's catalog entry; null when the catalog does not know the model
 */
public record CallTarget(ProviderSpec provider, String baseUrl, String model, String key, ModelInfo info) {

    public CallTarget {
        requireNonNull(provider, "provider");
        requireNonNull(baseUrl, "baseUrl");
        requireNonNull(model, "model");
    }

    /** Returns the model's maximum output tokens from the catalog, or {@code fallback} when unknown. */
    public int maxOutputTokens(int fallback) {
        return info == null || info.maxOutputTokens() == null ? fallback : info.maxOutputTokens();
    }
}

package io.portico.ai.provider;

import static java.util.Objects.requireNonNull;

import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.config.Errors;
import io.portico.config.ProviderSpec;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * A kind of provider that a provider's {@code type} names: the protocol adapter and the defaults.
 *
 * @param id the type name used in configuration
 * @param displayName the provider's name for people
 * @param defaultBaseUrl the public endpoint; null when every installation has its own and {@code baseUrl} is required
 * @param keyRequired true when calls need an API key
 * @param adapter creates the adapter, once per gateway
 * @param validator checks the fields this type needs beyond the common ones, such as a region
 */
public record ProviderType(String id, String displayName, String defaultBaseUrl, boolean keyRequired,
                           Function<AdapterContext, ProviderAdapter> adapter,
                           BiConsumer<ProviderSpec, Errors> validator) {

    public ProviderType {
        requireNonNull(id, "id");
        requireNonNull(displayName, "displayName");
        requireNonNull(adapter, "adapter");
        validator = validator == null ? (spec, errors) -> { } : validator;
    }
}

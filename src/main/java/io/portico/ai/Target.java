package io.portico.ai;

import static java.util.Objects.requireNonNull;

/**
 * One provider model that can serve a request.
 *
 * @param provider the provider
 * @param model the provider's model id
 * @param weight share under the weighted strategy
 */
record Target(ProviderRuntime provider, String model, int weight) {

    Target {
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
    }

    TargetStats stats() {
        return provider.stats(model);
    }

    /** The {@code provider/model} name of this target. */
    String address() {
        return provider.name() + "/" + model;
    }
}

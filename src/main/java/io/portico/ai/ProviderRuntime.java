package io.portico.ai;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.portico.ai.provider.ProviderType;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.config.ProviderSpec;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;

/** A configured provider with its adapter, key pool and per-model statistics; kept while its spec is unchanged. */
final class ProviderRuntime {

    /** The maximum number of models whose statistics one provider keeps. */
    static final int MAX_MODELS = 1024;

    private final ProviderSpec spec;
    private final ProviderType type;
    private final ProviderAdapter adapter;
    private final String baseUrl;
    private final KeyPool keys;
    private final ProviderSecrets secrets;
    private final ProviderFailureLog failures;
    /**
     * The statistics of each model called recently. Clients may name any model as {@code provider/model}, so the
     * entries are bounded: names unused for an hour are forgotten, and beyond {@value #MAX_MODELS} names the least
     * used go first, which keeps those of the models that serve traffic.
     */
    private final Cache<String, TargetStats> stats = Caffeine.newBuilder().maximumSize(MAX_MODELS)
            .expireAfterAccess(Duration.ofHours(1)).executor(Runnable::run).build();
    /** The function that creates a model's statistics on its first call, made once so that lookups allocate none. */
    private final Function<String, TargetStats> newStats = this::newStats;

    ProviderRuntime(ProviderSpec spec, ProviderType type, ProviderAdapter adapter) {
        this.spec = requireNonNull(spec, "spec");
        this.type = requireNonNull(type, "type");
        this.adapter = requireNonNull(adapter, "adapter");
        String base = spec.baseUrl() != null ? spec.baseUrl() : type.defaultBaseUrl();
        this.baseUrl = base == null ? "" : base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        this.keys = new KeyPool(spec);
        this.secrets = new ProviderSecrets(spec);
        this.failures = new ProviderFailureLog(spec.name());
    }

    String name() {
        return spec.name();
    }

    ProviderSpec spec() {
        return spec;
    }

    ProviderType type() {
        return type;
    }

    ProviderAdapter adapter() {
        return adapter;
    }

    String baseUrl() {
        return baseUrl;
    }

    KeyPool keys() {
        return keys;
    }

    /** Returns the credentials of this provider, for removing them from its error messages. */
    ProviderSecrets secrets() {
        return secrets;
    }

    /** Returns the rate-limited WARN log of this provider's failed calls. */
    ProviderFailureLog failures() {
        return failures;
    }

    /** Returns the statistics and circuit breaker of each model called so far, by model id. */
    Map<String, TargetStats> allStats() {
        return Map.copyOf(stats.asMap());
    }

    TargetStats stats(String model) {
        return stats.get(model, newStats);
    }

    private TargetStats newStats(String model) {
        return new TargetStats(spec.circuitBreaker() == null ? null
                : new CircuitBreaker("model '" + model + "' of provider '" + spec.name() + "'",
                        spec.circuitBreaker()));
    }
}

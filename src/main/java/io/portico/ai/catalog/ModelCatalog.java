package io.portico.ai.catalog;

import java.math.BigDecimal;
import java.util.List;
import java.util.Optional;

/** The models Portico knows, with limits and prices. */
public final class ModelCatalog {

    private static final ModelCatalog BUILT_IN = new ModelCatalog();

    private ModelCatalog() {
    }

    public static ModelCatalog builtIn() {
        return BUILT_IN;
    }

    public static ModelCatalog load(java.nio.file.Path file) {
        return BUILT_IN;
    }

    public Optional<ModelInfo> find(String provider, String model) {
        return Optional.empty();
    }

    public List<ModelInfo> all() {
        return List.of();
    }

    public BigDecimal cost(ModelInfo model, long inputTokens, long outputTokens, long cachedInputTokens) {
        return BigDecimal.ZERO;
    }
}

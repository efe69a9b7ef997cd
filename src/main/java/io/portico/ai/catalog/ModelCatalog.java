package io.portico.ai.catalog;

import static java.util.Objects.requireNonNull;

import io.portico.config.ValidationException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The models of the AI gateway's providers, with their limits, capabilities and prices. A catalog is immutable and
 * safe to share between threads.
 *
 * <p>{@link #builtIn()} is the catalog shipped in {@code models.yaml}, and {@link #load(Path)} lays an operator's
 * file of the same shape over it. {@link #find(String, String)} resolves the model name of a request and
 * {@link #cost(ModelInfo, long, long, long)} prices its token usage.
 */
public final class ModelCatalog {

    /** Scale of the US dollar amounts that {@link #cost} returns. */
    public static final int COST_SCALE = 10;

    private static final String RESOURCE = "models.yaml";
    private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);
    /** Characters after which a request's model name may carry a date or version suffix unknown to the catalog. */
    private static final String SUFFIX_BOUNDARIES = "-@:";
    /** Providers whose requests fall back to another provider's entries when they have no entry of their own. */
    private static final Map<String, String> FALLBACK_PROVIDERS = Map.of("azure-openai", "openai");

    private final List<ModelInfo> models;
    private final Map<String, Map<String, ModelInfo>> idsByProvider = new HashMap<>();
    private final Map<String, Map<String, ModelInfo>> aliasesByProvider = new HashMap<>();

    private ModelCatalog(List<ModelInfo> models, List<ModelInfo> overrides) {
        this.models = List.copyOf(models);
        index(models, overrides);
    }

    /** Returns the catalog shipped with Portico, read once from the {@code models.yaml} resource. */
    public static ModelCatalog builtIn() {
        return BuiltIn.CATALOG;
    }

    /**
     * Returns the built-in catalog with the entries of {@code file} (YAML, or JSON when the name ends in
     * {@code .json}) merged over it: an entry with the provider and id of a built-in entry replaces it, and
     * any other entry is added.
     *
     * @throws ValidationException if the file cannot be read or has invalid fields. Each error names the field's
     *     path, for example {@code models[3].price.input}
     */
    public static ModelCatalog load(Path file) {
        requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ValidationException(file.toString(),
                    "cannot be read: " + e.getMessage() + "; check the path and its permissions");
        }
        boolean json = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".json");
        return builtIn().mergedWith(CatalogReader.read(text, json, file.toString()));
    }

    /**
     * Finds the entry for {@code model} as a request to {@code provider} names it, ignoring case.
     *
     * <p>The name is matched against entry ids first, then against aliases, and then, for a name with a date or
     * version suffix the catalog does not list (such as {@code gpt-4o-2025-01-01}), against the longest id or alias
     * that is a prefix of the name ending just before a {@code -}, {@code @} or {@code :}. A provider without an
     * entry of its own falls back to another provider's entries at each step: {@code azure-openai} to
     * {@code openai}.
     */
    public Optional<ModelInfo> find(String provider, String model) {
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
        List<String> providers = lookupOrder(normalize(provider));
        String name = normalize(model);
        for (String candidate : providers) {
            ModelInfo found = idsByProvider.getOrDefault(candidate, Map.of()).get(name);
            if (found != null) {
                return Optional.of(found);
            }
        }
        for (String candidate : providers) {
            ModelInfo found = aliasesByProvider.getOrDefault(candidate, Map.of()).get(name);
            if (found != null) {
                return Optional.of(found);
            }
        }
        for (String candidate : providers) {
            ModelInfo found = findByPrefix(candidate, name);
            if (found != null) {
                return Optional.of(found);
            }
        }
        return Optional.empty();
    }

    /**
     * Returns true when the catalog has an entry whose id or alias is {@code model}, ignoring case, for
     * {@code provider} or the provider it falls back to. Unlike {@link #find}, it matches no prefix, so a made-up
     * name such as {@code gpt-4o-x} is not listed.
     */
    public boolean lists(String provider, String model) {
        requireNonNull(provider, "provider");
        requireNonNull(model, "model");
        String name = normalize(model);
        for (String candidate : lookupOrder(normalize(provider))) {
            if (idsByProvider.getOrDefault(candidate, Map.of()).containsKey(name)
                    || aliasesByProvider.getOrDefault(candidate, Map.of()).containsKey(name)) {
                return true;
            }
        }
        return false;
    }

    /** Returns every entry, built-in ones first in file order, then the ones an operator's file added. */
    public List<ModelInfo> all() {
        return models;
    }

    /**
     * Computes the price of one request in US dollars, at scale {@link #COST_SCALE}, rounding half up.
     *
     * <p>{@code cachedInputTokens} are the part of {@code inputTokens} that the provider served from its prompt
     * cache. They are billed at the cached-input price when the model lists one, and at the input price otherwise.
     * A model without a price costs zero.
     *
     * @throws IllegalArgumentException if a count is negative or {@code cachedInputTokens} exceeds
     *     {@code inputTokens}
     */
    public BigDecimal cost(ModelInfo model, long inputTokens, long outputTokens, long cachedInputTokens) {
        requireNonNull(model, "model");
        if (inputTokens < 0 || outputTokens < 0 || cachedInputTokens < 0) {
            throw new IllegalArgumentException("token counts must not be negative: input " + inputTokens
                    + ", output " + outputTokens + ", cached input " + cachedInputTokens);
        }
        if (cachedInputTokens > inputTokens) {
            throw new IllegalArgumentException("cached input tokens (" + cachedInputTokens
                    + ") are part of the input tokens and cannot exceed them (" + inputTokens + ")");
        }
        ModelPrice price = model.price();
        if (price == null) {
            return BigDecimal.ZERO.setScale(COST_SCALE);
        }
        BigDecimal perMillionTokens = price.input().multiply(BigDecimal.valueOf(inputTokens - cachedInputTokens))
                .add(price.cachedInputOrInput().multiply(BigDecimal.valueOf(cachedInputTokens)))
                .add(price.output().multiply(BigDecimal.valueOf(outputTokens)));
        return perMillionTokens.divide(MILLION, COST_SCALE, RoundingMode.HALF_UP);
    }

    /** Returns a catalog with {@code overrides} replacing the entries of the same provider and id, or added. */
    ModelCatalog mergedWith(List<ModelInfo> overrides) {
        Map<String, ModelInfo> merged = new LinkedHashMap<>();
        for (ModelInfo model : models) {
            merged.put(key(model.provider(), model.id()), model);
        }
        for (ModelInfo model : overrides) {
            merged.put(key(model.provider(), model.id()), model);
        }
        return new ModelCatalog(new ArrayList<>(merged.values()), overrides);
    }

    /**
     * Indexes ids and aliases per provider. Overriding entries are indexed last, so that where an operator's
     * alias names the same model as a built-in alias, the operator's entry wins.
     */
    private void index(List<ModelInfo> all, List<ModelInfo> overrides) {
        List<ModelInfo> order = new ArrayList<>(all);
        order.removeAll(overrides);
        order.addAll(overrides);
        for (ModelInfo model : order) {
            idsByProvider.computeIfAbsent(model.provider(), p -> new HashMap<>()).put(normalize(model.id()), model);
            Map<String, ModelInfo> aliases = aliasesByProvider.computeIfAbsent(model.provider(), p -> new HashMap<>());
            for (String alias : model.aliases()) {
                aliases.put(normalize(alias), model);
            }
        }
    }

    private ModelInfo findByPrefix(String provider, String name) {
        Map<String, ModelInfo> ids = idsByProvider.getOrDefault(provider, Map.of());
        Map<String, ModelInfo> aliases = aliasesByProvider.getOrDefault(provider, Map.of());
        for (int end = name.length() - 1; end > 0; end--) {
            if (SUFFIX_BOUNDARIES.indexOf(name.charAt(end)) < 0) {
                continue;
            }
            String head = name.substring(0, end);
            ModelInfo found = ids.getOrDefault(head, aliases.get(head));
            if (found != null) {
                return found;
            }
        }
        return null;
    }

    private static List<String> lookupOrder(String provider) {
        String fallback = FALLBACK_PROVIDERS.get(provider);
        return fallback == null ? List.of(provider) : List.of(provider, fallback);
    }

    private static String key(String provider, String id) {
        return normalize(provider) + " " + normalize(id);
    }

    private static String normalize(String name) {
        return name.trim().toLowerCase(Locale.ROOT);
    }

    private static List<ModelInfo> readResource() {
        try (InputStream in = ModelCatalog.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the built-in model catalog " + RESOURCE + " is missing from the "
                        + "class path next to " + ModelCatalog.class.getName());
            }
            return CatalogReader.read(new String(in.readAllBytes(), StandardCharsets.UTF_8), false, RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the built-in model catalog " + RESOURCE, e);
        }
    }

    /** Holder that reads the built-in catalog once, on first use. Class initialisation makes the read thread-safe. */
    private static final class BuiltIn {
        private static final ModelCatalog CATALOG = new ModelCatalog(readResource(), List.of());
    }
}

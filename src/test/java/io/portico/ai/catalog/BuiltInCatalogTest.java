package io.portico.ai.catalog;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The catalog shipped in {@code models.yaml}: it loads, is broad enough and every price says where it came from. */
class BuiltInCatalogTest {

    private static final List<String> PROVIDERS = List.of("openai", "azure-openai", "anthropic", "gemini", "vertex",
            "bedrock", "mistral", "cohere", "ollama", "deepseek", "groq", "together", "fireworks", "openrouter",
            "xai", "perplexity", "cerebras", "siliconflow", "moonshot", "zhipu", "dashscope", "minimax",
            "volcengine", "nvidia-nim", "huggingface", "sambanova", "deepinfra", "novita", "nebius");

    private final ModelCatalog catalog = ModelCatalog.builtIn();

    @Test
    void builtInHasAtLeast300Models() {
        assertThat(catalog.all()).hasSizeGreaterThanOrEqualTo(300);
    }

    @Test
    void builtInIsReadOnce() {
        assertThat(ModelCatalog.builtIn()).isSameAs(catalog);
    }

    @Test
    void everyProviderHasAModel() {
        Set<String> providers = catalog.all().stream().map(ModelInfo::provider).collect(Collectors.toSet());

        assertThat(providers).containsAll(PROVIDERS);
    }

    @Test
    void everyEntryUsesAKnownProvider() {
        assertThat(catalog.all()).allSatisfy(model -> assertThat(PROVIDERS).contains(model.provider()));
    }

    @Test
    void everyPriceHasSourceAndDate() {
        List<ModelPrice> prices = catalog.all().stream().map(ModelInfo::price).filter(p -> p != null).toList();

        assertThat(prices).hasSizeGreaterThan(300);
        assertThat(prices).allSatisfy(price -> {
            assertThat(price.source()).startsWith("https://");
            assertThat(price.date()).isNotNull();
        });
    }

    /** Pins the list of unpriced Claude models on Vertex AI, which docs/model-catalog.md repeats. */
    @Test
    void unpricedVertexClaudeModels() {
        List<String> unpriced = catalog.all().stream()
                .filter(model -> model.provider().equals("vertex") && model.id().startsWith("claude"))
                .filter(model -> model.price() == null).map(ModelInfo::id).sorted().toList();

        assertThat(unpriced).containsExactly("claude-opus-4-1@20250805", "claude-opus-4-5@20251101",
                "claude-opus-4-6", "claude-opus-4@20250514", "claude-sonnet-4-5@20250929", "claude-sonnet-4-6",
                "claude-sonnet-4@20250514");
    }

    @Test
    void localModelsHaveNoPrice() {
        assertThat(catalog.all()).filteredOn(model -> model.provider().equals("ollama"))
                .isNotEmpty()
                .allSatisfy(model -> assertThat(model.price()).isNull());
    }

    @Test
    void chatAndEmbeddingModesArePresent() {
        assertThat(catalog.all()).extracting(ModelInfo::mode).contains(ModelInfo.CHAT, ModelInfo.EMBEDDING);
    }

    @Test
    void embeddingModelsListTheEmbeddingsCapability() {
        assertThat(catalog.all()).filteredOn(model -> model.mode().equals(ModelInfo.EMBEDDING))
                .isNotEmpty()
                .allSatisfy(model -> assertThat(model.supports("embeddings")).isTrue());
    }

    @Test
    void limitsArePositiveWhereKnown() {
        assertThat(catalog.all()).allSatisfy(model -> {
            if (model.contextWindow() != null) {
                assertThat(model.contextWindow()).isPositive();
            }
            if (model.maxOutputTokens() != null) {
                assertThat(model.maxOutputTokens()).isPositive();
            }
        });
    }

    @Test
    void wellKnownModelsResolve() {
        assertThat(catalog.find("openai", "gpt-4o")).get()
                .satisfies(model -> assertThat(model.maxOutputTokens()).isEqualTo(16384));
        assertThat(catalog.find("anthropic", "claude-sonnet-4-5-20250929")).isPresent();
        assertThat(catalog.find("gemini", "gemini-2.5-pro")).isPresent();
        assertThat(catalog.find("bedrock", "global.anthropic.claude-haiku-4-5-20251001-v1:0")).isPresent();
        assertThat(catalog.find("vertex", "claude-3-5-sonnet-v2@20241022")).isPresent();
        assertThat(catalog.find("openai", "text-embedding-3-small")).get()
                .extracting(ModelInfo::mode).isEqualTo(ModelInfo.EMBEDDING);
    }
}

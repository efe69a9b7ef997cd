package io.portico.ai.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@link ModelCatalog#find} resolves the model name of a request. */
class ModelCatalogFindTest {

    private final ModelCatalog catalog = ModelCatalog.builtIn();

    @Test
    void findsExactId() {
        assertThat(catalog.find("openai", "gpt-4o")).get().extracting(ModelInfo::id).isEqualTo("gpt-4o");
    }

    @Test
    void findsIgnoringCase() {
        assertThat(catalog.find("OpenAI", "GPT-4o")).get().extracting(ModelInfo::id).isEqualTo("gpt-4o");
    }

    @Test
    void findsAlias() {
        assertThat(catalog.find("openai", "gpt-4o-2024-08-06")).get().extracting(ModelInfo::id).isEqualTo("gpt-4o");
        assertThat(catalog.find("anthropic", "claude-sonnet-4-5-20250929")).get()
                .extracting(ModelInfo::id).isEqualTo("claude-sonnet-4-5");
    }

    @Test
    void exactIdWinsOverAlias() {
        // gpt-4o-2024-05-13 is its own entry with its own price, not a snapshot of gpt-4o.
        assertThat(catalog.find("openai", "gpt-4o-2024-05-13")).get()
                .extracting(ModelInfo::id).isEqualTo("gpt-4o-2024-05-13");
    }

    @Test
    void unknownDateSuffixFallsBackToPrefix() {
        assertThat(catalog.find("openai", "gpt-4o-2025-01-01")).get().extracting(ModelInfo::id).isEqualTo("gpt-4o");
        assertThat(catalog.find("gemini", "gemini-2.5-pro-preview-xx")).get()
                .extracting(ModelInfo::id).isEqualTo("gemini-2.5-pro");
        assertThat(catalog.find("anthropic", "claude-opus-4-8-20261001")).get()
                .extracting(ModelInfo::id).isEqualTo("claude-opus-4-8");
    }

    @Test
    void prefixMatchPrefersLongestId() {
        assertThat(catalog.find("openai", "gpt-4o-mini-2025-01-01")).get()
                .extracting(ModelInfo::id).isEqualTo("gpt-4o-mini");
    }

    @Test
    void prefixMatchStopsAtBoundaries() {
        assertThat(catalog.find("ollama", "llama3.1:8b")).get().extracting(ModelInfo::id).isEqualTo("llama3.1");
        assertThat(catalog.find("vertex", "gemini-2.5-flash@001")).get()
                .extracting(ModelInfo::id).isEqualTo("gemini-2.5-flash");
    }

    @Test
    void prefixMatchNeedsABoundary() {
        // "gpt-4ox" continues the id "gpt-4o" without a '-', '@' or ':' between them.
        assertThat(catalog.find("openai", "gpt-4ox")).isEmpty();
    }

    @Test
    void unknownModelIsEmpty() {
        assertThat(catalog.find("openai", "no-such-model")).isEmpty();
    }

    @Test
    void unknownProviderIsEmpty() {
        assertThat(catalog.find("no-such-provider", "gpt-4o")).isEmpty();
    }

    @Test
    void otherProvidersDoNotFallBack() {
        assertThat(catalog.find("groq", "gpt-4o")).isEmpty();
    }

    @Test
    void azureFallsBackToOpenAi() {
        assertThat(catalog.find("azure-openai", "gpt-4o")).get()
                .satisfies(model -> assertThat(model.provider()).isEqualTo("openai"));
        assertThat(catalog.find("azure-openai", "gpt-4o-2024-11-20")).get()
                .satisfies(model -> assertThat(model.id()).isEqualTo("gpt-4o"));
    }

    @Test
    void azureEntriesWinOverOpenAi() {
        assertThat(catalog.find("azure-openai", "gpt-5.2")).get()
                .satisfies(model -> assertThat(model.provider()).isEqualTo("azure-openai"));
    }

    @Test
    void azureExactOpenAiIdWinsOverAzurePrefix() {
        // Azure's gpt-5.2-chat is a prefix of this name, but OpenAI lists the exact id, and exact ids match first.
        assertThat(catalog.find("azure-openai", "gpt-5.2-chat-latest")).get()
                .satisfies(model -> assertThat(model.provider()).isEqualTo("openai"));
    }

    @Test
    void findRejectsNull() {
        assertThatNullPointerException().isThrownBy(() -> catalog.find(null, "gpt-4o"));
        assertThatNullPointerException().isThrownBy(() -> catalog.find("openai", null));
    }

    @Test
    void userAliasWinsOverBuiltInAlias(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("models.yaml");
        Files.writeString(file, """
                models:
                  - provider: openai
                    id: my-gpt-4o
                    aliases: [gpt-4o-2024-08-06]
                """);

        ModelCatalog loaded = ModelCatalog.load(file);

        assertThat(loaded.find("openai", "gpt-4o-2024-08-06")).get().extracting(ModelInfo::id).isEqualTo("my-gpt-4o");
    }
}

package io.portico.ai.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.FieldError;
import io.portico.config.ValidationException;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ModelCatalog#load}: an operator's file merged over the built-in catalog, and the checks on that file. */
class ModelCatalogLoadTest {

    @TempDir
    Path dir;

    @Test
    void overrideReplacesBuiltInEntry() throws IOException {
        ModelCatalog catalog = load("""
                models:
                  - provider: openai
                    id: GPT-4o
                    contextWindow: 1000
                    price: {input: 1, output: 2, source: https://example.com/contract, date: 2026-01-02}
                """);

        ModelInfo model = catalog.find("openai", "gpt-4o").orElseThrow();
        assertThat(model.contextWindow()).isEqualTo(1000);
        assertThat(model.price().input()).isEqualByComparingTo("1");
        assertThat(model.price().source()).isEqualTo("https://example.com/contract");
        assertThat(model.price().date()).isEqualTo(LocalDate.of(2026, 1, 2));
        assertThat(catalog.all()).hasSameSizeAs(ModelCatalog.builtIn().all());
    }

    @Test
    void overrideDropsReplacedAliases() throws IOException {
        ModelCatalog catalog = load("""
                models:
                  - provider: openai
                    id: gpt-4o
                """);

        assertThat(catalog.find("openai", "gpt-4o-2024-08-06")).get()
                .satisfies(model -> assertThat(model.aliases()).isEmpty());
    }

    @Test
    void newEntryExtendsCatalog() throws IOException {
        ModelCatalog catalog = load("""
                models:
                  - provider: ollama
                    id: my-finetune
                    aliases: [my-finetune-v2]
                    contextWindow: 32768
                    capabilities: [tools]
                  - provider: custom-lab
                    id: lab-embed
                    mode: embedding
                    capabilities: [embeddings]
                """);

        assertThat(catalog.all()).hasSize(ModelCatalog.builtIn().all().size() + 2);
        assertThat(catalog.find("ollama", "my-finetune-v2")).get().satisfies(model -> {
            assertThat(model.mode()).isEqualTo(ModelInfo.CHAT);
            assertThat(model.supports("tools")).isTrue();
            assertThat(model.price()).isNull();
        });
        assertThat(catalog.find("custom-lab", "lab-embed")).get()
                .extracting(ModelInfo::mode).isEqualTo(ModelInfo.EMBEDDING);
        assertThat(catalog.find("openai", "gpt-4o")).isPresent();
    }

    @Test
    void loadLeavesBuiltInUnchanged() throws IOException {
        load("""
                models:
                  - provider: openai
                    id: gpt-4o
                    contextWindow: 1000
                """);

        assertThat(ModelCatalog.builtIn().find("openai", "gpt-4o")).get()
                .extracting(ModelInfo::contextWindow).isEqualTo(128000);
    }

    @Test
    void jsonFileIsRead() throws IOException {
        Path file = dir.resolve("models.json");
        Files.writeString(file, """
                {"models": [{"provider": "openai", "id": "gpt-4o", "price": {"input": 0.1, "output": 0.3,
                  "cachedInput": 0.05, "source": "https://example.com", "date": "2026-03-04"}}]}
                """);

        ModelPrice price = ModelCatalog.load(file).find("openai", "gpt-4o").orElseThrow().price();

        assertThat(price.input()).isEqualTo(new BigDecimal("0.1"));
        assertThat(price.cachedInput()).isEqualTo(new BigDecimal("0.05"));
    }

    @Test
    void jsonFileWithTrailingContentIsRejected() throws IOException {
        Path file = dir.resolve("models.json");
        Files.writeString(file, """
                {"models": []}
                {"models": [{"provider": "openai", "id": "gpt-4o"}]}
                """);

        assertThatThrownBy(() -> ModelCatalog.load(file)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("models.json").hasMessageContaining("content follows the end of the JSON value");
    }

    @Test
    void decimalPricesStayExact() throws IOException {
        ModelCatalog catalog = load("""
                models:
                  - provider: openai
                    id: gpt-4o
                    price: {input: 0.1, output: 0.000001, source: https://example.com, date: 2026-03-04}
                """);

        ModelPrice price = catalog.find("openai", "gpt-4o").orElseThrow().price();
        assertThat(price.input()).isEqualTo(new BigDecimal("0.1"));
        assertThat(price.output()).isEqualByComparingTo("0.000001");
    }

    @Test
    void missingFileIsRejected() {
        Path file = dir.resolve("absent.yaml");

        assertThatThrownBy(() -> ModelCatalog.load(file)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("absent.yaml").hasMessageContaining("cannot be read");
    }

    @Test
    void malformedYamlIsRejected() {
        assertThat(errorsOf("models: [provider: {")).extracting(FieldError::message)
                .singleElement().asString().startsWith("is not valid YAML");
    }

    @Test
    void missingModelsListIsRejected() {
        assertThat(errorsOf("entries: []")).extracting(FieldError::field).containsExactly("entries", "models");
    }

    @Test
    void negativePriceIsRejected() {
        List<FieldError> errors = errorsOf("""
                models:
                  - provider: openai
                    id: a
                  - provider: openai
                    id: b
                  - provider: openai
                    id: c
                  - provider: openai
                    id: d
                    price: {input: -1, output: 2, cachedInput: -0.5, source: https://example.com, date: 2026-01-01}
                """);

        assertThat(errors).extracting(FieldError::field)
                .containsExactly("models[3].price.input", "models[3].price.cachedInput");
        assertThat(errors.get(0).message()).contains("must not be negative").contains("-1");
    }

    @Test
    void priceWithoutSourceOrDateIsRejected() {
        List<FieldError> errors = errorsOf("""
                models:
                  - provider: openai
                    id: a
                    price: {input: 1, output: 2}
                """);

        assertThat(errors).extracting(FieldError::field).containsExactly("models[0].price.source",
                "models[0].price.date");
    }

    @Test
    void priceWithoutAmountsIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    price: {input: cheap, source: https://example.com, date: 2026-01-01}
                """)).extracting(FieldError::field).containsExactly("models[0].price.input",
                "models[0].price.output");
    }

    @Test
    void invalidDateIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    price: {input: 1, output: 2, source: https://example.com, date: 04/12/2026}
                """)).singleElement().satisfies(error -> {
                    assertThat(error.field()).isEqualTo("models[0].price.date");
                    assertThat(error.message()).contains("YYYY-MM-DD");
                });
    }

    @Test
    void unknownCapabilityIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    capabilities: [tools, telepathy]
                """)).singleElement().satisfies(error -> {
                    assertThat(error.field()).isEqualTo("models[0].capabilities[1]");
                    assertThat(error.message()).contains("telepathy").contains("json-schema");
                });
    }

    @Test
    void unknownModeIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    mode: image
                """)).extracting(FieldError::field).containsExactly("models[0].mode");
    }

    @Test
    void unknownFieldIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    contextWindw: 1000
                    price: {input: 1, output: 2, currency: EUR, source: https://example.com, date: 2026-01-01}
                """)).extracting(FieldError::field).containsExactly("models[0].contextWindw",
                "models[0].price.currency");
    }

    @Test
    void missingProviderAndIdAreRejected() {
        assertThat(errorsOf("""
                models:
                  - aliases: [a]
                  - provider: openai
                    id: " "
                """)).extracting(FieldError::field).containsExactly("models[0].provider", "models[0].id",
                "models[1].id");
    }

    @Test
    void invalidLimitsAreRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    contextWindow: 0
                    maxOutputTokens: 1.5
                """)).extracting(FieldError::field).containsExactly("models[0].contextWindow",
                "models[0].maxOutputTokens");
    }

    @Test
    void duplicateIdIsRejected() {
        List<FieldError> errors = errorsOf("""
                models:
                  - provider: openai
                    id: a
                  - provider: OpenAI
                    id: A
                  - provider: groq
                    id: a
                """);

        assertThat(errors).singleElement().satisfies(error -> {
            assertThat(error.field()).isEqualTo("models[1].id");
            assertThat(error.message()).contains("models[0]");
        });
    }

    @Test
    void aliasNamingAnotherEntryIsRejected() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                  - provider: openai
                    id: b
                    aliases: [c, a]
                """)).extracting(FieldError::field).containsExactly("models[1].aliases[1]");
    }

    @Test
    void everyInvalidFieldIsReported() {
        assertThat(errorsOf("""
                models:
                  - provider: openai
                    id: a
                    mode: image
                    capabilities: [telepathy]
                    price: {input: -1, output: 2, source: https://example.com, date: 2026-01-01}
                """)).hasSize(3);
    }

    private ModelCatalog load(String yaml) throws IOException {
        Path file = dir.resolve("models.yaml");
        Files.writeString(file, yaml);
        return ModelCatalog.load(file);
    }

    private List<FieldError> errorsOf(String yaml) {
        try {
            load(yaml);
        } catch (ValidationException e) {
            return e.errors();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        throw new AssertionError("expected the file to be rejected:\n" + yaml);
    }
}

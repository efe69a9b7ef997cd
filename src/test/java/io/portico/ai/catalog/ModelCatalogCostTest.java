package io.portico.ai.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ModelCatalog#cost}: token counts priced in US dollars at scale 10. */
class ModelCatalogCostTest {

    private static final LocalDate READ = LocalDate.of(2026, 12, 4);

    private final ModelCatalog catalog = ModelCatalog.builtIn();

    @Test
    void costOfInputAndOutput() {
        ModelInfo model = model(price("2.50", "10.00", null));

        // 1,000 input tokens at $2.50/M plus 500 output tokens at $10/M.
        assertThat(catalog.cost(model, 1_000, 500, 0)).isEqualTo(new BigDecimal("0.0075000000"));
    }

    @Test
    void cachedTokensUseCachedPrice() {
        ModelInfo model = model(price("2.50", "10.00", "1.25"));

        // 600 fresh input tokens at $2.50/M, 400 cached at $1.25/M, 500 output at $10/M.
        assertThat(catalog.cost(model, 1_000, 500, 400)).isEqualTo(new BigDecimal("0.0070000000"));
    }

    @Test
    void cachedTokensWithoutCachedPriceUseInputPrice() {
        ModelInfo model = model(price("2.50", "10.00", null));

        assertThat(catalog.cost(model, 1_000, 500, 400)).isEqualTo(catalog.cost(model, 1_000, 500, 0));
    }

    @Test
    void costHasScaleTen() {
        ModelInfo model = model(price("0.075", "0.3", "0.01875"));

        BigDecimal cost = catalog.cost(model, 1, 1, 1);

        assertThat(cost.scale()).isEqualTo(ModelCatalog.COST_SCALE);
        assertThat(cost).isEqualTo(new BigDecimal("0.0000003188"));
    }

    @Test
    void costRoundsHalfUp() {
        ModelInfo model = model(price("0.00005", "0", null));

        // 1 token at $0.00005/M is $0.00000000005, which rounds up to the tenth decimal place.
        assertThat(catalog.cost(model, 1, 0, 0)).isEqualTo(new BigDecimal("0.0000000001"));
    }

    @Test
    void largeCountsStayExact() {
        ModelInfo model = model(price("15", "75", "1.5"));

        assertThat(catalog.cost(model, 10_000_000_000L, 2_000_000_000L, 4_000_000_000L))
                .isEqualTo(new BigDecimal("246000.0000000000"));
    }

    @Test
    void modelWithoutPriceCostsZero() {
        ModelInfo local = catalog.find("ollama", "llama3.1").orElseThrow();

        BigDecimal cost = catalog.cost(local, 10_000, 10_000, 0);

        assertThat(cost).isEqualTo(new BigDecimal("0.0000000000"));
    }

    @Test
    void zeroTokensCostZero() {
        assertThat(catalog.cost(model(price("3", "15", "0.3")), 0, 0, 0)).isZero();
    }

    @Test
    void builtInGpt4oPrice() {
        ModelInfo gpt4o = catalog.find("openai", "gpt-4o").orElseThrow();

        assertThat(catalog.cost(gpt4o, 1_000_000, 1_000_000, 500_000)).isEqualByComparingTo("11.875");
    }

    @Test
    void negativeCountsAreRejected() {
        ModelInfo model = model(price("1", "1", null));

        assertThatIllegalArgumentException().isThrownBy(() -> catalog.cost(model, -1, 0, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> catalog.cost(model, 0, -1, 0));
        assertThatIllegalArgumentException().isThrownBy(() -> catalog.cost(model, 0, 0, -1));
    }

    @Test
    void cachedAboveInputIsRejected() {
        ModelInfo model = model(price("1", "1", "0.1"));

        assertThatIllegalArgumentException().isThrownBy(() -> catalog.cost(model, 10, 0, 11))
                .withMessageContaining("cannot exceed");
    }

    private static ModelPrice price(String input, String output, String cachedInput) {
        return new ModelPrice(new BigDecimal(input), new BigDecimal(output),
                cachedInput == null ? null : new BigDecimal(cachedInput), "https://example.com/pricing", READ);
    }

    private static ModelInfo model(ModelPrice price) {
        return new ModelInfo("openai", "test-model", List.of(), ModelInfo.CHAT, 1000, 100, Set.of("tools"), price);
    }
}

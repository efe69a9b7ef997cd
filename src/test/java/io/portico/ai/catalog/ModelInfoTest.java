package io.portico.ai.catalog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The immutable {@link ModelInfo} and {@link ModelPrice} records. */
class ModelInfoTest {

    @Test
    void supportsListedCapability() {
        ModelInfo model = new ModelInfo("openai", "m", null, ModelInfo.CHAT, null, null, Set.of("tools"), null);

        assertThat(model.supports("tools")).isTrue();
        assertThat(model.supports("vision")).isFalse();
    }

    @Test
    void collectionsAreCopied() {
        List<String> aliases = new ArrayList<>(List.of("a"));
        Set<String> capabilities = new LinkedHashSet<>(List.of("tools"));
        ModelInfo model = new ModelInfo("openai", "m", aliases, ModelInfo.CHAT, null, null, capabilities, null);

        aliases.add("b");
        capabilities.add("vision");

        assertThat(model.aliases()).containsExactly("a");
        assertThat(model.capabilities()).containsExactly("tools");
        assertThatThrownBy(() -> model.capabilities().add("reasoning"))
                .isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void missingCollectionsAreEmpty() {
        ModelInfo model = new ModelInfo("openai", "m", null, ModelInfo.CHAT, null, null, null, null);

        assertThat(model.aliases()).isEmpty();
        assertThat(model.capabilities()).isEmpty();
    }

    @Test
    void requiredFieldsAreChecked() {
        assertThatNullPointerException()
                .isThrownBy(() -> new ModelInfo(null, "m", null, ModelInfo.CHAT, null, null, null, null));
        assertThatNullPointerException().isThrownBy(() -> new ModelPrice(BigDecimal.ONE, BigDecimal.ONE, null,
                null, LocalDate.EPOCH));
    }
}

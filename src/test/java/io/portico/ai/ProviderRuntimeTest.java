package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.provider.OpenAiAdapter;
import io.portico.ai.provider.OpenAiDialect;
import io.portico.ai.provider.ProviderTypes;
import io.portico.config.ProviderSpec;
import org.junit.jupiter.api.Test;

/** The per-model statistics that a provider keeps for the model names its clients send. */
class ProviderRuntimeTest {

    private final ProviderRuntime provider = new ProviderRuntime(
            new ProviderSpec("p", "openai", null, null, null, null, null, null, null, null, null, null, null, null,
                    null, null, null, null, null),
            ProviderTypes.find("openai").orElseThrow(), new OpenAiAdapter(OpenAiDialect.OPENAI));

    @Test
    void sameModelKeepsItsStatistics() {
        TargetStats first = provider.stats("gpt-4o");

        TargetStats again = provider.stats("gpt-4o");

        assertThat(again).isSameAs(first);
    }

    @Test
    void madeUpNamesAreBounded() {
        TargetStats used = provider.stats("gpt-4o");

        for (int i = 0; i < 5 * ProviderRuntime.MAX_MODELS; i++) {
            provider.stats("made-up-" + i);
            if (i % 16 == 0) {
                provider.stats("gpt-4o");
            }
        }

        assertThat(provider.allStats().size()).isLessThanOrEqualTo(ProviderRuntime.MAX_MODELS);
        assertThat(provider.stats("gpt-4o")).isSameAs(used);
    }
}

package io.portico.ai.provider;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** OpenAI usage objects read and written, with cache reads and writes in {@code prompt_tokens_details}. */
class OpenAiUsageTest {

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void readsCacheWrites() {
        Usage usage = OpenAiUsage.read(json("""
                {"prompt_tokens":130,"completion_tokens":7,"total_tokens":137,
                 "prompt_tokens_details":{"cached_tokens":100,"cache_write_tokens":20},
                 "completion_tokens_details":{"reasoning_tokens":3}}"""));

        assertThat(usage).isEqualTo(new Usage(130, 7, 100, 20, 3, false));
    }

    @Test
    void writesCacheWritesOnlyWhenThereAreAny() {
        // Written as text and read again, so that long and int numbers compare equal.
        JsonNode writes = json(OpenAiUsage.write(new Usage(130, 7, 100, 20, 0, false)).toString());
        JsonNode none = json(OpenAiUsage.write(new Usage(130, 7, 100, 0, 0, false)).toString());

        assertThat(writes.at("/prompt_tokens_details"))
                .isEqualTo(json("{\"cached_tokens\":100,\"cache_write_tokens\":20}"));
        assertThat(none.at("/prompt_tokens_details")).isEqualTo(json("{\"cached_tokens\":100}"));
    }
}

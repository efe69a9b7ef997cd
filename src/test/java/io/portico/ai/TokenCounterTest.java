package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Estimates of the input tokens of embeddings and Responses API requests. */
class TokenCounterTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"input\":\"hello\"}|1",
        "{\"input\":[\"hello\",\"hello\",\"hello\"]}|3",
        "{\"input\":[101,102,103,104]}|4",
        "{\"input\":[[101,102],[103]]}|3",
        "{\"input\":[]}|0",
        "{}|0",
    })
    void embeddingsInputCountsTextsAndTokenIds(String body, int expected) throws Exception {
        assertThat(TokenCounter.embeddingsInput(Json.MAPPER.readTree(body))).isEqualTo(expected);
    }

    @Test
    void responsesInputCountsInstructionsAndItems() throws Exception {
        int text = TokenCounter.responsesInput(json("{\"input\":\"hello hello hello\"}"));
        int instructed = TokenCounter.responsesInput(json(
                "{\"instructions\":\"hello hello\",\"input\":\"hello hello hello\"}"));
        int items = TokenCounter.responsesInput(json("{\"input\":["
                + "{\"role\":\"user\",\"content\":\"hello hello hello\"},"
                + "{\"type\":\"function_call\",\"name\":\"lookup\",\"arguments\":\"{}\"},"
                + "{\"type\":\"function_call_output\",\"call_id\":\"c1\",\"output\":\"hello hello\"}]}"));

        // Each item adds 4 tokens for its role and separators, and every request 3.
        assertThat(text).isEqualTo(TokenCounter.count("hello hello hello\n") + 4 + 3);
        assertThat(instructed).isEqualTo(TokenCounter.count("hello hello\nhello hello hello\n") + 4 + 3);
        assertThat(items).isEqualTo(TokenCounter.count("hello hello hello\nlookup\n{}\nhello hello\n") + 3 * 4 + 3);
    }

    @Test
    void responsesInputSkipsImageData() throws Exception {
        String image = "data:image/png;base64," + "QUJD".repeat(2000);
        JsonNode withImage = json("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                + "\"text\":\"hello\"},{\"type\":\"input_image\",\"image_url\":\"" + image + "\"}]}]}");
        JsonNode textOnly = json("{\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_text\","
                + "\"text\":\"hello\"}]}]}");

        assertThat(TokenCounter.responsesInput(withImage)).isEqualTo(TokenCounter.responsesInput(textOnly));
        assertThat(TokenCounter.responsesInputLength(withImage)).as("the length decides where the count runs")
                .isGreaterThan(image.length());
    }

    private static JsonNode json(String text) throws Exception {
        return Json.MAPPER.readTree(text);
    }
}

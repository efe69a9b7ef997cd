package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's own model catalog file prices the models it adds. */
class CatalogSettingTest {

    @Test
    void pricesRequestsFromTheNodesCatalogFile(@TempDir Path directory) throws Exception {
        Path catalog = directory.resolve("models.yaml");
        Files.writeString(catalog, """
                models:
                  - provider: openai
                    id: house-model
                    mode: chat
                    maxOutputTokens: 1000
                    price:
                      input: 1000000
                      output: 2000000
                      source: https://prices.example.test/house-model
                      date: 2026-12-01
                """);
        try (OpenAiMock provider = new OpenAiMock("p", "sk-p");
             TestNode node = TestNode.start(Map.of("ai.catalog", catalog.toString()))) {
            Configs config = Configs.document();
            config.provider("p", "openai", provider.baseUrl(), "sk-p");
            config.aiRoute("ai", "/v1");
            node.apply(config.build());

            HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                    "{\"model\":\"p/house-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

            // 12 input tokens, 2 of them cached and billed at the input price, and 5 output tokens.
            assertThat(response.headers().firstValue("x-portico-cost-usd")).contains("22");
        }
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Provider error messages reach clients without the provider key that Portico sent, in both client protocols. */
class AiKeyRedactionTest {

    private static final String KEY = "sk-leaky-0123456789abcdef";
    /** The key without its last four characters, as a provider shows it when it masks the end. */
    private static final String KEY_PREFIX = "sk-leaky-0123456789ab";

    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        provider = new OpenAiMock("leaky", KEY);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("leaky", "openai", provider.baseUrl(), KEY);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        provider.close();
    }

    private static HttpResponse<String> openAi(String model, boolean stream) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"leaky/%s","stream":%s,"messages":[{"role":"user","content":"Hi"}]}"""
                .formatted(model, stream));
    }

    private static HttpResponse<String> anthropic(String model, boolean stream) {
        return AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"leaky/%s","max_tokens":100,"stream":%s,"messages":[{"role":"user","content":"Hi"}]}"""
                .formatted(model, stream), "anthropic-version", "2023-06-01");
    }

    @Test
    void responsesStreamErrorHidesKey() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/responses", """
                {"model":"leaky/echo-key-stream","stream":true,"input":"Hi"}""");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("Hel");
        assertThat(response.body()).contains("Incorrect API key provided: [redacted]");
        assertThat(response.body()).doesNotContain(KEY_PREFIX);
    }

    @Test
    void openAiErrorHidesKey() {
        HttpResponse<String> response = openAi("echo-key", false);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).doesNotContain(KEY_PREFIX);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .isEqualTo("provider: Incorrect API key provided: [redacted] (shown as [redacted]****) for model"
                        + " echo-key");
    }

    @Test
    void openAiStreamErrorHidesKey() {
        HttpResponse<String> response = openAi("echo-key-stream", true);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("Hel");
        assertThat(response.body()).contains("Incorrect API key provided: [redacted]");
        assertThat(response.body()).doesNotContain(KEY_PREFIX);
    }

    @Test
    void anthropicErrorHidesKey() {
        HttpResponse<String> response = anthropic("echo-key", false);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).doesNotContain(KEY_PREFIX);
        assertThat(AiTestClient.json(response).at("/error/message").asText())
                .contains("Incorrect API key provided: [redacted] (shown as [redacted]****)");
    }

    @Test
    void anthropicStreamErrorHidesKey() {
        HttpResponse<String> response = anthropic("echo-key-stream", true);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.body()).contains("event: error");
        assertThat(response.body()).contains("Incorrect API key provided: [redacted]");
        assertThat(response.body()).doesNotContain(KEY_PREFIX);
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Key pools of embeddings, the Responses API and token counting, through a real node. As for chat completions, a
 * key that the provider rejects with 401, or rate-limits with 429, is followed at once by another key of the same
 * provider. Each provider lists a key that the mocks reject before one that they accept, and each test has a
 * provider of its own, because key state belongs to the provider.
 */
class AiRelayKeyPoolTest {

    private static OpenAiMock openAi;
    private static AnthropicMock anthropic;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("pool", List.of("sk-good-1", "sk-good-2"));
        anthropic = new AnthropicMock("claude", "sk-ant-good");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("embed", "openai", openAi.baseUrl(), "sk-revoked-1", "sk-good-1");
        config.provider("respond", "openai", openAi.baseUrl(), "sk-revoked-2", "sk-good-1");
        config.provider("count", "anthropic", anthropic.baseUrl(), "sk-ant-revoked", "sk-ant-good");
        config.provider("busy", "openai", openAi.baseUrl(), "sk-good-1", "sk-good-2");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
    }

    /** Returns the keys that {@code mock} received on {@code path} for {@code model}, in order. */
    private static List<String> keysUsed(MockServer mock, String path, String model) {
        return mock.received().stream()
                .filter(received -> received.path().equals(path))
                .filter(received -> received.body().path("model").asText().equals(model))
                .map(received -> received.headers().get(mock == anthropic ? "x-api-key" : "authorization"))
                .toList();
    }

    @Test
    void embeddingsTryAnotherKeyAfter401() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings",
                "{\"model\":\"embed/text-embedding-3-small\",\"input\":\"Hi\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-portico-provider")).hasValue("embed");
        assertThat(keysUsed(openAi, "/v1/embeddings", "text-embedding-3-small"))
                .containsExactly("Bearer sk-revoked-1", "Bearer sk-good-1");
    }

    @Test
    void responsesTryAnotherKeyAfter401() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/responses",
                "{\"model\":\"respond/gpt-4o\",\"input\":\"Hi\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(keysUsed(openAi, "/v1/responses", "gpt-4o"))
                .containsExactly("Bearer sk-revoked-2", "Bearer sk-good-1");
    }

    @Test
    void tokenCountingTriesAnotherKeyAfter401() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages/count_tokens",
                "{\"model\":\"count/claude-sonnet-4-5\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(AiTestClient.json(response).path("input_tokens").asInt()).isEqualTo(21);
        assertThat(keysUsed(anthropic, "/v1/messages/count_tokens", "claude-sonnet-4-5"))
                .containsExactly("sk-ant-revoked", "sk-ant-good");
    }

    @Test
    void embeddingsTryAnotherKeyAfter429() {
        openAi.fail(MockServer.Fault.RATE_LIMITED);

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/embeddings",
                "{\"model\":\"busy/text-embedding-3-large\",\"input\":\"Hi\"}");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(keysUsed(openAi, "/v1/embeddings", "text-embedding-3-large"))
                .containsExactly("Bearer sk-good-1", "Bearer sk-good-2");
    }
}

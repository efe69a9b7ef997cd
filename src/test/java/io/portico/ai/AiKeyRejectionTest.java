package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Key pools after a provider's 401 or 403, through a real node to an OpenAI mock with two valid keys. A rejection on
 * a model that a client named rests the keys for that model only. A key is taken out of the pool for every model
 * when it fails on a model that the configuration lists, or on several models in a row.
 */
class AiKeyRejectionTest {

    private static OpenAiMock openAi;
    private static OpenAiMock backup;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("oa", List.of("oa-one", "oa-two"));
        backup = new OpenAiMock("backup", "sk-backup");
        node = TestNode.start();
        Configs config = Configs.document();
        // Each test uses providers of its own, because key state belongs to the provider.
        config.provider("oa", "openai", openAi.baseUrl(), "oa-one", "oa-two");
        config.provider("rest", "openai", openAi.baseUrl(), "oa-one", "oa-two");
        config.provider("named", "openai", openAi.baseUrl(), "oa-one", "oa-two");
        config.provider("revoked", "openai", openAi.baseUrl(), "sk-revoked-1", "oa-one");
        config.provider("listed", "openai", openAi.baseUrl(), "sk-revoked-2", "oa-one");
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.model("smart", "fallback", "oa/gpt-4o", "backup/gpt-4o");
        config.model("listed-model", "fallback", "listed/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        backup.close();
    }

    @Test
    void forbiddenModelLeavesOtherModelsServed() {
        assertThat(chat("oa/gpt-4o").statusCode()).isEqualTo(200);

        HttpResponse<String> forbidden = chat("oa/restricted-model");
        HttpResponse<String> other = chat("oa/gpt-4o");
        HttpResponse<String> virtual = chat("smart");

        assertThat(forbidden.statusCode()).isEqualTo(502);
        assertThat(AiTestClient.json(forbidden).path("error").path("code").asText())
                .isEqualTo("provider_authentication_failed");
        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
        assertThat(virtual.statusCode()).as(virtual.body()).isEqualTo(200);
        assertThat(virtual.headers().firstValue("x-portico-provider")).contains("oa");
    }

    @Test
    void forbiddenModelIsNotCalledAgain() {
        HttpResponse<String> first = chat("rest/restricted-again");
        HttpResponse<String> second = chat("rest/restricted-again");

        assertThat(first.statusCode()).isEqualTo(502);
        assertThat(second.statusCode()).isEqualTo(502);
        assertThat(AiTestClient.json(second).path("error").path("message").asText())
                .contains("for model 'restricted-again'");
        assertThat(calls("restricted-again", null)).isEqualTo(2);
    }

    @Test
    void modelNotFoundKeepsKeysInPool() {
        for (int i = 1; i <= KeyPool.MAX_REJECTED_MODELS + 1; i++) {
            HttpResponse<String> response = chat("named/no-access-" + i);

            assertThat(response.statusCode()).as("model %d", i).isEqualTo(502);
        }

        HttpResponse<String> other = chat("named/gpt-4o");

        assertThat(other.statusCode()).as(other.body()).isEqualTo(200);
    }

    @Test
    void revokedKeyLeavesAfterRejectedModels() {
        int model = 0;
        while (calls(null, "sk-revoked-1") < KeyPool.MAX_REJECTED_MODELS && model < 20) {
            model++;
            HttpResponse<String> response = chat("revoked/model-" + model);

            assertThat(response.statusCode()).as("model %d", model).isEqualTo(200);
        }
        assertThat(calls(null, "sk-revoked-1")).as("rejections of the revoked key")
                .isEqualTo(KeyPool.MAX_REJECTED_MODELS);

        for (int i = 1; i <= 4; i++) {
            assertThat(chat("revoked/later-" + i).statusCode()).isEqualTo(200);
        }

        assertThat(calls(null, "sk-revoked-1")).isEqualTo(KeyPool.MAX_REJECTED_MODELS);
    }

    @Test
    void rejectionOnListedModelTakesKeyOut() {
        int attempts = 0;
        while (calls(null, "sk-revoked-2") == 0 && attempts < 10) {
            attempts++;
            assertThat(chat("listed-model").statusCode()).isEqualTo(200);
        }
        assertThat(calls(null, "sk-revoked-2")).isEqualTo(1);

        for (int i = 1; i <= 4; i++) {
            assertThat(chat("listed/other-" + i).statusCode()).isEqualTo(200);
        }

        assertThat(calls(null, "sk-revoked-2")).isEqualTo(1);
    }

    private static HttpResponse<String> chat(String model) {
        return AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    /** Returns the number of chat calls the mock received for {@code model} with {@code key}; null matches any. */
    private static long calls(String model, String key) {
        return openAi.received().stream()
                .filter(r -> model == null || r.body() != null && model.equals(r.body().path("model").asText()))
                .filter(r -> key == null || ("Bearer " + key).equals(r.headers().get("authorization")))
                .count();
    }
}

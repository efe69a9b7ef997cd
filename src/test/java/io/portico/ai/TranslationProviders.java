package io.portico.ai;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.BedrockMock;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.util.List;

/**
 * A node with one provider of each protocol that Portico translates to, each served by its mock: {@code an}
 * (Anthropic), {@code oa} (OpenAI), {@code ge} (Gemini API) and {@code aws} (Bedrock), all with one attempt per
 * request, behind an AI route on {@code /v1}.
 */
final class TranslationProviders implements AutoCloseable {

    private static final String ACCESS_KEY_ID = "AKIDEXAMPLE";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final String GEMINI_KEY = "AIza-translation";

    final AnthropicMock anthropic;
    final OpenAiMock openAi;
    final GeminiMock gemini;
    final BedrockMock bedrock;
    final TestNode node;
    private final Vertx vertx;

    private TranslationProviders() {
        vertx = Vertx.vertx();
        anthropic = new AnthropicMock("an", "sk-an");
        openAi = new OpenAiMock("oa", "sk-oa");
        gemini = GeminiMock.geminiApi(vertx, GEMINI_KEY).await();
        bedrock = BedrockMock.start("eu-central-1", ACCESS_KEY_ID, SECRET, null);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("an", "anthropic", anthropic.baseUrl(), "sk-an").putObject("retries").put("attempts", 1);
        config.provider("oa", "openai", openAi.baseUrl(), "sk-oa").putObject("retries").put("attempts", 1);
        config.provider("ge", "gemini", gemini.baseUrl(), GEMINI_KEY).putObject("retries").put("attempts", 1);
        config.provider("aws", "bedrock", bedrock.baseUrl())
                .put("region", "eu-central-1")
                .put("accessKeyId", ACCESS_KEY_ID)
                .put("secretAccessKey", SECRET)
                .putObject("retries").put("attempts", 1);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    /** Starts the mocks and the node and applies the configuration. */
    static TranslationProviders start() {
        return new TranslationProviders();
    }

    /** Clears the lists of requests that the Anthropic and OpenAI mocks received. */
    void clearReceived() {
        anthropic.received().clear();
        openAi.received().clear();
    }

    /** Sends {@code body}, JSON written with single quotes, to the OpenAI chat completions endpoint. */
    HttpResponse<String> openAiChat(String body) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", AiTestClient.quotedJson(body).toString());
    }

    /** Sends {@code body}, JSON written with single quotes, to the Anthropic messages endpoint. */
    HttpResponse<String> anthropicMessages(String body) {
        return AiTestClient.post(node.url() + "/v1/messages", AiTestClient.quotedJson(body).toString(),
                "anthropic-version", "2023-06-01");
    }

    /** Returns the body of the last request the Gemini mock received. */
    JsonNode lastGeminiRequest() {
        List<GeminiMock.Recorded> requests = gemini.requests();
        return requests.get(requests.size() - 1).json();
    }

    /** Returns the body of the last request the Bedrock mock received. */
    JsonNode lastBedrockRequest() {
        List<BedrockMock.Recorded> requests = bedrock.requests();
        return requests.get(requests.size() - 1).body();
    }

    @Override
    public void close() {
        node.close();
        anthropic.close();
        openAi.close();
        bedrock.close();
        gemini.close();
        vertx.close().await();
    }
}

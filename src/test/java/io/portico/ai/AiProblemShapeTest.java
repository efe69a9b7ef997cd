package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.errors.ContentTooLargeException;
import com.anthropic.models.ErrorType;
import com.anthropic.models.messages.MessageCreateParams;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.PermissionDeniedException;
import com.openai.errors.UnauthorizedException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Failures reported by policies on AI routes reach OpenAI and Anthropic clients in their own error shapes, with
 * the problem's status, so that the official SDKs raise their typed exceptions; REST routes keep problem+json.
 */
class AiProblemShapeTest {

    private static OpenAiMock openAi;
    private static AnthropicMock anthropic;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("gpt", "sk-openai");
        anthropic = new AnthropicMock("claude", "sk-ant");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("openai", "openai", openAi.baseUrl(), "sk-openai");
        config.provider("anthropic", "anthropic", anthropic.baseUrl(), "sk-ant");
        config.model("gpt", "fallback", "openai/gpt-4o");
        config.model("claude", "fallback", "anthropic/claude-sonnet-4-5");
        config.service("rest", openAi.port());
        config.resource("teams", "ml");
        ObjectNode api = config.resource("apis", "models").put("team", "ml");
        api.putArray("policies").addObject().put("name", "header-auth").putObject("config").putArray("headers")
                .add("Authorization").add("x-api-key");
        for (String consumer : new String[] {"subscriber", "outsider", "oversized"}) {
            config.resource("consumers", consumer).put("team", "ml");
        }
        config.resource("subscriptions", "subscriber").put("consumer", "subscriber").put("api", "models")
                .put("status", "active");
        config.resource("subscriptions", "oversized").put("consumer", "oversized").put("api", "models")
                .put("status", "active");
        config.resource("policies", "oversized-limit").put("type", "problem").put("consumer", "oversized")
                .putObject("config").put("type", "BODY_TOO_LARGE").put("detail", "requests of this consumer are"
                        + " limited to 1 KiB");
        config.aiRoute("ai", "/v1").put("api", "models");
        config.route("rest", "rest", "/rest").put("api", "models");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
    }

    private static OpenAIClient openAiClient(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static AnthropicClient anthropicClient(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey(key).maxRetries(0).build();
    }

    private static void chat(String key) {
        openAiClient(key).chat().completions().create(ChatCompletionCreateParams.builder().model("gpt")
                .addUserMessage("Hi").build());
    }

    private static void message(String key) {
        anthropicClient(key).messages().create(MessageCreateParams.builder().model("claude").maxTokens(50)
                .addUserMessage("Hi").build());
    }

    private static HttpResponse<String> get(String path, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void subscriberIsServed() {
        chat("subscriber");
        message("subscriber");
    }

    @Test
    void openAiClientSeesUnauthorized() {
        assertThatThrownBy(() -> chat("mallory")).isInstanceOfSatisfying(UnauthorizedException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(401);
            assertThat(e.type()).hasValue("invalid_request_error");
            assertThat(e.code()).hasValue("invalid_api_key");
            assertThat(e.param()).isEmpty();
            assertThat(e.getMessage()).contains("the credential is not valid");
            assertThat(e.headers().values("WWW-Authenticate")).containsExactly("Test");
        });
    }

    @Test
    void openAiClientSeesPermissionDenied() {
        assertThatThrownBy(() -> chat("outsider")).isInstanceOfSatisfying(PermissionDeniedException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(403);
            assertThat(e.type()).hasValue("permission_error");
            assertThat(e.code()).hasValue("subscription_required");
            assertThat(e.getMessage()).contains("consumer 'outsider' has no active subscription to the API 'models'");
        });
    }

    @Test
    void anthropicClientSeesUnauthorized() {
        assertThatThrownBy(() -> message("mallory"))
                .isInstanceOfSatisfying(com.anthropic.errors.UnauthorizedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(401);
                    assertThat(e.errorType()).hasValue(ErrorType.AUTHENTICATION_ERROR);
                    assertThat(e.getMessage()).contains("the credential is not valid");
                });
    }

    @Test
    void anthropicClientSeesPermissionDenied() {
        assertThatThrownBy(() -> message("outsider"))
                .isInstanceOfSatisfying(com.anthropic.errors.PermissionDeniedException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(403);
                    assertThat(e.errorType()).hasValue(ErrorType.PERMISSION_ERROR);
                    assertThat(e.getMessage()).contains("has no active subscription to the API 'models'");
                });
    }

    @Test
    void anthropicClientSeesContentTooLarge() {
        assertThatThrownBy(() -> message("oversized"))
                .isInstanceOfSatisfying(ContentTooLargeException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(413);
                    assertThat(e.getMessage()).contains("limited to 1 KiB");
                });
    }

    @Test
    void openAiShapeOfAConsumerPolicyFailure() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "Authorization", "Bearer oversized");

        assertThat(response.statusCode()).isEqualTo(413);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("message").asText()).isEqualTo("requests of this consumer are limited to 1 KiB");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("code").asText()).isEqualTo("body_too_large");
    }

    @Test
    void anthropicShapeOnMessagesWithoutVersionHeader() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"claude\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "x-api-key", "outsider");

        assertThat(response.statusCode()).isEqualTo(403);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.at("/error/type").asText()).isEqualTo("permission_error");
        assertThat(body.at("/error/message").asText()).contains("no active subscription");
    }

    @Test
    void modelsListAnswersInTheClientsShape() throws Exception {
        HttpResponse<String> openAiStyle = get("/v1/models");
        HttpResponse<String> anthropicStyle = get("/v1/models", "anthropic-version", "2023-06-01");

        assertThat(openAiStyle.statusCode()).isEqualTo(401);
        assertThat(AiTestClient.json(openAiStyle).at("/error/code").asText()).isEqualTo("invalid_api_key");
        assertThat(AiTestClient.json(openAiStyle).at("/error/type").asText()).isEqualTo("invalid_request_error");
        assertThat(AiTestClient.json(openAiStyle).at("/error/param").isNull()).isTrue();
        assertThat(anthropicStyle.statusCode()).isEqualTo(401);
        assertThat(AiTestClient.json(anthropicStyle).at("/error/type").asText()).isEqualTo("authentication_error");
    }

    @Test
    void restRouteKeepsProblemJson() throws Exception {
        HttpResponse<String> response = get("/rest/anything", "x-api-key", "outsider");

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(AiTestClient.json(response).path("type").asText())
                .isEqualTo("https://portico.dev/problems/subscription-required");
    }
}

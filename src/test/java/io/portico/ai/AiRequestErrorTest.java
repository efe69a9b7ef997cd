package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Invalid AI requests on a real node: each gets a 400, 405 or 413 in the client's error shape that names what is
 * wrong, with OpenAI's {@code param} and {@code code} where they apply, and no provider is called.
 */
class AiRequestErrorTest {

    private static final String HI = "[{\"role\":\"user\",\"content\":\"Hi\"}]";

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
        config.aiRoute("ai", "/v1");
        config.aiRoute("small", "/small").put("stripPrefix", true).put("maxBodySize", 1024);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
    }

    private static JsonNode openAiError(String path, String body, int status) {
        HttpResponse<String> response = AiTestClient.post(node.url() + path, body);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        return AiTestClient.json(response).path("error");
    }

    private static JsonNode anthropicError(String path, String body) {
        HttpResponse<String> response = AiTestClient.post(node.url() + path, body, "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode json = AiTestClient.json(response);
        assertThat(json.path("type").asText()).isEqualTo("error");
        return json.path("error");
    }

    @Test
    void compressedBodyIsUnsupportedMediaType() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"m\",\"messages\":[]}", "content-encoding", "gzip");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(415);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("code").asText()).isEqualTo("unsupported_content_encoding");
        assertThat(error.path("message").asText()).contains("'gzip'", "send the body uncompressed");
    }

    @Test
    void compressedBodyGetsAnthropicError() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"m\",\"max_tokens\":5,\"messages\":[]}", "content-encoding", "br",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(415);
        assertThat(AiTestClient.json(response).at("/error/type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void invalidMaxTokensNamesParam() {
        JsonNode error = openAiError("/v1/chat/completions",
                "{\"model\":\"gpt\",\"max_tokens\":-1,\"messages\":" + HI + "}", 400);

        assertThat(error.path("message").asText()).isEqualTo("'max_tokens' must be a positive integer");
        assertThat(error.path("param").asText()).isEqualTo("max_tokens");
        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void invalidRoleNamesMessageParam() {
        JsonNode error = openAiError("/v1/chat/completions",
                "{\"model\":\"gpt\",\"messages\":[{\"role\":\"robot\",\"content\":\"Hi\"}]}", 400);

        assertThat(error.path("param").asText()).isEqualTo("messages.[0].role");
    }

    @Test
    void errorAboutNoFieldHasNullParam() {
        JsonNode error = openAiError("/v1/chat/completions", "{\"model\":\"unknown\",\"messages\":" + HI + "}", 404);

        assertThat(error.path("code").asText()).isEqualTo("model_not_found");
        assertThat(error.has("param")).isTrue();
        assertThat(error.path("param").isNull()).isTrue();
    }

    @Test
    void bodyOverLimitHasCode() {
        String body = "{\"model\":\"gpt\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(2000)
                + "\"}]}";

        JsonNode error = openAiError("/small/v1/chat/completions", body, 413);

        assertThat(error.path("code").asText()).isEqualTo("request_too_large");
        assertThat(error.path("message").asText()).contains("larger than 1024 bytes");
    }

    @Test
    void countTokensRejectsMessagesThatAreNoList() {
        JsonNode error = anthropicError("/v1/messages/count_tokens", "{\"model\":\"gpt\",\"messages\":\"x\"}");

        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isEqualTo("messages: Input should be a valid list");
    }

    @Test
    void countTokensWithoutMessagesSaysRequired() {
        JsonNode error = anthropicError("/v1/messages/count_tokens", "{\"model\":\"gpt\"}");

        assertThat(error.path("message").asText()).isEqualTo("messages: Field required");
    }

    @Test
    void deeplyNestedBodyNamesLimit() {
        String body = "{\"model\":\"gpt\",\"messages\":" + HI + ",\"metadata\":" + "[".repeat(1500)
                + "]".repeat(1500) + "}";

        JsonNode error = openAiError("/v1/chat/completions", body, 400);

        assertThat(error.path("message").asText()).contains("nests too deeply").contains("at most 1000 levels");
        assertThat(error.path("message").asText()).doesNotContain("StreamReadConstraints");
    }

    @Test
    void nonListToolsRejectedForClaude() {
        anthropic.received().clear();

        JsonNode error = openAiError("/v1/chat/completions",
                "{\"model\":\"claude\",\"tools\":\"x\",\"messages\":" + HI + "}", 400);

        assertThat(error.path("param").asText()).isEqualTo("tools");
        assertThat(error.path("message").asText()).isEqualTo("'tools' must be an array of tool objects");
        assertThat(anthropic.received()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource({"GET, /v1/chat/completions, POST", "DELETE, /v1/messages, POST", "GET, /v1/embeddings, POST",
        "POST, /v1/models, GET", "PUT, /v1/models/gpt, GET"})
    void wrongMethodGets405WithAllow(String method, String path, String allowed) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(20))
                .header("anthropic-version", "2023-06-01").method(method, HttpRequest.BodyPublishers.noBody()).build();

        HttpResponse<String> response = HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).contains(allowed);
        assertThat(AiTestClient.json(response).path("error").path("type").asText()).isEqualTo("invalid_request_error");
    }

    @Test
    void nonListToolsRejectedAnthropicShape() {
        openAi.received().clear();

        JsonNode error = anthropicError("/v1/messages",
                "{\"model\":\"gpt\",\"max_tokens\":10,\"tools\":\"x\",\"messages\":" + HI + "}");

        assertThat(error.path("type").asText()).isEqualTo("invalid_request_error");
        assertThat(error.path("message").asText()).isEqualTo("tools: Input should be a valid list");
        assertThat(openAi.received()).isEmpty();
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.models.ModelInfo;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.models.Model;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /v1/models/{id}} with a {@code provider/model} id, whose {@code /} SDKs send as {@code %2F}. Only the
 * model id of an AI route may contain an encoded slash: a REST route, another AI endpoint, and a path whose encoded
 * slash an AI route strips before its endpoint, still get 400.
 */
class ModelIdPathTest {

    private static OpenAiMock provider;
    private static RecordingUpstream upstream;
    private static TestNode node;
    private static OpenAIClient openAi;
    private static AnthropicClient anthropic;

    @BeforeAll
    static void start() {
        provider = new OpenAiMock("oa1", "sk-oa1");
        upstream = RecordingUpstream.start();
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("oa1", "openai", provider.baseUrl(), "sk-oa1").putArray("models").add("gpt-4o");
        config.provider("router", "openai-compatible", provider.baseUrl(), "sk-oa1").putArray("models")
                .add("openai/gpt-4o");
        config.aiRoute("ai", "/v1");
        // The tenant segment is dropped before the endpoint, so an encoded slash in it never reaches the backend.
        config.aiRoute("tenants", "/tenants").putObject("rewrite").put("regex", "^/tenants/[^/]+(/.*)$")
                .put("replacement", "$1");
        config.service("files", upstream.port());
        config.route("files", "files", "/files");
        node.apply(config.build());
        openAi = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        provider.close();
    }

    @BeforeEach
    void clearUpstream() {
        upstream.clear();
    }

    @Test
    void openAiSdkRetrievesProviderModel() {
        Model model = openAi.models().retrieve("oa1/gpt-4o");

        assertThat(model.id()).isEqualTo("oa1/gpt-4o");
        assertThat(model.ownedBy()).isEqualTo("oa1");
    }

    @Test
    void openAiSdkRetrievesModelWithSlashes() {
        Model model = openAi.models().retrieve("router/openai/gpt-4o");

        assertThat(model.id()).isEqualTo("router/openai/gpt-4o");
        assertThat(model.ownedBy()).isEqualTo("router");
    }

    @Test
    void anthropicSdkRetrievesProviderModel() {
        ModelInfo model = anthropic.models().retrieve("oa1/gpt-4o").validate();

        assertThat(model.id()).isEqualTo("oa1/gpt-4o");
        assertThat(model.lifecycle()).isEqualTo(ModelInfo.Lifecycle.ACTIVE);
        assertThat(model.maxInputTokens()).as("the catalog's context window").hasValue(128_000L);
        assertThat(model.maxTokens()).as("the catalog's maximum output").hasValue(16_384L);
    }

    @Test
    void anthropicModelOutsideCatalogHasNoLimits() {
        ModelInfo model = anthropic.models().retrieve("router/openai/gpt-4o").validate();

        assertThat(model.lifecycle()).isEqualTo(ModelInfo.Lifecycle.ACTIVE);
        assertThat(model.maxInputTokens()).isEmpty();
        assertThat(model.maxTokens()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/models/oa1%2Fgpt-4o", "/v1/models/oa1%2fgpt-4o", "/v1/models/oa1/gpt-4o",
        "/tenants/acme/v1/models/oa1%2Fgpt-4o"})
    void rawPathRetrievesProviderModel(String path) {
        HttpResponse<String> response = AiTestClient.get(node.url() + path);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode model = AiTestClient.json(response);
        assertThat(model.path("id").asText()).isEqualTo("oa1/gpt-4o");
        assertThat(model.path("object").asText()).isEqualTo("model");
        assertThat(model.path("owned_by").asText()).isEqualTo("oa1");
    }

    @Test
    void unknownModelWithEncodedSlashIsNotFound() {
        HttpResponse<String> response = AiTestClient.get(node.url() + "/v1/models/oa1%2Fgpt-9");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(AiTestClient.json(response).path("error").path("code").asText()).isEqualTo("model_not_found");
    }

    @ParameterizedTest
    @ValueSource(strings = {"/files/a%2Fb", "/files/models/a%2Fb", "/files/v1/models/oa1%2Fgpt-4o"})
    void restRouteRejectsEncodedSlash(String path) {
        HttpResponse<String> response = AiTestClient.get(node.url() + path);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).contains("application/problem+json");
        JsonNode problem = AiTestClient.json(response);
        assertThat(problem.path("detail").asText()).isEqualTo("the request path is invalid");
        assertThat(upstream.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/v1/chat%2Fcompletions", "/v1/models%2Foa1", "/v1%2Fmodels/oa1",
        "/tenants/a%2Fb/v1/models/oa1%2Fgpt-4o"})
    void aiRouteRejectsEncodedSlashOutsideModelId(String path) {
        HttpResponse<String> response = AiTestClient.get(node.url() + path);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).contains("application/problem+json");
        assertThat(AiTestClient.json(response).path("detail").asText()).isEqualTo("the request path is invalid");
    }

    @Test
    void restRouteStillServesPlainPaths() {
        HttpResponse<String> response = AiTestClient.get(node.url() + "/files/a/b");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        assertThat(upstream.requests().get(0).target()).isEqualTo("/files/a/b");
    }
}

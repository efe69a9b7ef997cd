package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Azure OpenAI deployments behind the OpenAI-compatible endpoint, driven by the official OpenAI SDK. */
class AzureEndpointTest {

    private static OpenAiMock azure;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        azure = new OpenAiMock("azure", "az-key", true);
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode provider = config.provider("azure", "azure-openai", azure.url(), "az-key");
        provider.put("apiVersion", "2024-10-21");
        provider.putObject("deployments").put("gpt-4o", "prod-gpt4o");
        config.model("gpt-4o", "fallback", "azure/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("k").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        azure.close();
    }

    @Test
    void callsTheConfiguredDeployment() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("gpt-4o").addUserMessage("Hi").maxCompletionTokens(20).build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from azure");
        assertThat(completion.model()).isEqualTo("prod-gpt4o");
        assertThat(azure.last().path()).isEqualTo("/openai/deployments/prod-gpt4o/chat/completions");
        assertThat(azure.last().headers().get("api-key")).isEqualTo("az-key");
        assertThat(azure.last().body().get("max_completion_tokens").asInt()).isEqualTo(20);
    }

    @ParameterizedTest
    @ValueSource(strings = {".", ".."})
    void dotSegmentDeploymentIsRejected(String deployment) {
        int before = azure.received().size();

        HttpResponse<String> chat = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"azure/"
                + deployment + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        HttpResponse<String> embeddings = AiTestClient.post(node.url() + "/v1/embeddings", "{\"model\":\"azure/"
                + deployment + "\",\"input\":\"Hi\"}");

        String message = "deployment '" + deployment + "' is invalid, because this provider sends it as a URL path"
                + " segment, which cannot be '.' or '..'";
        assertThat(chat.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(chat).path("error").path("message").asText()).isEqualTo(message);
        assertThat(AiTestClient.json(chat).path("error").path("param").asText()).isEqualTo("model");
        assertThat(embeddings.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(embeddings).path("error").path("message").asText()).isEqualTo(message);
        assertThat(azure.received()).hasSize(before);
    }

    @Test
    void streamsWithUsage() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("gpt-4o").addUserMessage("Hi")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }

        assertThat(chunks.get(chunks.size() - 1).usage().orElseThrow().totalTokens()).isEqualTo(17);
    }
}

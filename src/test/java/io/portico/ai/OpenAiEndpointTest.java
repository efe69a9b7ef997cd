package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.NotFoundException;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.MockServer.Fault;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible endpoints, driven by the official OpenAI Java SDK through a real node to provider mocks. */
class OpenAiEndpointTest {

    private static OpenAiMock alpha;
    private static OpenAiMock beta;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        alpha = new OpenAiMock("alpha", "sk-alpha");
        beta = new OpenAiMock("beta", "sk-beta");
        node = TestNode.start();
        Configs config = Configs.document();
        fastRetries(config.provider("alpha", "openai", alpha.baseUrl(), "sk-alpha"));
        fastRetries(config.provider("beta", "openai-compatible", beta.baseUrl(), "sk-beta"))
                .putArray("models").add("llama-3");
        config.provider("pool", "openai", beta.baseUrl(), "sk-refused", "sk-beta");
        config.provider("refused", "openai", beta.baseUrl(), "sk-refused-1", "sk-refused-2");
        fastRetries(config.provider("limited", "openai", alpha.baseUrl(), "sk-alpha"));
        config.provider("patient", "openai", alpha.baseUrl(), "sk-alpha").putObject("retries")
                .put("attempts", 2).put("maxBackoff", "3s");
        config.model("limited-first", "fallback", "limited/gpt-4o", "beta/llama-3");
        // Faults go to providers of their own on the same mocks, since a failing target is tried last for a while.
        fastRetries(config.provider("flaky", "openai", alpha.baseUrl(), "sk-alpha"));
        config.model("flaky-first", "fallback", "flaky/gpt-4o", "beta/llama-3");
        config.model("smart", "fallback", "alpha/gpt-4o", "beta/llama-3");
        config.model("tuned:v2@org", "fallback", "alpha/gpt-4o");
        config.aiRoute("ai", "/v1");
        ObjectNode team = config.aiRoute("team", "/team-a");
        team.put("stripPrefix", true);
        team.putObject("ai").putArray("models").add("smart");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
    }

    private static ObjectNode fastRetries(ObjectNode provider) {
        provider.putObject("retries").put("attempts", 2).put("backoff", "10ms").put("maxBackoff", "50ms");
        return provider;
    }

    @AfterAll
    static void stop() {
        node.close();
        alpha.close();
        beta.close();
    }

    @BeforeEach
    void clearFaults() {
        alpha.received().clear();
        beta.received().clear();
    }

    private static ChatCompletionCreateParams.Builder chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hi").maxCompletionTokens(64);
    }

    @Test
    void retrievesModelWithEscapedId() {
        HttpResponse<String> escaped = AiTestClient.get(node.url() + "/v1/models/tuned%3Av2%40org");
        String sdkId = client.models().retrieve("tuned:v2@org").id();

        assertThat(escaped.statusCode()).as(escaped.body()).isEqualTo(200);
        assertThat(AiTestClient.json(escaped).path("id").asText()).isEqualTo("tuned:v2@org");
        assertThat(sdkId).isEqualTo("tuned:v2@org");
    }

    @Test
    void malformedEscapeIsKept() {
        assertThat(AiBackend.modelId("tuned%3")).isEqualTo("tuned%3");
        assertThat(AiBackend.modelId("a+b%2B")).isEqualTo("a+b+");
    }

    @Test
    void completesThroughVirtualModel() {
        ChatCompletion completion = client.chat().completions().create(chat("smart").build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from alpha");
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(12);
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(5);
        JsonNode sent = alpha.last().body();
        assertThat(sent.get("model").asText()).isEqualTo("gpt-4o");
        assertThat(sent.get("max_completion_tokens").asInt()).isEqualTo(64);
        assertThat(alpha.last().headers().get("authorization")).isEqualTo("Bearer sk-alpha");
    }

    @Test
    void reportsUsageInHeaders() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-portico-provider")).contains("alpha");
        assertThat(response.headers().firstValue("x-portico-model")).contains("gpt-4o");
        assertThat(response.headers().firstValue("x-portico-input-tokens")).contains("12");
        assertThat(response.headers().firstValue("x-portico-cached-tokens")).contains("2");
        assertThat(response.headers().firstValue("x-portico-reasoning-tokens")).contains("1");
        assertThat(response.headers().firstValue("x-portico-cost-usd")).isPresent();
    }

    @Test
    void streamsWithUsageAtTheEnd() {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        ChatCompletionCreateParams params = chat("smart")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }

        String text = chunks.stream().filter(c -> !c.choices().isEmpty())
                .map(c -> c.choices().get(0).delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello from alpha");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().promptTokens()).isEqualTo(12);
        assertThat(last.usage().orElseThrow().promptTokensDetails().orElseThrow().cachedTokens()).contains(2L);
        assertThat(chunks.subList(0, chunks.size() - 1)).allSatisfy(c -> assertThat(c.usage()).isEmpty());
    }

    @Test
    void streamsWithoutUsageWhenNotAsked() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"smart\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        List<Event> events = AiTestClient.events(response.body());
        assertThat(events.get(events.size() - 1).data()).isEqualTo("[DONE]");
        assertThat(events.subList(0, events.size() - 1)).allSatisfy(e -> assertThat(e.json().has("usage")).isFalse());
        assertThat(alpha.last().body().path("stream_options").path("include_usage").asBoolean()).isTrue();
    }

    @Test
    void streamsToolCallsNumberedFromZero() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"smart","stream":true,"messages":[{"role":"user","content":"Weather and time?"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},
                          {"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}]}
                """);

        List<JsonNode> calls = new ArrayList<>();
        String finish = null;
        for (Event event : AiTestClient.events(response.body())) {
            if ("[DONE]".equals(event.data())) {
                continue;
            }
            JsonNode choice = event.json().path("choices").path(0);
            choice.path("delta").path("tool_calls").forEach(calls::add);
            if (choice.path("finish_reason").isTextual()) {
                finish = choice.get("finish_reason").asText();
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(calls.get(0).toString()).isEqualTo("{\"index\":0,\"id\":\"call_weather\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}");
        StringBuilder weather = new StringBuilder();
        StringBuilder time = new StringBuilder();
        for (JsonNode call : calls.subList(1, calls.size())) {
            if (call.get("index").asInt() == 0) {
                assertThat(call.has("id")).isFalse();
                weather.append(call.path("function").path("arguments").asText());
            } else {
                assertThat(call.get("index").asInt()).isEqualTo(1);
                time.append(call.path("function").path("arguments").asText());
            }
        }
        assertThat(weather.toString()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(time.toString()).isEqualTo("{}");
    }

    @Test
    void fallsBackToTheNextTargetAfterRetries() {
        alpha.fail(Fault.SERVER_ERROR, Fault.SERVER_ERROR);

        ChatCompletion completion = client.chat().completions().create(chat("flaky-first").build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from beta");
        assertThat(alpha.received()).hasSize(2);
        assertThat(beta.last().body().get("max_tokens").asInt()).isEqualTo(64);
    }

    @Test
    void waitsForRetryAfterWhenTheBackoffAllowsIt() {
        alpha.fail(Fault.RATE_LIMITED);

        ChatCompletion completion = client.chat().completions().create(chat("patient/gpt-4o").build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from alpha");
        assertThat(alpha.received()).hasSize(2);
    }

    @Test
    void coolsARateLimitedKeyDownAndFallsBack() {
        alpha.fail(Fault.RATE_LIMITED);

        assertThat(client.chat().completions().create(chat("limited-first").build()).choices().get(0).message()
                .content()).contains("Hello from beta");
        assertThat(client.chat().completions().create(chat("limited-first").build()).choices().get(0).message()
                .content()).contains("Hello from beta");
        assertThat(alpha.received()).hasSize(1);
    }

    @Test
    void returnsTheProviderStatusInOpenAiShape() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"alpha/gpt-4o\",\"max_tokens\":5,\"max_completion_tokens\":5,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"beta/missing-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode error = AiTestClient.json(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("model_not_found");
        assertThat(error.get("message").asText()).contains("missing-model");
    }

    @Test
    void takesARejectedKeyOutOfThePool() {
        for (int i = 0; i < 3; i++) {
            assertThat(client.chat().completions().create(chat("pool/gpt-4o").build()).choices().get(0).message()
                    .content()).contains("Hello from beta");
        }

        assertThat(beta.received()).extracting(r -> r.headers().get("authorization"))
                .containsOnlyOnce("Bearer sk-refused");
    }

    @Test
    void keysAllRefusedGive502EveryTime() {
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                    "{\"model\":\"refused/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

            assertThat(response.statusCode()).as("request %d", i).isEqualTo(502);
            assertThat(AiTestClient.json(response).path("error").path("code").asText())
                    .isEqualTo("provider_authentication_failed");
            assertThat(response.body()).doesNotContain("sk-refused");
        }
        assertThat(beta.received()).extracting(r -> r.headers().get("authorization"))
                .containsOnlyOnce("Bearer sk-refused-1").containsOnlyOnce("Bearer sk-refused-2");
    }

    @Test
    void rejectsUnknownModels() {
        assertThatThrownBy(() -> client.chat().completions().create(chat("nonexistent").build()))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void rejectsInvalidRequestsInOpenAiShape() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"smart\"}");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(response).path("error").path("type").asText())
                .isEqualTo("invalid_request_error");
        assertThat(AiTestClient.post(node.url() + "/v1/chat/completions", "not json").statusCode()).isEqualTo(400);
    }

    @Test
    void endsACutStreamWithAnErrorEvent() {
        alpha.fail(Fault.CUT_STREAM);

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"flaky/gpt-4o\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        List<Event> events = AiTestClient.events(response.body());
        Event last = events.get(events.size() - 1);
        assertThat(last.data()).isNotEqualTo("[DONE]");
        assertThat(last.json().path("error").path("message").asText()).contains("broke off");
        // The provider's address stays in the node's log.
        assertThat(last.json().path("error").path("message").asText()).doesNotContain("127.0.0.1");
        assertThat(events).noneMatch(e -> e.data().contains("\"finish_reason\":\"stop\""));
    }

    @Test
    void createsEmbeddings() {
        CreateEmbeddingResponse embeddings = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("alpha/text-embedding-3-small").input("hello").build());

        assertThat(embeddings.data()).hasSize(1);
        assertThat(embeddings.data().get(0).embedding()).containsExactly(0.25f, -0.5f, 0f);
        assertThat(embeddings.usage().promptTokens()).isEqualTo(3);
    }

    @Test
    void listsModels() {
        List<String> ids = new ArrayList<>();
        client.models().list().autoPager().forEach(model -> ids.add(model.id()));

        assertThat(ids).contains("smart", "beta/llama-3");
    }

    @Test
    void servesABasePathWithItsOwnModels() {
        OpenAIClient team = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/team-a/v1").apiKey("k")
                .maxRetries(0).build();

        assertThat(team.chat().completions().create(chat("smart").build()).choices().get(0).message().content())
                .contains("Hello from alpha");
        assertThatThrownBy(() -> team.chat().completions().create(chat("alpha/gpt-4o").build()))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void callsToolsAndSendsResultsBack() {
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of())).build()).build();
        ChatCompletionCreateParams first = chat("smart").addFunctionTool(weather).build();
        ChatCompletion calls = client.chat().completions().create(first);
        var message = calls.choices().get(0).message();
        assertThat(message.toolCalls().orElseThrow()).hasSize(2);

        ChatCompletionCreateParams.Builder second = chat("smart").addFunctionTool(weather)
                .addMessage(message);
        message.toolCalls().orElseThrow().forEach(call -> second.addMessage(
                com.openai.models.chat.completions.ChatCompletionToolMessageParam.builder()
                        .toolCallId(call.asFunction().id()).content("sunny").build()));
        ChatCompletion answer = client.chat().completions().create(second.build());

        assertThat(answer.choices().get(0).message().content()).contains("It is sunny in Paris.");
    }
}

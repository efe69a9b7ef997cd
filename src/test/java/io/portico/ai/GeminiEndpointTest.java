package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionFunctionTool;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.GoogleServiceAccounts;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import java.net.http.HttpResponse;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible endpoints in front of the Gemini API and Vertex AI, driven by the official OpenAI SDK. */
class GeminiEndpointTest {

    private static Vertx vertx;
    private static GeminiMock gemini;
    private static GeminiMock vertex;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        KeyPair keys = GoogleServiceAccounts.rsaKeyPair();
        gemini = GeminiMock.geminiApi(vertx, "AIza-e2e").await();
        vertex = GeminiMock.vertex(vertx, keys.getPublic()).await();
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("google", "gemini", gemini.baseUrl(), "AIza-e2e");
        ObjectNode cloud = config.provider("cloud", "vertex", vertex.baseUrl());
        cloud.put("project", "proj-1").put("region", "us-central1").put("tokenUrl", vertex.tokenUrl())
                .put("serviceAccount", GoogleServiceAccounts.keyJson(keys, vertex.tokenUrl()));
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() {
        node.close();
        gemini.close();
        vertex.close();
        vertx.close().await();
    }

    @Test
    void completesWithUsage() {
        gemini.enqueue(Reply.text("Hello from Gemini."));

        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("google/gemini-2.5-flash").addSystemMessage("Be brief.").addUserMessage("Hi")
                .maxCompletionTokens(64).build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from Gemini.");
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(12);
        assertThat(usage.completionTokens()).isEqualTo(5);
        JsonNode sent = last(gemini).json();
        assertThat(sent.at("/generationConfig/maxOutputTokens").asInt()).isEqualTo(64);
        assertThat(sent.at("/systemInstruction/parts/0/text").asText()).isEqualTo("Be brief.");
        assertThat(last(gemini).headers().get("x-goog-api-key")).isEqualTo("AIza-e2e");
    }

    @Test
    void streamsToolCallWithUsage() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        parts.addObject().put("text", "Thinking it over.").put("thought", true);
        parts.addObject().putObject("functionCall").put("name", "get_weather").putObject("args").put("city", "Oslo");
        gemini.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(30, 8, 10, 6)));
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder()
                .model("google/gemini-2.5-flash").addUserMessage("Weather in Oslo?")
                .addTool(ChatCompletionFunctionTool.builder().function(FunctionDefinition.builder()
                        .name("get_weather").parameters(FunctionParameters.builder()
                                .putAdditionalProperty("type", JsonValue.from("object"))
                                .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                        Map.of("type", "string"))))
                                .build())
                        .build()).build())
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();

        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }

        List<ChatCompletionChunk.Choice.Delta.ToolCall> calls = chunks.stream()
                .filter(chunk -> !chunk.choices().isEmpty())
                .flatMap(chunk -> chunk.choices().get(0).delta().toolCalls().orElse(List.of()).stream())
                .toList();
        assertThat(calls.get(0).index()).isZero();
        assertThat(calls.get(0).id().orElseThrow()).matches("call_[0-9a-f]{24}");
        assertThat(calls.get(0).function().orElseThrow().name()).contains("get_weather");
        String arguments = calls.stream().map(call -> call.function().flatMap(f -> f.arguments()).orElse(""))
                .collect(Collectors.joining());
        assertThat(arguments).isEqualTo("{\"city\":\"Oslo\"}");
        String finish = chunks.stream().filter(chunk -> !chunk.choices().isEmpty())
                .flatMap(chunk -> chunk.choices().get(0).finishReason().stream())
                .map(reason -> reason.asString()).findFirst().orElseThrow();
        assertThat(finish).isEqualTo("tool_calls");
        CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(30);
        assertThat(usage.completionTokens()).isEqualTo(14);
        assertThat(usage.promptTokensDetails().orElseThrow().cachedTokens()).contains(10L);
        assertThat(usage.completionTokensDetails().orElseThrow().reasoningTokens()).contains(6L);
    }

    @Test
    void vertexCompletesWithServiceAccount() {
        vertex.enqueue(Reply.text("Hello from Vertex."));

        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("cloud/gemini-2.5-pro").addUserMessage("Hi").build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from Vertex.");
        assertThat(vertex.tokenExchanges()).isEqualTo(1);
        assertThat(last(vertex).path()).isEqualTo("/v1/projects/proj-1/locations/us-central1/publishers/google/"
                + "models/gemini-2.5-pro:generateContent");
    }

    @Test
    void anthropicToolUseIdsDifferBetweenTurns() {
        String tools = """
                "tools":[{"name":"get_weather","input_schema":{"type":"object"}}]""";
        gemini.enqueue(weatherCall());
        HttpResponse<String> first = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"google/gemini-2.5-flash","max_tokens":100,%s,
                 "messages":[{"role":"user","content":"Weather in Oslo?"}]}""".formatted(tools),
                "anthropic-version", "2023-06-01");
        String firstId = AiTestClient.json(first).at("/content/0/id").asText();
        gemini.enqueue(weatherCall());

        HttpResponse<String> second = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"google/gemini-2.5-flash","max_tokens":100,"stream":true,%s,
                 "messages":[{"role":"user","content":"Weather in Oslo?"},
                   {"role":"assistant","content":[
                     {"type":"tool_use","id":"%s","name":"get_weather","input":{"city":"Oslo"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"%s","content":"rain"}]}]}"""
                .formatted(tools, firstId, firstId), "anthropic-version", "2023-06-01");

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(200);
        String secondId = AiTestClient.events(second.body()).stream()
                .filter(event -> "content_block_start".equals(event.name())).findFirst().orElseThrow().json()
                .at("/content_block/id").asText();
        assertThat(firstId).matches("call_[0-9a-f]{24}");
        assertThat(secondId).matches("call_[0-9a-f]{24}");
        assertThat(secondId).isNotEqualTo(firstId);
        assertThat(last(gemini).json().at("/contents/1/parts/0")).isEqualTo(AiTestClient.quotedJson(
                "{'functionCall':{'name':'get_weather','args':{'city':'Oslo'}}}"));
        assertThat(last(gemini).json().at("/contents/2/parts/0")).isEqualTo(AiTestClient.quotedJson(
                "{'functionResponse':{'name':'get_weather','response':{'output':'rain'}}}"));
    }

    /** Returns a reply whose one part calls get_weather for Oslo, without a call id as Gemini 2.5 sends it. */
    private static Reply weatherCall() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        parts.addObject().putObject("functionCall").put("name", "get_weather").putObject("args").put("city", "Oslo");
        return Reply.response(parts, "STOP", GeminiMock.usage(20, 5, 0, 0));
    }

    private static GeminiMock.Recorded last(GeminiMock mock) {
        List<GeminiMock.Recorded> requests = mock.requests();
        return requests.get(requests.size() - 1);
    }
}

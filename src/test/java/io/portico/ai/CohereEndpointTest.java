package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import io.portico.ai.mock.CohereMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real node in front of the Cohere mock, driven by the official OpenAI Java SDK. */
class CohereEndpointTest {

    private static final String MODEL = "cohere/command-a-03-2025";
    private static final FunctionDefinition WEATHER = FunctionDefinition.builder().name("get_weather")
            .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                    .putAdditionalProperty("properties", JsonValue.from(Map.of())).build()).build();
    private static final FunctionDefinition TIME = FunctionDefinition.builder().name("get_time").build();

    private static CohereMock cohere;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        cohere = new CohereMock("co-key");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("cohere", "cohere", cohere.baseUrl(), "co-key");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() {
        node.close();
        cohere.close();
    }

    private static ChatCompletionCreateParams.Builder chat() {
        return ChatCompletionCreateParams.builder().model(MODEL).addSystemMessage("Be brief.").addUserMessage("Hi")
                .maxCompletionTokens(64).topP(0.5);
    }

    @Test
    void completesWithUsage() {
        ChatCompletion completion = client.chat().completions().create(chat().build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from cohere");
        assertThat(completion.choices().get(0).finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(12);
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(5);
        JsonNode sent = cohere.last().body();
        assertThat(cohere.last().path()).isEqualTo("/v2/chat");
        assertThat(cohere.last().headers().get("authorization")).isEqualTo("Bearer co-key");
        assertThat(sent.get("model").asText()).isEqualTo("command-a-03-2025");
        assertThat(sent.get("max_tokens").asInt()).isEqualTo(64);
        assertThat(sent.get("p").asDouble()).isEqualTo(0.5);
    }

    @Test
    void streamsToolCallsWithUsage() {
        ChatCompletionCreateParams params = chat().addFunctionTool(WEATHER).addFunctionTool(TIME)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }

        StringBuilder weather = new StringBuilder();
        StringBuilder time = new StringBuilder();
        List<String> names = new ArrayList<>();
        String finish = null;
        for (ChatCompletionChunk chunk : chunks) {
            if (chunk.choices().isEmpty()) {
                continue;
            }
            ChatCompletionChunk.Choice choice = chunk.choices().get(0);
            for (ChatCompletionChunk.Choice.Delta.ToolCall call : choice.delta().toolCalls().orElse(List.of())) {
                call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name)
                        .ifPresent(names::add);
                String fragment = call.function().flatMap(f -> f.arguments()).orElse("");
                (call.index() == 0 ? weather : time).append(fragment);
            }
            if (choice.finishReason().isPresent()) {
                finish = choice.finishReason().get().asString();
            }
        }
        assertThat(names).containsExactly("get_weather", "get_time");
        assertThat(weather.toString()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(time.toString()).isEqualTo("{}");
        assertThat(finish).isEqualTo("tool_calls");
        ChatCompletionChunk last = chunks.get(chunks.size() - 1);
        assertThat(last.usage().orElseThrow().promptTokens()).isEqualTo(12);
        assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(5);
        assertThat(cohere.last().body().get("stream").asBoolean()).isTrue();
    }

    @Test
    void sendsToolResultsBack() {
        ChatCompletion calls = client.chat().completions().create(chat().addFunctionTool(WEATHER).build());
        var message = calls.choices().get(0).message();
        assertThat(message.toolCalls().orElseThrow()).hasSize(2);
        assertThat(message.content()).contains("I will look up the weather and the time.");

        ChatCompletionCreateParams.Builder second = chat().addFunctionTool(WEATHER).addMessage(message);
        message.toolCalls().orElseThrow().forEach(call -> second.addMessage(ChatCompletionToolMessageParam.builder()
                .toolCallId(call.asFunction().id()).content("sunny").build()));
        ChatCompletion answer = client.chat().completions().create(second.build());

        assertThat(answer.choices().get(0).message().content()).contains("It is sunny in Paris.");
        JsonNode sent = cohere.last().body().get("messages");
        assertThat(sent.get(2).get("tool_plan").asText()).isEqualTo("I will look up the weather and the time.");
        assertThat(sent.get(3).get("tool_call_id").asText()).isEqualTo("get_weather_0");
        assertThat(sent.get(4).get("tool_call_id").asText()).isEqualTo("get_time_1");
    }

    @Test
    void embedsThroughCohere() {
        CreateEmbeddingResponse embeddings = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("cohere/embed-v4.0").input("hello").build());

        assertThat(embeddings.data()).hasSize(1);
        assertThat(embeddings.data().get(0).embedding()).containsExactly(0.5f, -0.25f, 0.0f);
        assertThat(embeddings.usage().promptTokens()).isEqualTo(2);
        assertThat(cohere.last().body().get("input_type").asText()).isEqualTo("search_document");
    }
}

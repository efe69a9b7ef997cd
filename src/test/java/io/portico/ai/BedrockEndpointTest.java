package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.CompletionUsage;
import io.portico.ai.mock.BedrockMock;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** A node with an Amazon Bedrock provider, driven by the official OpenAI Java SDK against {@link BedrockMock}. */
class BedrockEndpointTest {

    private static final String MODEL = "anthropic.claude-3-5-sonnet-20240620-v1:0";
    private static final String ACCESS_KEY_ID = "AKIDEXAMPLE";
    private static final String SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    private static final String WRONG_SECRET = "wrongSecretKeyOfTheSameLength0123456789ab";
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private static BedrockMock mock;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        mock = BedrockMock.start("eu-central-1", ACCESS_KEY_ID, SECRET, null);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("aws", "bedrock", mock.baseUrl())
                .put("region", "eu-central-1")
                .put("accessKeyId", ACCESS_KEY_ID)
                .put("secretAccessKey", SECRET)
                .putObject("retries").put("attempts", 1);
        config.provider("aws-wrong", "bedrock", mock.baseUrl())
                .put("region", "eu-central-1")
                .put("accessKeyId", ACCESS_KEY_ID)
                .put("secretAccessKey", WRONG_SECRET)
                .putObject("retries").put("attempts", 1);
        config.model("claude", "fallback", "aws/" + MODEL);
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
    }

    @AfterAll
    static void stop() {
        node.close();
        mock.close();
    }

    @Test
    void rejectedAccessKeyIsLoggedOnce() {
        List<Integer> statuses = new ArrayList<>();
        List<String> warnings;
        try (LogCapture log = new LogCapture(KeyPool.class)) {
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":"
                        + "\"aws-wrong/" + MODEL + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
                statuses.add(response.statusCode());
                assertThat(AiTestClient.json(response).path("error").path("code").asText())
                        .isEqualTo("provider_authentication_failed");
            }
            warnings = log.messages(Level.WARN);
        }

        assertThat(statuses).containsOnly(502);
        assertThat(warnings).hasSize(1);
        assertThat(warnings.get(0)).contains("Provider aws-wrong rejected the credentials").contains("status 403")
                .doesNotContain(WRONG_SECRET);
    }

    @Test
    void completesWithSignedCall() {
        ChatCompletion completion = client.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("claude").addSystemMessage("Be brief.").addUserMessage("Hi").maxCompletionTokens(64).build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from Bedrock.");
        assertThat(completion.choices().get(0).finishReason())
                .isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        CompletionUsage usage = completion.usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(12);
        assertThat(usage.completionTokens()).isEqualTo(5);
        BedrockMock.Recorded sent = last();
        assertThat(sent.path()).isEqualTo("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
        assertThat(sent.body().path("inferenceConfig").path("maxTokens").asInt()).isEqualTo(64);
        assertThat(sent.body().path("system").path(0).path("text").asText()).isEqualTo("Be brief.");
        assertThat(sent.headers().get("authorization"))
                .startsWith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
                .contains("/eu-central-1/bedrock/aws4_request");
    }

    @Test
    void streamsToolCallWithUsage() {
        ArrayNode content = NODES.arrayNode();
        content.addObject().put("text", "Checking.");
        content.addObject().putObject("toolUse").put("toolUseId", "tooluse_1").put("name", "get_weather")
                .putObject("input").put("city", "Paris");
        ObjectNode reply = BedrockMock.converseResponse(content, "tool_use", 40, 25);
        ((ObjectNode) reply.get("usage")).put("cacheReadInputTokens", 100);
        mock.reply(reply);
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city",
                                Map.of("type", "string")))).build()).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("claude")
                .addUserMessage("Weather in Paris?").addFunctionTool(weather)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }

        StringBuilder text = new StringBuilder();
        Map<Long, StringBuilder> arguments = new TreeMap<>();
        List<String> names = new ArrayList<>();
        String finish = null;
        for (ChatCompletionChunk chunk : chunks) {
            for (ChatCompletionChunk.Choice choice : chunk.choices()) {
                text.append(choice.delta().content().orElse(""));
                for (ChatCompletionChunk.Choice.Delta.ToolCall call : choice.delta().toolCalls().orElse(List.of())) {
                    call.function().flatMap(ChatCompletionChunk.Choice.Delta.ToolCall.Function::name)
                            .ifPresent(names::add);
                    arguments.computeIfAbsent(call.index(), index -> new StringBuilder())
                            .append(call.function().flatMap(f -> f.arguments()).orElse(""));
                }
                if (choice.finishReason().isPresent()) {
                    finish = choice.finishReason().get().asString();
                }
            }
        }
        assertThat(text.toString()).isEqualTo("Checking.");
        assertThat(names).containsExactly("get_weather");
        assertThat(arguments).containsOnlyKeys(0L);
        assertThat(arguments.get(0L).toString()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(finish).isEqualTo("tool_calls");
        CompletionUsage usage = chunks.get(chunks.size() - 1).usage().orElseThrow();
        assertThat(usage.promptTokens()).isEqualTo(140);
        assertThat(usage.completionTokens()).isEqualTo(25);
        assertThat(usage.promptTokensDetails().orElseThrow().cachedTokens()).contains(100L);
        assertThat(last().path()).endsWith("/converse-stream");
    }

    @Test
    void inlineImageSentAsBytes() {
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("claude")
                .addUserMessageOfArrayOfContentParts(List.of(ChatCompletionContentPart.ofImageUrl(
                        ChatCompletionContentPartImage.builder().imageUrl(ChatCompletionContentPartImage.ImageUrl
                                .builder().url("data:image/jpeg;base64," + png).build()).build())))
                .build();

        ChatCompletion completion = client.chat().completions().create(params);

        assertThat(completion.choices().get(0).message().content()).contains("Hello from Bedrock.");
        JsonNode image = last().body().path("messages").path(0).path("content").path(0).path("image");
        assertThat(image.path("format").asText()).isEqualTo("png");
        assertThat(image.path("source").path("bytes").asText()).isEqualTo(png);
    }

    @ParameterizedTest
    @ValueSource(strings = {".", ".."})
    void dotSegmentModelIdIsRejected(String model) {
        int before = mock.requests().size();

        HttpResponse<String> openAi = AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"aws/"
                + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        HttpResponse<String> anthropic = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"aws/"
                + model + "\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");
        HttpResponse<String> embeddings = AiTestClient.post(node.url() + "/v1/embeddings", "{\"model\":\"aws/"
                + model + "\",\"input\":\"Hi\"}");

        String message = "model id '" + model + "' is invalid, because this provider sends it as a URL path segment,"
                + " which cannot be '.' or '..'";
        assertThat(openAi.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(openAi)).isEqualTo(NODES.objectNode().set("error", NODES.objectNode()
                .put("message", message).put("type", "invalid_request_error").put("param", "model").putNull("code")));
        assertThat(anthropic.statusCode()).isEqualTo(400);
        assertThat(AiTestClient.json(anthropic)).isEqualTo(NODES.objectNode().put("type", "error").set("error",
                NODES.objectNode().put("type", "invalid_request_error").put("message", message)));
        // Embeddings reject the id before the path is built, as no embedding model family has it.
        assertThat(embeddings.statusCode()).isEqualTo(400);
        assertThat(mock.requests()).hasSize(before);
    }

    private static BedrockMock.Recorded last() {
        List<BedrockMock.Recorded> requests = mock.requests();
        return requests.get(requests.size() - 1);
    }
}

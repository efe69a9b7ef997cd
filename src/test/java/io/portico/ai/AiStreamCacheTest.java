package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
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
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streamed chat completions in the chat cache, on the local store and on the Redis store: a stream is stored once
 * it ended normally and serves later identical requests, streamed or not. The official OpenAI and Anthropic Java
 * SDKs read the replies, and the provider mocks count the calls, which proves each hit and miss.
 */
class AiStreamCacheTest {

    private static final String TOOLS = """
            "tools":[{"name":"get_weather","input_schema":{"type":"object"}},
                     {"name":"get_time","input_schema":{"type":"object"}}]""";

    private static OpenAiMock openAi;
    private static AnthropicMock anthropic;
    private static TestRedis redis;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", "sk-alpha");
        anthropic = new AnthropicMock("claude", "sk-ant");
        redis = TestRedis.start();
        node = TestNode.start(Map.of("redis.url", redis.url(), "redis.timeout", "2s",
                "redis.retryInterval", "200ms"));
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.provider("anthropic", "anthropic", anthropic.baseUrl(), "sk-ant");
        config.model("smart", "fallback", "alpha/gpt-4o");
        config.model("claude", "fallback", "anthropic/claude-sonnet-4-5");
        for (String store : List.of("local", "redis")) {
            ObjectNode route = config.aiRoute(store, "/" + store);
            route.put("stripPrefix", true);
            ObjectNode settings = route.putArray("policies").addObject().put("name", "cache").putObject("config")
                    .put("store", store);
            settings.putObject("chat").put("scope", "shared").put("ttl", "5m");
        }
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
        redis.close();
    }

    @BeforeEach
    void purge() {
        redis.restart();
        Conditions.eventually("the node uses Redis",
                () -> node.adminRaw("DELETE", "/admin/v1/cache", null).statusCode() == 200);
        openAi.received().clear();
        anthropic.received().clear();
    }

    private static OpenAIClient openAiClient(String store) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/" + store + "/v1").apiKey("client-key")
                .maxRetries(0).build();
    }

    private static AnthropicClient anthropicClient(String store) {
        return AnthropicOkHttpClient.builder().baseUrl(node.url() + "/" + store).apiKey("client-key")
                .maxRetries(0).build();
    }

    /** Returns a question no other test sends, so entries of earlier tests never match it. */
    private static String question(String topic) {
        return topic + " " + UUID.randomUUID();
    }

    /**
     * Waits until the store of route {@code store} contains {@code count} entries. A stream's entry is written before
     * its last event, but a Redis write may still be on its way when the client sends its next request.
     */
    private static void awaitEntries(String store, int count) {
        Conditions.eventually(count + " entries in the " + store + " store", () -> {
            if (store.equals("redis")) {
                try (RespConnection connection = new RespConnection(redis.port())) {
                    return ((List<?>) connection.call("KEYS", "portico:cache:redis:*")).size() == count;
                }
            }
            JsonNode stores = node.admin("GET", "/admin/v1/cache", null, 200).path("stores");
            for (JsonNode stats : stores) {
                if (stats.path("type").asText().equals("local")) {
                    return stats.path("entries").asLong() == count;
                }
            }
            return false;
        });
    }

    private static List<ChatCompletionChunk> stream(OpenAIClient client, ChatCompletionCreateParams params) {
        List<ChatCompletionChunk> chunks = new ArrayList<>();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(chunks::add);
        }
        return chunks;
    }

    private static List<RawMessageStreamEvent> stream(AnthropicClient client, MessageCreateParams params) {
        List<RawMessageStreamEvent> events = new ArrayList<>();
        try (com.anthropic.core.http.StreamResponse<RawMessageStreamEvent> stream =
                     client.messages().createStreaming(params)) {
            stream.stream().forEach(events::add);
        }
        return events;
    }

    private static String text(List<ChatCompletionChunk> chunks) {
        return chunks.stream().filter(chunk -> !chunk.choices().isEmpty())
                .map(chunk -> chunk.choices().get(0).delta().content().orElse("")).collect(Collectors.joining());
    }

    private static String finishReason(List<ChatCompletionChunk> chunks) {
        return chunks.stream().flatMap(chunk -> chunk.choices().stream())
                .filter(choice -> choice.finishReason().isPresent())
                .map(choice -> choice.finishReason().orElseThrow().asString()).findFirst().orElse("");
    }

    private static String anthropicText(List<RawMessageStreamEvent> events) {
        return events.stream().filter(RawMessageStreamEvent::isContentBlockDelta)
                .map(event -> event.asContentBlockDelta().delta().text().map(text -> text.text()).orElse(""))
                .collect(Collectors.joining());
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void openAiStreamIsReplayedFromCache(String store) {
        OpenAIClient client = openAiClient(store);
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("smart")
                .addUserMessage(question("Stream")).maxCompletionTokens(64)
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();

        List<ChatCompletionChunk> first = stream(client, params);
        awaitEntries(store, 1);
        List<ChatCompletionChunk> replayed = stream(client, params);
        ChatCompletion whole = client.chat().completions().create(params);

        assertThat(openAi.received()).hasSize(1);
        assertThat(text(first)).isEqualTo("Hello from alpha");
        assertThat(text(replayed)).isEqualTo(text(first));
        assertThat(finishReason(replayed)).isEqualTo("stop");
        var firstUsage = first.get(first.size() - 1).usage().orElseThrow();
        var replayedUsage = replayed.get(replayed.size() - 1).usage().orElseThrow();
        assertThat(replayedUsage.promptTokens()).isEqualTo(firstUsage.promptTokens());
        assertThat(replayedUsage.completionTokens()).isEqualTo(firstUsage.completionTokens());
        assertThat(whole.choices().get(0).message().content()).hasValue("Hello from alpha");
        assertThat(whole.choices().get(0).finishReason().asString()).isEqualTo("stop");
        assertThat(whole.usage().orElseThrow().promptTokens()).isEqualTo(firstUsage.promptTokens());
        assertThat(whole.id()).isEqualTo(first.get(0).id());
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void streamWithoutUsageOptionEndsWithoutUsage(String store) {
        OpenAIClient client = openAiClient(store);
        ChatCompletionCreateParams whole = ChatCompletionCreateParams.builder().model("smart")
                .addUserMessage(question("No usage")).build();
        client.chat().completions().create(whole);
        awaitEntries(store, 1);

        List<ChatCompletionChunk> replayed = stream(client, whole);

        assertThat(openAi.received()).hasSize(1);
        assertThat(text(replayed)).isEqualTo("Hello from alpha");
        assertThat(replayed).allSatisfy(chunk -> assertThat(chunk.usage()).isEmpty());
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void streamedToolCallsAreStoredWhole(String store) {
        OpenAIClient client = openAiClient(store);
        FunctionDefinition weather = FunctionDefinition.builder().name("get_weather")
                .parameters(FunctionParameters.builder().putAdditionalProperty("type", JsonValue.from("object"))
                        .build()).build();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("smart")
                .addUserMessage(question("Weather")).addFunctionTool(weather).build();

        List<ChatCompletionChunk> first = stream(client, params);
        awaitEntries(store, 1);
        ChatCompletion whole = client.chat().completions().create(params);

        assertThat(openAi.received()).hasSize(1);
        assertThat(finishReason(first)).isEqualTo("tool_calls");
        assertThat(whole.choices().get(0).finishReason().asString()).isEqualTo("tool_calls");
        List<ChatCompletionMessageToolCall> calls = whole.choices().get(0).message().toolCalls().orElseThrow();
        assertThat(calls).hasSize(2);
        assertThat(calls.get(0).asFunction().id()).isEqualTo("call_weather");
        assertThat(calls.get(0).asFunction().function().name()).isEqualTo("get_weather");
        assertThat(calls.get(0).asFunction().function().arguments()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(calls.get(1).asFunction().function().name()).isEqualTo("get_time");
        assertThat(calls.get(1).asFunction().function().arguments()).isEqualTo("{}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void anthropicNativeStreamIsReplayed(String store) {
        AnthropicClient client = anthropicClient(store);
        MessageCreateParams params = MessageCreateParams.builder().model("claude").maxTokens(100)
                .addUserMessage(question("Native")).build();

        List<RawMessageStreamEvent> first = stream(client, params);
        awaitEntries(store, 1);
        Message whole = client.messages().create(params);
        List<RawMessageStreamEvent> replayed = stream(client, params);

        assertThat(anthropic.received()).hasSize(1);
        assertThat(anthropicText(first)).isEqualTo("Hello from claude");
        assertThat(whole.content()).hasSize(1);
        assertThat(whole.content().get(0).text().orElseThrow().text()).isEqualTo("Hello from claude");
        assertThat(whole.id()).isEqualTo("msg_claude");
        assertThat(whole.stopReason().orElseThrow().asString()).isEqualTo("end_turn");
        assertThat(whole.usage().inputTokens()).isEqualTo(12);
        assertThat(whole.usage().outputTokens()).isEqualTo(6);
        assertThat(whole.usage().cacheReadInputTokens()).contains(3L);
        assertThat(replayed.get(0).isMessageStart()).isTrue();
        assertThat(replayed.get(replayed.size() - 1).isMessageStop()).isTrue();
        assertThat(anthropicText(replayed)).isEqualTo("Hello from claude");
        var delta = replayed.get(replayed.size() - 2).asMessageDelta();
        assertThat(delta.delta().stopReason().orElseThrow().asString()).isEqualTo("end_turn");
        assertThat(delta.usage().outputTokens()).isEqualTo(6);
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void nativeThinkingAndToolUseAreStored(String store) {
        String url = node.url() + "/" + store + "/v1/messages";
        String body = """
                {"model":"claude","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},
                 "messages":[{"role":"user","content":"%s"}],%s}""".formatted(question("Tools"), TOOLS);

        HttpResponse<String> streamed = AiTestClient.post(url, body.replace("{\"model\"", "{\"stream\":true,\"model\""),
                "anthropic-version", "2023-06-01");
        awaitEntries(store, 1);
        HttpResponse<String> whole = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");

        assertThat(streamed.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(whole.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(anthropic.received()).hasSize(1);
        JsonNode message = AiTestClient.json(whole);
        assertThat(message.at("/content/0").toString())
                .isEqualTo("{\"type\":\"thinking\",\"thinking\":\"Let me think.\",\"signature\":\"sig-1\"}");
        assertThat(message.at("/content/1/name").asText()).isEqualTo("get_weather");
        assertThat(message.at("/content/1/input").toString()).isEqualTo("{\"city\":\"Paris\"}");
        assertThat(message.at("/content/2/name").asText()).isEqualTo("get_time");
        assertThat(message.at("/content/2/input").toString()).isEqualTo("{}");
        assertThat(message.path("stop_reason").asText()).isEqualTo("tool_use");
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void anthropicStreamFromOpenAiModelIsStored(String store) {
        AnthropicClient client = anthropicClient(store);
        MessageCreateParams params = MessageCreateParams.builder().model("smart").maxTokens(100)
                .addUserMessage(question("Translated")).build();

        List<RawMessageStreamEvent> first = stream(client, params);
        awaitEntries(store, 1);
        Message whole = client.messages().create(params);
        List<RawMessageStreamEvent> replayed = stream(client, params);

        assertThat(openAi.received()).hasSize(1);
        assertThat(anthropicText(first)).isEqualTo("Hello from alpha");
        assertThat(whole.content().get(0).text().orElseThrow().text()).isEqualTo("Hello from alpha");
        assertThat(whole.stopReason().orElseThrow().asString()).isEqualTo("end_turn");
        assertThat(anthropicText(replayed)).isEqualTo("Hello from alpha");
        assertThat(replayed.get(replayed.size() - 1).isMessageStop()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void brokenStreamIsNotStored(String store) {
        String url = node.url() + "/" + store + "/v1/chat/completions";
        String body = "{\"model\":\"smart\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + question("Cut") + "\"}]}";
        openAi.fail(MockServer.Fault.CUT_STREAM);

        HttpResponse<String> cut = AiTestClient.post(url, body);
        HttpResponse<String> whole = AiTestClient.post(url, body);
        awaitEntries(store, 1);
        HttpResponse<String> hit = AiTestClient.post(url, body);

        assertThat(cut.body()).doesNotContain("[DONE]");
        assertThat(whole.headers().firstValue("cache-status")).hasValue("Portico; fwd=uri-miss");
        assertThat(whole.body()).contains("[DONE]");
        assertThat(hit.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(hit.body()).endsWith("data: [DONE]\n\n");
        assertThat(openAi.received()).hasSize(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"local", "redis"})
    void tooOldCompletionIsStoredAgain(String store) throws InterruptedException {
        String url = node.url() + "/" + store + "/v1/chat/completions";
        String body = "{\"model\":\"smart\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + question("Age") + "\"}]}";
        AiTestClient.post(url, body);
        awaitEntries(store, 1);
        Thread.sleep(1_100);

        HttpResponse<String> tooOld = AiTestClient.post(url, body, "Cache-Control", "max-age=0");
        HttpResponse<String> oldEnough = AiTestClient.post(url, body, "Cache-Control", "max-age=60");
        HttpResponse<String> fresher = AiTestClient.post(url, body, "Cache-Control", "min-fresh=600");

        assertThat(tooOld.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(tooOld.body()).endsWith("data: [DONE]\n\n");
        assertThat(oldEnough.headers().firstValue("cache-status").orElseThrow()).startsWith("Portico; hit; ttl=");
        assertThat(oldEnough.headers().firstValue("age")).isPresent();
        assertThat(oldEnough.body()).endsWith("data: [DONE]\n\n");
        assertThat(fresher.headers().firstValue("cache-status")).hasValue("Portico; fwd=request");
        assertThat(openAi.received()).hasSize(3);
    }

    @Test
    void stoppedRedisLeavesStreamsUncached() {
        String url = node.url() + "/redis/v1/messages";
        String body = "{\"model\":\"claude\",\"stream\":true,\"max_tokens\":64,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"" + question("Outage") + "\"}]}";
        redis.stop();

        HttpResponse<String> first = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");
        HttpResponse<String> second = AiTestClient.post(url, body, "anthropic-version", "2023-06-01");

        for (HttpResponse<String> response : List.of(first, second)) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().firstValue("cache-status")).hasValue("Portico; fwd=miss; detail=store-error");
            List<Event> events = AiTestClient.events(response.body());
            assertThat(events.get(events.size() - 1).name()).isEqualTo("message_stop");
        }
        assertThat(anthropic.received()).hasSize(2);
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.models.ResponseFormatJsonSchema;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionContentPart;
import com.openai.models.chat.completions.ChatCompletionContentPartImage;
import com.openai.models.chat.completions.ChatCompletionContentPartText;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.AnthropicMock;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Anthropic-compatible endpoints, driven by the official Anthropic Java SDK through a real node, served by an
 * Anthropic mock as it is and by an OpenAI mock through translation; and the OpenAI endpoints served by Anthropic.
 */
class AnthropicEndpointTest {

    private static final String TOOLS = """
            "tools":[{"name":"get_weather","input_schema":{"type":"object"}},
                     {"name":"get_time","input_schema":{"type":"object"}}]""";

    private static OpenAiMock openAi;
    private static AnthropicMock anthropic;
    private static TestNode node;
    private static AnthropicClient client;

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
        node.apply(config.build());
        client = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
        anthropic.close();
    }

    private static MessageCreateParams.Builder message(String model) {
        return MessageCreateParams.builder().model(model).maxTokens(100).addUserMessage("Hi");
    }

    @Test
    void relaysAnthropicModelsAsTheyAre() {
        Message message = client.messages().create(message("claude").system("Be brief.").build());

        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo("Hello from claude");
        assertThat(message.usage().inputTokens()).isEqualTo(12);
        assertThat(message.usage().cacheReadInputTokens()).contains(3L);
        JsonNode sent = anthropic.last().body();
        assertThat(sent.get("model").asText()).isEqualTo("claude-sonnet-4-5");
        assertThat(sent.get("system").asText()).isEqualTo("Be brief.");
        assertThat(anthropic.last().headers().get("x-api-key")).isEqualTo("sk-ant");
    }

    @Test
    void translatesForOpenAiModels() {
        Message message = client.messages().create(message("gpt").system("Be brief.").build());

        assertThat(message.content().get(0).text().orElseThrow().text()).isEqualTo("Hello from gpt");
        assertThat(message.stopReason().orElseThrow().asString()).isEqualTo("end_turn");
        assertThat(message.usage().inputTokens()).isEqualTo(10);
        assertThat(message.usage().cacheReadInputTokens()).contains(2L);
        assertThat(message.usage().outputTokens()).isEqualTo(5);
        JsonNode sent = openAi.last().body();
        assertThat(sent.get("messages").toString()).isEqualTo(
                "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"}]");
        assertThat(sent.get("max_completion_tokens").asInt()).isEqualTo(100);
    }

    @Test
    void streamsTextFromOpenAiModels() {
        List<RawMessageStreamEvent> events = new ArrayList<>();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(message("gpt")
                .build())) {
            stream.stream().forEach(events::add);
        }

        String text = events.stream().filter(RawMessageStreamEvent::isContentBlockDelta)
                .map(e -> e.asContentBlockDelta().delta().text().map(t -> t.text()).orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello from gpt");
        assertThat(events.get(0).isMessageStart()).isTrue();
        assertThat(events.get(0).asMessageStart().message().usage().inputTokens()).isPositive();
        assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();
        var delta = events.get(events.size() - 2).asMessageDelta();
        assertThat(delta.delta().stopReason().orElseThrow().asString()).isEqualTo("end_turn");
        assertThat(delta.usage().outputTokens()).isEqualTo(5);
    }

    @Test
    void relaysAnthropicStreamEndingOnce() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"claude","max_tokens":100,"stream":true,
                 "messages":[{"role":"user","content":"Hi"}]}""", "anthropic-version", "2023-06-01");

        List<String> shape = AiTestClient.events(response.body()).stream().map(Event::name).toList();
        assertThat(shape).startsWith("message_start").endsWith("message_delta", "message_stop");
        assertThat(shape.stream().filter("message_stop"::equals)).hasSize(1);
        assertThat(shape.stream().filter("message_delta"::equals)).hasSize(1);
    }

    @Test
    void streamsToolUseFromOpenAiModels() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"gpt","max_tokens":100,"stream":true,
                 "messages":[{"role":"user","content":"Weather and time?"}],""" + TOOLS + "}",
                "anthropic-version", "2023-06-01");

        List<String> shape = new ArrayList<>();
        StringBuilder weather = new StringBuilder();
        StringBuilder time = new StringBuilder();
        for (Event event : AiTestClient.events(response.body())) {
            JsonNode json = event.json();
            shape.add(event.name());
            if ("content_block_start".equals(event.name())) {
                assertThat(json.path("content_block").path("type").asText()).isEqualTo("tool_use");
            }
            if ("content_block_delta".equals(event.name())) {
                assertThat(json.path("delta").path("type").asText()).isEqualTo("input_json_delta");
                (json.get("index").asInt() == 0 ? weather : time).append(json.path("delta").path("partial_json")
                        .asText());
            }
            if ("message_delta".equals(event.name())) {
                assertThat(json.path("delta").path("stop_reason").asText()).isEqualTo("tool_use");
            }
        }
        assertThat(shape).startsWith("message_start", "content_block_start").endsWith("message_delta",
                "message_stop");
        assertThat(shape.stream().filter("content_block_start"::equals)).hasSize(2);
        assertThat(weather.toString()).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(time.toString()).isEqualTo("{}");
    }

    @Test
    void servesOpenAiClientsFromAnthropicModels() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"claude","stream":true,"stream_options":{"include_usage":true},
                 "messages":[{"role":"user","content":"Weather and time?"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}},
                          {"type":"function","function":{"name":"get_time","parameters":{"type":"object"}}}]}
                """);

        List<JsonNode> calls = new ArrayList<>();
        JsonNode usage = null;
        String finish = null;
        for (Event event : AiTestClient.events(response.body())) {
            if ("[DONE]".equals(event.data())) {
                continue;
            }
            JsonNode chunk = event.json();
            chunk.path("choices").path(0).path("delta").path("tool_calls").forEach(calls::add);
            if (chunk.path("choices").path(0).path("finish_reason").isTextual()) {
                finish = chunk.path("choices").path(0).path("finish_reason").asText();
            }
            if (chunk.hasNonNull("usage")) {
                usage = chunk.get("usage");
            }
        }
        assertThat(finish).isEqualTo("tool_calls");
        assertThat(calls.get(0).toString()).isEqualTo("{\"index\":0,\"id\":\"toolu_weather\",\"type\":\"function\","
                + "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}");
        assertThat(calls).filteredOn(c -> c.get("index").asInt() == 1 && c.has("id")).hasSize(1);
        String weather = calls.stream().filter(c -> c.get("index").asInt() == 0)
                .map(c -> c.path("function").path("arguments").asText()).collect(Collectors.joining());
        String time = calls.stream().filter(c -> c.get("index").asInt() == 1)
                .map(c -> c.path("function").path("arguments").asText()).collect(Collectors.joining());
        assertThat(weather).isEqualTo("{\"city\": \"Paris\"}");
        assertThat(time).isEqualTo("{}");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(15);
        assertThat(usage.path("prompt_tokens_details").path("cached_tokens").asInt()).isEqualTo(3);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(6);
    }

    @Test
    void groupsParallelToolResultsForAnthropic() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"claude","messages":[
                  {"role":"user","content":"Weather and time?"},
                  {"role":"assistant","content":null,"tool_calls":[
                    {"id":"toolu_weather","type":"function","function":{"name":"get_weather","arguments":"{}"}},
                    {"id":"toolu_time","type":"function","function":{"name":"get_time","arguments":"{}"}}]},
                  {"role":"tool","tool_call_id":"toolu_weather","content":"sunny"},
                  {"role":"tool","tool_call_id":"toolu_time","content":"noon"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}
                """);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode messages = anthropic.last().body().get("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(2).toString()).isEqualTo("{\"role\":\"user\",\"content\":["
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_weather\",\"content\":\"sunny\"},"
                + "{\"type\":\"tool_result\",\"tool_use_id\":\"toolu_time\",\"content\":\"noon\"}]}");
        assertThat(AiTestClient.json(response).path("choices").path(0).path("message").path("content").asText())
                .isEqualTo("Hello from claude");
    }

    @Test
    void keepsThinkingBlocksForOpenAiClients() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", """
                {"model":"claude","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},
                 "messages":[{"role":"user","content":"Hi"}]}""");

        JsonNode message = AiTestClient.json(response).path("choices").path(0).path("message");
        assertThat(message.get("reasoning_content").asText()).isEqualTo("Let me think.");
        assertThat(message.get("thinking_blocks").toString()).isEqualTo(
                "[{\"type\":\"thinking\",\"thinking\":\"Let me think.\",\"signature\":\"sig-1\"}]");
    }

    @Test
    void returnsJsonSchemaOutputToOpenAiClients() {
        OpenAIClient openAiClient = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("k")
                .maxRetries(0).build();
        ResponseFormatJsonSchema format = ResponseFormatJsonSchema.builder().jsonSchema(
                ResponseFormatJsonSchema.JsonSchema.builder().name("answer").schema(
                        ResponseFormatJsonSchema.JsonSchema.Schema.builder()
                                .putAdditionalProperty("type", JsonValue.from("object")).build()).build()).build();

        ChatCompletion completion = openAiClient.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("claude").addUserMessage("Answer as JSON").responseFormat(format).build());

        assertThat(completion.choices().get(0).message().content()).contains("{\"answer\":\"42\"}");
        assertThat(completion.choices().get(0).finishReason().asString()).isEqualTo("stop");
        assertThat(anthropic.last().body().get("tool_choice").toString())
                .isEqualTo("{\"type\":\"tool\",\"name\":\"structured_output\"}");
    }

    @Test
    void sendsImagesFromOpenAiClients() {
        OpenAIClient openAiClient = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("k")
                .maxRetries(0).build();
        String png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAAB";
        ChatCompletionContentPart image = ChatCompletionContentPart.ofImageUrl(ChatCompletionContentPartImage
                .builder().imageUrl(ChatCompletionContentPartImage.ImageUrl.builder()
                        .url("data:image/jpeg;base64," + png).build()).build());
        ChatCompletionContentPart text = ChatCompletionContentPart.ofText(ChatCompletionContentPartText.builder()
                .text("What is this?").build());

        ChatCompletion completion = openAiClient.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("claude").addUserMessageOfArrayOfContentParts(List.of(text, image)).build());

        assertThat(completion.choices().get(0).message().content()).contains("Hello from claude");
        assertThat(anthropic.last().body().at("/messages/0/content/1").toString()).isEqualTo(
                "{\"type\":\"image\",\"source\":{\"type\":\"base64\",\"media_type\":\"image/png\",\"data\":\""
                        + png + "\"}}");
    }

    @Test
    void forwardsBetaFeaturesToAnthropic() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"claude\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01", "anthropic-beta", "context-1m-2025-08-07");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(anthropic.last().headers().get("anthropic-beta")).isEqualTo("context-1m-2025-08-07");
    }

    @Test
    void keepsCacheBreakpointsOffOpenAiRequests() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", """
                {"model":"gpt","max_tokens":100,
                 "system":[{"type":"text","text":"Rules.","cache_control":{"type":"ephemeral"}},
                           {"type":"text","text":"Be brief."}],
                 "tools":[{"name":"get_weather","input_schema":{"type":"object"},
                           "cache_control":{"type":"ephemeral"}}],
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"Weather?","cache_control":{"type":"ephemeral"}}]},
                   {"role":"assistant","content":[{"type":"tool_use","id":"call_w","name":"get_weather","input":{},
                     "cache_control":{"type":"ephemeral"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"call_w","content":"service down",
                     "is_error":true,"cache_control":{"type":"ephemeral"}}]}]}""", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode sent = openAi.last().body();
        assertThat(sent.get("messages")).isEqualTo(AiTestClient.quotedJson("""
                [{'role':'system','content':[{'type':'text','text':'Rules.'}]},
                 {'role':'system','content':[{'type':'text','text':'Be brief.'}]},
                 {'role':'user','content':[{'type':'text','text':'Weather?'}]},
                 {'role':'assistant','content':null,'tool_calls':[{'id':'call_w','type':'function',
                   'function':{'name':'get_weather','arguments':'{}'}}]},
                 {'role':'tool','tool_call_id':'call_w','content':'Error: service down'}]"""));
        assertThat(sent.get("tools")).isEqualTo(AiTestClient.quotedJson("""
                [{'type':'function','function':{'name':'get_weather','parameters':{'type':'object'}}}]"""));
    }

    @Test
    void countsTokens() {
        long native_ = client.messages().countTokens(MessageCountTokensParams.builder().model("claude")
                .addUserMessage("Hi").build()).inputTokens();
        long counted = client.messages().countTokens(MessageCountTokensParams.builder().model("gpt")
                .addUserMessage("Hello there, how are you?").build()).inputTokens();

        assertThat(native_).isEqualTo(21);
        assertThat(counted).isBetween(5L, 20L);
    }

    @Test
    void reportsErrorsInAnthropicShape() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"unknown\",\"max_tokens\":10,\"messages\":[]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(404);
        JsonNode body = AiTestClient.json(response);
        assertThat(body.get("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("not_found_error");
    }
}

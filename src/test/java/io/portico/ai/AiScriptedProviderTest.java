package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.InternalServerException;
import com.openai.errors.RateLimitException;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.AiTestClient.Event;
import io.portico.ai.mock.EventStreamWriter;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Streams, errors and rate limits of scripted providers on loopback: one server speaks each provider format under
 * its own path prefix and sends the script that the requested model names. An OpenAI mock serves as the fallback.
 */
class AiScriptedProviderTest {

    private static final String ROLE = "{\"role\":\"assistant\",\"content\":\"\"}";
    private static final String ANTHROPIC_START = anthropicEvent("message_start", "{\"type\":\"message_start\","
            + "\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"m\","
            + "\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":7,"
            + "\"output_tokens\":1}}}")
            + anthropicEvent("ping", "{\"type\":\"ping\"}");
    private static final String ANTHROPIC_TEXT = anthropicEvent("content_block_start", "{\"type\":"
            + "\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
            + anthropicEvent("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,"
            + "\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}");
    private static final String ANTHROPIC_END = anthropicEvent("content_block_stop",
            "{\"type\":\"content_block_stop\",\"index\":0}")
            + anthropicEvent("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":"
            + "\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":2}}");
    private static final String MESSAGE_STOP = anthropicEvent("message_stop", "{\"type\":\"message_stop\"}");
    /** A chat completion whose one tool call has arguments cut off, with {@code finish_reason} {@code length}. */
    private static final String CUT_ARGUMENTS = "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":null,"
            + "\"tool_calls\":[{\"id\":\"call_X\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
            + "\"arguments\":\"{\\\"city\\\": \\\"Par\"}}]},\"finish_reason\":\"length\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":8,\"total_tokens\":11}}";
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static HttpServer server;
    private static OpenAiMock backup;
    private static TestNode node;
    private static OpenAIClient openAi;
    private static AnthropicClient anthropic;
    /** Each request the scripted server received, as its path's first segment, a space and the model. */
    private static final List<String> RECEIVED = new CopyOnWriteArrayList<>();
    /** Lets the {@code slow} script send the rest of its stream; the server completes it after 5 seconds. */
    private static volatile Promise<Void> release = Promise.promise();

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        server = vertx.createHttpServer().requestHandler(request -> request.body()
                .onSuccess(body -> serve(request, body)))
                .listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        backup = new OpenAiMock("backup", "sk-backup");
        node = TestNode.start();
        String url = "http://127.0.0.1:" + server.actualPort();
        Configs config = Configs.document();
        once(config.provider("scripted-oa", "openai", url + "/openai", "sk-scripted"));
        once(config.provider("scripted-an", "anthropic", url + "/anthropic", "sk-scripted"));
        once(config.provider("mistral", "mistral", url + "/mistral", "sk-scripted"));
        once(config.provider("gemini", "gemini", url + "/gemini", "sk-scripted"));
        once(config.provider("cohere", "cohere", url + "/cohere", "sk-scripted"));
        once(config.provider("ollama", "ollama", url + "/ollama"));
        once(config.provider("bedrock", "bedrock", url + "/bedrock", "sk-scripted")).put("region", "us-east-1");
        once(config.provider("limits", "openai", url + "/openai", "sk-limits"));
        once(config.provider("revoked", "openai", url + "/openai", "sk-revoked"));
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.model("early-an-1", "fallback", "scripted-an/early-error-1", "backup/gpt-4o");
        config.model("early-an-2", "fallback", "scripted-an/early-error-2", "backup/gpt-4o");
        config.model("early-oa", "fallback", "scripted-oa/early-error-3", "backup/gpt-4o");
        config.model("overloaded-an", "fallback", "scripted-an/overloaded-fallback", "backup/gpt-4o");
        config.model("revoked-listed", "fallback", "revoked/unauthorized");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        openAi = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("client-key").maxRetries(0)
                .build();
        anthropic = AnthropicOkHttpClient.builder().baseUrl(node.url()).apiKey("client-key").maxRetries(0).build();
    }

    private static ObjectNode once(ObjectNode provider) {
        provider.putObject("retries").put("attempts", 1);
        return provider;
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        backup.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void streamKeepsEachChoiceApart() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        streamChunks(ChatCompletionCreateParams.builder().model("scripted-oa/choices").addUserMessage("Hi").n(2)
                .build()).forEach(accumulator::accumulate);

        ChatCompletion completion = accumulator.chatCompletion();
        assertThat(completion.choices()).hasSize(2);
        ChatCompletion.Choice first = completion.choices().get(0);
        ChatCompletion.Choice second = completion.choices().get(1);
        assertThat(first.index()).isZero();
        assertThat(first.message().content()).contains("Aa");
        assertThat(first.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.STOP);
        assertThat(second.index()).isEqualTo(1);
        assertThat(second.message().content()).contains("Bb");
        assertThat(second.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
    }

    @Test
    void streamWithUnfinishedChoiceFails() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted-oa/choices-cut\",\"n\":2,\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        Event last = events.get(events.size() - 1);
        assertThat(last.data()).isNotEqualTo("[DONE]");
        assertThat(last.json().path("error").path("message").asText()).contains("ended before");
    }

    @Test
    void errorAfterMessageStartFallsBack() {
        List<ChatCompletionChunk> chunks = streamChunks(chat("early-an-1"));

        String text = chunks.stream().filter(chunk -> !chunk.choices().isEmpty())
                .map(chunk -> chunk.choices().get(0).delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello from backup");
        assertThat(RECEIVED).contains("anthropic early-error-1");
    }

    @Test
    void earlyErrorFallsBackForAnthropic() {
        List<RawMessageStreamEvent> events;
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(
                MessageCreateParams.builder().model("early-an-2").maxTokens(50).addUserMessage("Hi").build())) {
            events = stream.stream().toList();
        }

        String text = events.stream().filter(RawMessageStreamEvent::isContentBlockDelta)
                .map(event -> event.asContentBlockDelta().delta().text().map(t -> t.text()).orElse(""))
                .collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello from backup");
        assertThat(events.get(events.size() - 1).isMessageStop()).isTrue();
        assertThat(RECEIVED).contains("anthropic early-error-2");
    }

    @Test
    void errorAfterRoleChunkFallsBack() {
        List<ChatCompletionChunk> chunks = streamChunks(chat("early-oa"));

        String text = chunks.stream().filter(chunk -> !chunk.choices().isEmpty())
                .map(chunk -> chunk.choices().get(0).delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo("Hello from backup");
        assertThat(RECEIVED).contains("openai early-error-3");
    }

    @Test
    void errorBeforeContentGetsErrorStatus() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted-an/early-error-4\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        assertThat(response.headers().firstValue("trailer")).isEmpty();
        assertThat(AiTestClient.json(response).path("error").path("message").asText()).contains("Overloaded");
        assertThat(AiTestClient.json(response).path("error").path("type").asText())
                .isEqualTo("service_unavailable_error");
        assertThat(AiTestClient.json(response).path("error").path("code").asText()).isEqualTo("server_is_overloaded");
    }

    @Test
    void overloadedProviderGivesOpenAiClient503() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted-an/overloaded\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(response.headers().firstValue("retry-after")).hasValue("5");
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("service_unavailable_error");
        assertThat(error.path("code").asText()).isEqualTo("server_is_overloaded");
        assertThat(error.path("message").asText()).contains("Overloaded");
        assertThat(error.path("param").isNull()).isTrue();
    }

    @Test
    void openAiSdkSeesOverloadAsServerError() {
        assertThatThrownBy(() -> openAi.chat().completions().create(chat("scripted-an/overloaded")))
                .isInstanceOfSatisfying(InternalServerException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(503);
                    assertThat(e.type()).hasValue("service_unavailable_error");
                    assertThat(e.code()).hasValue("server_is_overloaded");
                });
    }

    @Test
    void overloadedProviderKeeps529ForAnthropicClient() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"scripted-an/overloaded\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(529);
        assertThat(AiTestClient.json(response).path("error").path("type").asText()).isEqualTo("overloaded_error");
    }

    @Test
    void overloadedTargetStillFallsBack() {
        ChatCompletion completion = openAi.chat().completions().create(chat("overloaded-an"));

        assertThat(completion.choices().get(0).message().content()).hasValue("Hello from backup");
        assertThat(RECEIVED.stream().filter("anthropic overloaded-fallback"::equals)).hasSize(1);
    }

    @Test
    void overloadAfterContentEndsOpenAiStream() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted-an/overloaded-late\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        JsonNode error = events.get(events.size() - 1).json().path("error");
        assertThat(error.path("type").asText()).isEqualTo("service_unavailable_error");
        assertThat(error.path("code").asText()).isEqualTo("server_is_overloaded");
        assertThat(response.body()).doesNotContain("[DONE]");
    }

    @Test
    void overloadedEventBeforeContentGets529() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"scripted-an/early-error-5\",\"max_tokens\":50,\"stream\":true,\"messages\":["
                        + "{\"role\":\"user\",\"content\":\"Hi\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(529);
        assertThat(response.headers().firstValue("content-type")).contains("application/json");
        assertThat(AiTestClient.json(response).path("error").path("type").asText()).isEqualTo("overloaded_error");
        assertThat(AiTestClient.json(response).path("error").path("message").asText()).contains("Overloaded");
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted-an", "scripted-oa", "mistral", "gemini", "cohere", "ollama", "bedrock"})
    void streamWithoutEndMarkerFailsForOpenAiClient(String provider) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"" + provider + "/cut\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        assertThat(events).anyMatch(event -> event.data().contains("\"content\":\"Hel\""));
        Event last = events.get(events.size() - 1);
        assertThat(last.data()).isNotEqualTo("[DONE]");
        assertThat(last.json().path("error").path("message").asText()).contains("ended before");
        assertThat(events).noneMatch(event -> event.data().contains("\"finish_reason\":\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"scripted-an", "scripted-oa", "mistral", "gemini", "cohere", "ollama", "bedrock"})
    void streamWithoutEndMarkerFailsForAnthropicClient(String provider) {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages", "{\"model\":\"" + provider
                + "/cut\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        assertThat(events).anyMatch(event -> event.data().contains("\"text\":\"Hel\""));
        Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.json().path("error").path("message").asText()).contains("ended before");
        assertThat(events).extracting(Event::name).doesNotContain("message_stop");
    }

    @Test
    void contentReachesOpenAiClientBeforeStreamEnds() throws Exception {
        assertContentArrivesFirst("/v1/chat/completions", "{\"model\":\"scripted-an/slow\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    @Test
    void contentReachesAnthropicClientBeforeStreamEnds() throws Exception {
        assertContentArrivesFirst("/v1/messages", "{\"model\":\"scripted-an/slow\",\"max_tokens\":50,"
                + "\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    /**
     * Reads a stream whose provider sends the text {@code Hel}, then waits until the client saw it (or 5 seconds),
     * and checks that the client saw it while the provider was waiting.
     */
    private static void assertContentArrivesFirst(String path, String body) throws Exception {
        Promise<Void> waiting = Promise.promise();
        release = waiting;
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(20))
                .header("content-type", "application/json").header("anthropic-version", "2023-06-01")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        HttpResponse<Stream<String>> response = HTTP.send(request, HttpResponse.BodyHandlers.ofLines());
        boolean sawContentWhileWaiting = false;
        boolean sawContent = false;
        StringBuilder rest = new StringBuilder();
        try (Stream<String> lines = response.body()) {
            Iterator<String> iterator = lines.iterator();
            while (iterator.hasNext()) {
                String line = iterator.next();
                if (!sawContent && line.contains("Hel")) {
                    sawContent = true;
                    sawContentWhileWaiting = waiting.tryComplete();
                }
                rest.append(line).append('\n');
            }
        }

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(sawContent).isTrue();
        assertThat(sawContentWhileWaiting).as("the client received the first text before the provider sent more")
                .isTrue();
        assertThat(rest.toString()).contains("lo").doesNotContain("\"error\"");
    }

    @Test
    void rateLimitCoolsDownOnlyThatModel() {
        assertThatThrownBy(() -> openAi.chat().completions().create(chat("limits/rate-limited")))
                .isInstanceOf(RateLimitException.class);
        assertThat(openAi.chat().completions().create(chat("limits/gpt-4o")).choices().get(0).message().content())
                .contains("Hello");
        assertThat(RECEIVED).contains("openai gpt-4o");

        HttpResponse<String> again = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"limits/rate-limited\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(again.statusCode()).isEqualTo(429);
        assertThat(AiTestClient.json(again).path("error").path("message").asText())
                .contains("cooling down for model 'rate-limited'");
        assertThat(AiTestClient.json(again).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(AiTestClient.json(again).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(again.headers().firstValue("retry-after").map(Long::parseLong).orElseThrow()).isBetween(1L, 30L);
        assertThat(RECEIVED.stream().filter("openai rate-limited"::equals)).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rate-limited-long", "rate-limited-date"})
    void providerRetryAfterIsCapped(String model) {
        String body = "{\"model\":\"limits/" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

        HttpResponse<String> relayed = AiTestClient.post(node.url() + "/v1/chat/completions", body);
        HttpResponse<String> resting = AiTestClient.post(node.url() + "/v1/chat/completions", body);

        assertThat(relayed.statusCode()).isEqualTo(429);
        assertThat(relayed.headers().firstValue("retry-after").map(Long::parseLong).orElseThrow())
                .isBetween(3500L, 3600L);
        assertThat(AiTestClient.json(relayed).path("error").path("type").asText()).isEqualTo("requests");
        assertThat(AiTestClient.json(relayed).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(resting.statusCode()).isEqualTo(429);
        assertThat(AiTestClient.json(resting).path("error").path("message").asText())
                .contains("cooling down for model '" + model + "'");
        assertThat(resting.headers().firstValue("retry-after").map(Long::parseLong).orElseThrow())
                .isBetween(3500L, 3600L);
        assertThat(RECEIVED.stream().filter(("openai " + model)::equals)).hasSize(1);
    }

    @Test
    void anthropicRateLimitHasOpenAiCode() {
        String body = "{\"model\":\"scripted-an/rate-limited\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Hi\"}]}";

        HttpResponse<String> relayed = AiTestClient.post(node.url() + "/v1/chat/completions", body);
        HttpResponse<String> resting = AiTestClient.post(node.url() + "/v1/chat/completions", body);

        assertThat(relayed.statusCode()).isEqualTo(429);
        assertThat(relayed.headers().firstValue("retry-after")).hasValue("20");
        assertThat(AiTestClient.json(relayed).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(AiTestClient.json(relayed).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(AiTestClient.json(relayed).path("error").path("message").asText()).contains("Slow down");
        assertThat(resting.statusCode()).isEqualTo(429);
        assertThat(resting.headers().firstValue("retry-after").map(Long::parseLong).orElseThrow())
                .isBetween(1L, 20L);
        assertThat(AiTestClient.json(resting).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(AiTestClient.json(resting).path("error").path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(AiTestClient.json(resting).path("error").path("message").asText())
                .contains("cooling down for model 'rate-limited'");
        assertThat(RECEIVED.stream().filter("anthropic rate-limited"::equals)).hasSize(1);
    }

    @Test
    void anthropicClientKeepsRateLimitType() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"scripted-an/rate-limited-messages\",\"max_tokens\":50,\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"Hi\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("retry-after")).hasValue("20");
        assertThat(AiTestClient.json(response).path("error").path("type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void malformedFunctionCallFailsForOpenAiClient() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"gemini/malformed\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_tool_call");
        assertThat(error.path("message").asText()).contains("MALFORMED_FUNCTION_CALL");
    }

    @Test
    void malformedFunctionCallFailsForAnthropicClient() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"gemini/malformed\",\"max_tokens\":50,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(AiTestClient.json(response).path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(AiTestClient.json(response).path("error").path("message").asText())
                .contains("MALFORMED_FUNCTION_CALL");
    }

    @Test
    void malformedFunctionCallEndsOpenAiStream() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"gemini/malformed\",\"stream\":true,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).contains("Let me look.").doesNotContain("finish_reason\":\"stop")
                .doesNotContain("[DONE]");
        List<Event> events = AiTestClient.events(response.body());
        JsonNode error = events.get(events.size() - 1).json().path("error");
        assertThat(error.path("code").asText()).isEqualTo("invalid_tool_call");
    }

    @Test
    void malformedFunctionCallEndsAnthropicStream() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"gemini/malformed\",\"max_tokens\":50,\"stream\":true,\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"Hi\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(200);
        List<Event> events = AiTestClient.events(response.body());
        Event last = events.get(events.size() - 1);
        assertThat(last.name()).isEqualTo("error");
        assertThat(last.json().path("error").path("type").asText()).isEqualTo("api_error");
        assertThat(events).extracting(Event::name).contains("content_block_delta").doesNotContain("message_stop");
    }

    @Test
    void cutArgumentsFailForAnthropicClient() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages",
                "{\"model\":\"scripted-oa/cut-arguments\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Weather?\"}]}", "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(502);
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(error.path("type").asText()).isEqualTo("api_error");
        assertThat(error.path("message").asText()).isEqualTo("provider: the model generated arguments that are not"
                + " a JSON object for tool call 'call_X' (get_weather); the output limit cut the response off, so a"
                + " larger max_tokens may help");
    }

    @Test
    void cutArgumentsReachOpenAiClient() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"scripted-oa/cut-arguments\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                        + "\"content\":\"Weather?\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode choice = AiTestClient.json(response).path("choices").path(0);
        assertThat(choice.path("finish_reason").asText()).isEqualTo("length");
        assertThat(choice.path("message").path("tool_calls").path(0).path("function").path("arguments").asText())
                .isEqualTo("{\"city\": \"Par");
    }

    @Test
    void rejectedKeyServesNoOtherModel() {
        HttpResponse<String> rejected = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"revoked-listed\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
        HttpResponse<String> other = AiTestClient.post(node.url() + "/v1/chat/completions",
                "{\"model\":\"revoked/other-model\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(rejected.statusCode()).isEqualTo(502);
        assertThat(other.statusCode()).isEqualTo(502);
        assertThat(AiTestClient.json(other).path("error").path("code").asText())
                .isEqualTo("provider_authentication_failed");
        assertThat(RECEIVED).doesNotContain("openai other-model");
    }

    private static ChatCompletionCreateParams chat(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Hi").build();
    }

    private static List<ChatCompletionChunk> streamChunks(ChatCompletionCreateParams params) {
        try (com.openai.core.http.StreamResponse<ChatCompletionChunk> stream =
                     openAi.chat().completions().createStreaming(params)) {
            return stream.stream().toList();
        }
    }

    private static void serve(HttpServerRequest request, Buffer body) {
        String path = request.path();
        String family = path.substring(1, path.indexOf('/', 1));
        JsonObject json = body.length() == 0 ? new JsonObject() : body.toJsonObject();
        String model = json.getString("model", modelFromPath(path));
        RECEIVED.add(family + " " + model);
        HttpServerResponse response = request.response();
        switch (family) {
            case "openai", "mistral" -> openAi(request, response, model, json.getBoolean("stream", false));
            case "anthropic" -> anthropic(response, model);
            case "gemini" -> {
                if (model.equals("malformed")) {
                    malformedFunctionCall(response, path.contains(":streamGenerateContent"));
                } else {
                    sse(response).end("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":"
                            + "[{\"text\":\"Hel\"}]},\"index\":0}],\"responseId\":\"r1\","
                            + "\"modelVersion\":\"cut\"}\n\n");
                }
            }
            case "cohere" -> sse(response).end(cohereEvent("{\"type\":\"message-start\",\"id\":\"c1\",\"delta\":"
                    + "{\"message\":{\"role\":\"assistant\",\"content\":[]}}}")
                    + cohereEvent("{\"type\":\"content-start\",\"index\":0,\"delta\":{\"message\":{\"content\":"
                    + "{\"type\":\"text\",\"text\":\"\"}}}}")
                    + cohereEvent("{\"type\":\"content-delta\",\"index\":0,\"delta\":{\"message\":{\"content\":"
                    + "{\"text\":\"Hel\"}}}}")
                    + cohereEvent("{\"type\":\"content-end\",\"index\":0}"));
            case "ollama" -> response.putHeader("content-type", "application/x-ndjson").end("{\"model\":\"cut\","
                    + "\"created_at\":\"2025-06-01T10:00:00Z\",\"message\":{\"role\":\"assistant\","
                    + "\"content\":\"Hel\"},\"done\":false}\n");
            case "bedrock" -> response.putHeader("content-type", "application/vnd.amazon.eventstream")
                    .end(Buffer.buffer()
                            .appendBuffer(EventStreamWriter.event("messageStart", "{\"role\":\"assistant\"}"))
                            .appendBuffer(EventStreamWriter.event("contentBlockDelta",
                                    "{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}"))
                            .appendBuffer(EventStreamWriter.event("contentBlockStop", "{\"contentBlockIndex\":0}")));
            default -> response.setStatusCode(404).end();
        }
    }

    /** Returns the model of a Gemini or Bedrock call, which the path carries. */
    private static String modelFromPath(String path) {
        int models = path.indexOf("/models/");
        if (models >= 0) {
            return path.substring(models + 8, path.indexOf(':', models));
        }
        int model = path.indexOf("/model/");
        return model >= 0 ? path.substring(model + 7, path.indexOf('/', model + 7)) : "";
    }

    private static void openAi(HttpServerRequest request, HttpServerResponse response, String model,
                               boolean stream) {
        switch (model) {
            case "rate-limited" -> response.setStatusCode(429).putHeader("retry-after", "30")
                    .putHeader("content-type", "application/json").end("{\"error\":{\"message\":\"Rate limit "
                            + "reached for " + model + "\",\"type\":\"requests\",\"param\":null,\"code\":"
                            + "\"rate_limit_exceeded\"}}");
            case "rate-limited-long" -> response.setStatusCode(429).putHeader("retry-after", "999999999")
                    .putHeader("content-type", "application/json").end("{\"error\":{\"message\":\"Rate limit "
                            + "reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
            case "rate-limited-date" -> response.setStatusCode(429)
                    .putHeader("retry-after", "Thu, 01 Jan 2099 00:00:00 GMT")
                    .putHeader("content-type", "application/json").end("{\"error\":{\"message\":\"Rate limit "
                            + "reached\",\"type\":\"requests\",\"param\":null,\"code\":\"rate_limit_exceeded\"}}");
            case "unauthorized" -> response.setStatusCode(401).putHeader("content-type", "application/json")
                    .end("{\"error\":{\"message\":\"Incorrect API key provided\",\"type\":"
                            + "\"invalid_request_error\",\"param\":null,\"code\":\"invalid_api_key\"}}");
            case "choices" -> sse(response).end(chunk(0, ROLE, null) + chunk(1, ROLE, null)
                    + chunk(0, "{\"content\":\"A\"}", null) + chunk(1, "{\"content\":\"B\"}", null)
                    + chunk(1, "{\"content\":\"b\"}", "length") + chunk(0, "{\"content\":\"a\"}", null)
                    + chunk(0, "{}", "stop") + "data: [DONE]\n\n");
            case "choices-cut" -> sse(response).end(chunk(0, ROLE, null) + chunk(1, ROLE, null)
                    + chunk(0, "{\"content\":\"A\"}", null) + chunk(1, "{\"content\":\"b\"}", "length")
                    + "data: [DONE]\n\n");
            case "cut" -> sse(response).end(chunk(0, ROLE, null) + chunk(0, "{\"content\":\"Hel\"}", null)
                    + "data: [DONE]\n\n");
            case "cut-arguments" -> response.putHeader("content-type", "application/json").end(CUT_ARGUMENTS);
            default -> {
                if (model.startsWith("early-error")) {
                    sse(response).end(chunk(0, ROLE, null) + "data: {\"error\":{\"message\":\"The server is "
                            + "overloaded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n");
                } else if (stream) {
                    sse(response).end(chunk(0, ROLE, null) + chunk(0, "{\"content\":\"Hello\"}", null)
                            + chunk(0, "{}", "stop") + "data: [DONE]\n\n");
                } else {
                    response.putHeader("content-type", "application/json").end("{\"id\":\"chatcmpl-1\",\"object\":"
                            + "\"chat.completion\",\"created\":1,\"model\":\"" + model + "\",\"choices\":[{\"index\":0,"
                            + "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
                            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}");
                }
            }
        }
    }

    private static String chunk(int index, String delta, String finish) {
        return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
                + "\"choices\":[{\"index\":" + index + ",\"delta\":" + delta + ",\"finish_reason\":"
                + (finish == null ? "null" : "\"" + finish + "\"") + "}]}\n\n";
    }

    private static void anthropic(HttpServerResponse response, String model) {
        if (model.startsWith("overloaded") && !model.equals("overloaded-late")) {
            response.setStatusCode(529).putHeader("retry-after", "5").putHeader("content-type", "application/json")
                    .end("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}");
            return;
        }
        if (model.startsWith("rate-limited")) {
            response.setStatusCode(429).putHeader("retry-after", "20").putHeader("content-type", "application/json")
                    .end("{\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\",\"message\":"
                            + "\"Slow down\"}}");
            return;
        }
        sse(response);
        if (model.equals("overloaded-late")) {
            response.end(ANTHROPIC_START + ANTHROPIC_TEXT + anthropicEvent("error", "{\"type\":\"error\","
                    + "\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        } else if (model.startsWith("early-error")) {
            response.end(ANTHROPIC_START + anthropicEvent("error", "{\"type\":\"error\",\"error\":{\"type\":"
                    + "\"overloaded_error\",\"message\":\"Overloaded\"}}"));
        } else if (model.equals("slow")) {
            response.write(ANTHROPIC_START + ANTHROPIC_TEXT);
            Promise<Void> waiting = release;
            vertx.setTimer(5000, id -> waiting.tryComplete());
            waiting.future().onComplete(done -> response.end(anthropicEvent("content_block_delta",
                    "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                            + "\"text\":\"lo\"}}") + ANTHROPIC_END + MESSAGE_STOP));
        } else {
            // The stream of "cut" ends without message_stop.
            response.end(ANTHROPIC_START + ANTHROPIC_TEXT + ANTHROPIC_END);
        }
    }

    /**
     * Sends Gemini's response of a model whose function call failed: text, then finish reason
     * MALFORMED_FUNCTION_CALL, as one response or as two stream events.
     */
    private static void malformedFunctionCall(HttpServerResponse response, boolean stream) {
        String text = "{\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Let me look.\"}]},"
                + "\"index\":0}],\"responseId\":\"r2\"}";
        String malformed = "{\"candidates\":[{\"finishReason\":\"MALFORMED_FUNCTION_CALL\",\"index\":0}],"
                + "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,\"totalTokenCount\":12}}";
        if (stream) {
            sse(response).end("data: " + text + "\n\ndata: " + malformed + "\n\n");
            return;
        }
        response.putHeader("content-type", "application/json").end("{\"candidates\":[{\"content\":{\"role\":"
                + "\"model\",\"parts\":[{\"text\":\"Let me look.\"}]},\"finishReason\":\"MALFORMED_FUNCTION_CALL\","
                + "\"index\":0}],\"responseId\":\"r2\"}");
    }

    private static HttpServerResponse sse(HttpServerResponse response) {
        return response.setChunked(true).putHeader("content-type", "text/event-stream");
    }

    private static String anthropicEvent(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static String cohereEvent(String data) {
        return "event: " + new JsonObject(data).getString("type") + "\ndata: " + data + "\n\n";
    }
}

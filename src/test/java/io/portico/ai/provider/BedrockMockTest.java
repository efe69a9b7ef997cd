package io.portico.ai.provider;

import static io.portico.ai.provider.BedrockFixtures.ACCESS_KEY_ID;
import static io.portico.ai.provider.BedrockFixtures.CLAUDE;
import static io.portico.ai.provider.BedrockFixtures.PNG;
import static io.portico.ai.provider.BedrockFixtures.SECRET;
import static io.portico.ai.provider.BedrockFixtures.json;
import static io.portico.ai.provider.BedrockFixtures.keyProvider;
import static io.portico.ai.provider.BedrockFixtures.request;
import static io.portico.ai.provider.BedrockFixtures.signedProvider;
import static io.portico.ai.provider.BedrockFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.BedrockMock;
import io.portico.ai.provider.BedrockFixtures.RecordingSink;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.spi.Usage;
import io.portico.ai.stream.FrameParser;
import io.portico.config.ProviderSpec;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sends real HTTP built by {@link BedrockAdapter} to {@link BedrockMock} and translates what comes back. */
class BedrockMockTest {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final BedrockAdapter ADAPTER = new BedrockAdapter();
    private static final String API_KEY = "bedrock-api-key";
    private static final String HELLO = """
            {"model": "claude", "messages": [{"role": "user", "content": "Hello"}]}""";

    private static BedrockMock mock;
    private static Vertx vertx;
    private static HttpClient client;

    @BeforeAll
    static void start() {
        mock = BedrockMock.start("us-east-1", ACCESS_KEY_ID, SECRET, API_KEY);
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
    }

    @AfterAll
    static void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        mock.close();
    }

    @Test
    void signedChat() throws Exception {
        ArrayNode content = NODES.arrayNode();
        content.addObject().putObject("reasoningContent").putObject("reasoningText").put("text", "Greet back.")
                .put("signature", "sig-1");
        content.addObject().put("text", "Hi there!");
        mock.reply(BedrockMock.converseResponse(content, "end_turn", 11, 4));
        ChatRequest request = request(HELLO);
        CallTarget target = target(signedProvider(mock.baseUrl(), null), CLAUDE, null);

        ProviderCall call = ADAPTER.chat(request, target);
        Result result = send(call, null);

        assertThat(result.status).isEqualTo(200);
        ObjectNode response = ADAPTER.chatResponse(json(result.body.toString()), request, target);
        JsonNode message = response.path("choices").path(0).path("message");
        assertThat(message.path("content").asText()).isEqualTo("Hi there!");
        assertThat(message.path("reasoning_content").asText()).isEqualTo("Greet back.");
        assertThat(response.path("choices").path(0).path("finish_reason").asText()).isEqualTo("stop");
        assertThat(response.path("usage").path("prompt_tokens").asLong()).isEqualTo(11);
        assertThat(response.path("usage").path("completion_tokens").asLong()).isEqualTo(4);
        BedrockMock.Recorded recorded = last();
        assertThat(recorded.path()).isEqualTo("/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse");
        assertThat(recorded.model()).isEqualTo(CLAUDE);
        assertThat(recorded.body()).isEqualTo(json(call.body().toString()));
    }

    @Test
    void streamWithParallelToolCalls() throws Exception {
        ArrayNode content = NODES.arrayNode();
        content.addObject().put("text", "Let me check both.");
        content.addObject().putObject("toolUse").put("toolUseId", "tooluse_paris").put("name", "get_weather")
                .putObject("input").put("city", "Paris").put("unit", "celsius");
        content.addObject().putObject("toolUse").put("toolUseId", "tooluse_clock").put("name", "now")
                .putObject("input");
        ObjectNode reply = BedrockMock.converseResponse(content, "tool_use", 300, 40);
        ((ObjectNode) reply.get("usage")).put("cacheReadInputTokens", 200).put("cacheWriteInputTokens", 50);
        mock.reply(reply);
        ChatRequest request = request("""
                {"model": "claude", "stream": true, "messages": [{"role": "user", "content": "Weather and time?"}],
                 "tools": [{"type": "function", "function": {"name": "get_weather",
                   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                  {"type": "function", "function": {"name": "now"}}]}
                """);
        CallTarget target = target(signedProvider(mock.baseUrl(), "session-token"),
                "us.anthropic.claude-3-7-sonnet-20250219-v1:0", null);

        Result result = send(ADAPTER.chat(request, target), ADAPTER.chatStream(request, target));

        assertThat(result.status).isEqualTo(200);
        assertThat(result.failure).isNull();
        RecordingSink sink = result.sink;
        assertThat(text(sink)).isEqualTo("Let me check both.");
        assertThat(arguments(sink, 0)).isEqualTo("{\"city\":\"Paris\",\"unit\":\"celsius\"}");
        assertThat(arguments(sink, 1)).isEqualTo("{}");
        assertThat(toolDeltas(sink, 0)).first().satisfies(first -> {
            assertThat(first.path("id").asText()).isEqualTo("tooluse_paris");
            assertThat(first.path("function").path("name").asText()).isEqualTo("get_weather");
        });
        List<JsonNode> paris = toolDeltas(sink, 0);
        assertThat(paris).hasSizeGreaterThan(2);
        assertThat(paris.subList(1, paris.size())).allSatisfy(later -> {
            assertThat(later.has("id")).isFalse();
            assertThat(later.has("type")).isFalse();
            assertThat(later.path("function").has("name")).isFalse();
        });
        assertThat(sink.deltas()).last().isEqualTo("finish:tool_calls");
        assertThat(sink.usage).isEqualTo(new Usage(550, 40, 200, 50, 0, false));
        assertThat(last().path()).isEqualTo(
                "/model/us.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream");
        assertThat(last().headers().get("x-amz-security-token")).isEqualTo("session-token");
    }

    @Test
    void richConversationPassesValidation() throws Exception {
        ChatRequest request = request("""
                {"model": "claude", "messages": [
                  {"role": "system", "content": "Be brief."},
                  {"role": "user", "content": [{"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,%s"}}]},
                  {"role": "assistant", "content": "", "tool_calls": [
                    {"id": "a", "type": "function", "function": {"name": "lookup", "arguments": "{\\"q\\":\\"x\\"}"}},
                    {"id": "b", "type": "function", "function": {"name": "lookup", "arguments": "{}"}}]},
                  {"role": "tool", "tool_call_id": "a", "content": "{\\"hit\\": true}"},
                  {"role": "tool", "tool_call_id": "b", "content": "none"},
                  {"role": "user", "content": "Summarize."}],
                 "response_format": {"type": "json_schema", "json_schema": {"name": "s",
                   "schema": {"type": "object", "properties": {"summary": {"type": "string"}}}}},
                 "temperature": 2, "top_p": 0.5, "max_tokens": 100, "stop": "END"}
                """.formatted(PNG));

        Result result = send(ADAPTER.chat(request, target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY)), null);

        assertThat(result.status).as(result.body.toString()).isEqualTo(200);
    }

    @Test
    void apiKeyAccepted() throws Exception {
        Result result = send(ADAPTER.chat(request(HELLO), target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY)),
                null);

        assertThat(result.status).isEqualTo(200);
        assertThat(last().headers().get("authorization")).isEqualTo("Bearer " + API_KEY);
    }

    @Test
    void wrongApiKeyRejected() throws Exception {
        Result result = send(ADAPTER.chat(request(HELLO), target(keyProvider(mock.baseUrl()), CLAUDE, "nope")),
                null);

        AiError error = ADAPTER.error(result.status, result.headers, result.body);
        assertThat(error.status()).isEqualTo(403);
        assertThat(error.type()).isEqualTo("permission_error");
        assertThat(error.code()).isEqualTo("AccessDeniedException");
    }

    @Test
    void wrongSecretFailsSignature() throws Exception {
        ProviderSpec wrongSecret = new ProviderSpec("aws", "bedrock", mock.baseUrl(), null, null, null, null, null,
                null, "us-east-1", null, ACCESS_KEY_ID, "not-the-secret", null, null, null, null, null, null);

        Result result = send(ADAPTER.chat(request(HELLO), target(wrongSecret, CLAUDE, null)), null);

        AiError error = ADAPTER.error(result.status, result.headers, result.body);
        assertThat(error.status()).isEqualTo(403);
        assertThat(error.code()).isEqualTo("InvalidSignatureException");
        assertThat(error.message()).startsWith("provider: The request signature we calculated does not match");
    }

    @Test
    void conversationStartingWithAssistantRejected() throws Exception {
        ChatRequest request = request("""
                {"model": "claude", "messages": [{"role": "assistant", "content": "Hi"},
                  {"role": "user", "content": "Hello"}]}
                """);

        Result result = send(ADAPTER.chat(request, target(signedProvider(mock.baseUrl(), null), CLAUDE, null)),
                null);

        AiError error = ADAPTER.error(result.status, result.headers, result.body);
        assertThat(error.status()).isEqualTo(400);
        assertThat(error.type()).isEqualTo("invalid_request_error");
        assertThat(error.code()).isEqualTo("ValidationException");
        assertThat(error.message()).startsWith("provider: A conversation must start with a user message.");
    }

    @Test
    void throttlingIsRetryable() throws Exception {
        mock.fault(BedrockMock.Fault.THROTTLE);

        Result result = send(ADAPTER.chat(request(HELLO), target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY)),
                null);

        AiError error = ADAPTER.error(result.status, result.headers, result.body);
        assertThat(error).isEqualTo(new AiError(429, "rate_limit_error", "ThrottlingException",
                "provider: Too many requests, please wait before trying again.", -1));
        assertThat(error.retryable()).isTrue();
    }

    @Test
    void serverErrorIsRetryable() throws Exception {
        mock.fault(BedrockMock.Fault.SERVER_ERROR);

        Result result = send(ADAPTER.chat(request(HELLO), target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY)),
                null);

        AiError error = ADAPTER.error(result.status, result.headers, result.body);
        assertThat(error.status()).isEqualTo(500);
        assertThat(error.code()).isEqualTo("InternalServerException");
        assertThat(error.retryable()).isTrue();
    }

    @Test
    void slowFirstByteHitsIdleTimeout() {
        mock.fault(BedrockMock.Fault.SLOW_FIRST_BYTE);
        ProviderCall call = ADAPTER.chat(request(HELLO), target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY));
        long started = System.nanoTime();

        assertThatThrownBy(() -> send(call, null, 300))
                .isInstanceOf(ExecutionException.class)
                .hasMessageContaining("timeout");
        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started))
                .isLessThan(BedrockMock.SLOW_FIRST_BYTE.toMillis());
    }

    @Test
    void cutStreamFailsAfterFirstChunks() throws Exception {
        mock.fault(BedrockMock.Fault.CUT_STREAM);
        ChatRequest request = request(HELLO.replace("\"model\"", "\"stream\": true, \"model\""));
        CallTarget target = target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY);

        Result result = send(ADAPTER.chat(request, target), ADAPTER.chatStream(request, target));

        assertThat(result.failure).isNotNull();
        assertThat(result.sink.deltas()).containsExactly("{\"role\":\"assistant\",\"content\":\"\"}",
                "{\"content\":\"Hello fro\"}");
    }

    @Test
    void streamExceptionEventFailsSink() throws Exception {
        mock.fault(BedrockMock.Fault.STREAM_EXCEPTION);
        ChatRequest request = request(HELLO.replace("\"model\"", "\"stream\": true, \"model\""));
        CallTarget target = target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY);

        Result result = send(ADAPTER.chat(request, target), ADAPTER.chatStream(request, target));

        assertThat(result.sink.errors).extracting(AiError::status).containsExactly(429);
        assertThat(result.sink.errors).extracting(AiError::message)
                .containsExactly("provider: Too many tokens, please wait before trying again.");
    }

    @Test
    void badCrcFailsStream() throws Exception {
        mock.fault(BedrockMock.Fault.BAD_CRC);
        ChatRequest request = request(HELLO.replace("\"model\"", "\"stream\": true, \"model\""));
        CallTarget target = target(keyProvider(mock.baseUrl()), CLAUDE, API_KEY);

        Result result = send(ADAPTER.chat(request, target), ADAPTER.chatStream(request, target));

        assertThat(result.sink.errors).containsExactly(new AiError(502, "api_error", "MalformedEventStream",
                "provider: event stream message CRC mismatch", -1));
        assertThat(result.sink.deltas()).containsExactly("{\"role\":\"assistant\",\"content\":\"\"}");
    }

    @Test
    void titanEmbeddingsSigned() throws Exception {
        ObjectNode request = json("{\"model\": \"e\", \"input\": \"three word text\", \"dimensions\": 5}");
        CallTarget target = target(signedProvider(mock.baseUrl(), null), "amazon.titan-embed-text-v2:0", null);

        Result result = send(ADAPTER.embeddings(request, target), null);

        assertThat(result.status).as(result.body.toString()).isEqualTo(200);
        ObjectNode response = ADAPTER.embeddingsResponse(json(result.body.toString()), request, target);
        assertThat(response.path("data").path(0).path("embedding").toString()).isEqualTo("[15,0,0.5,0.0,0.0]");
        assertThat(response.path("usage").path("prompt_tokens").asLong()).isEqualTo(3);
        assertThat(last().path()).isEqualTo("/model/amazon.titan-embed-text-v2%3A0/invoke");
    }

    @Test
    void cohereEmbeddingsWithApiKey() throws Exception {
        ObjectNode request = json("{\"model\": \"e\", \"input\": [\"a\", \"bb\"]}");
        CallTarget target = target(keyProvider(mock.baseUrl()), "cohere.embed-multilingual-v3", API_KEY);

        Result result = send(ADAPTER.embeddings(request, target), null);

        assertThat(result.status).as(result.body.toString()).isEqualTo(200);
        ObjectNode response = ADAPTER.embeddingsResponse(json(result.body.toString()), request, target);
        assertThat(response.path("data")).hasSize(2);
        assertThat(response.path("data").path(1).path("index").asInt()).isEqualTo(1);
        assertThat(response.path("data").path(1).path("embedding").path(0).asInt()).isEqualTo(2);
    }

    private static BedrockMock.Recorded last() {
        List<BedrockMock.Recorded> requests = mock.requests();
        return requests.get(requests.size() - 1);
    }

    private static String text(RecordingSink sink) {
        StringBuilder text = new StringBuilder();
        for (ObjectNode chunk : sink.chunks) {
            text.append(chunk.path("choices").path(0).path("delta").path("content").asText(""));
        }
        return text.toString();
    }

    private static List<JsonNode> toolDeltas(RecordingSink sink, int index) {
        List<JsonNode> deltas = new ArrayList<>();
        for (ObjectNode chunk : sink.chunks) {
            for (JsonNode call : chunk.path("choices").path(0).path("delta").path("tool_calls")) {
                if (call.path("index").asInt() == index) {
                    deltas.add(call);
                }
            }
        }
        return deltas;
    }

    private static String arguments(RecordingSink sink, int index) {
        StringBuilder arguments = new StringBuilder();
        for (JsonNode call : toolDeltas(sink, index)) {
            arguments.append(call.path("function").path("arguments").asText());
        }
        return arguments.toString();
    }

    /** What one call returned: status, headers and body, or for a stream the translated chunks. */
    private static final class Result {
        int status;
        MultiMap headers;
        Buffer body = Buffer.buffer();
        RecordingSink sink = new RecordingSink();
        Throwable failure;
    }

    private static Result send(ProviderCall call, StreamTranslator translator) throws Exception {
        return send(call, translator, 0);
    }

    /**
     * Sends {@code call}; a 200 response to a streamed call goes through the event stream parser and
     * {@code translator}, any other response is buffered.
     */
    private static Result send(ProviderCall call, StreamTranslator translator, long idleTimeoutMillis)
            throws Exception {
        RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(call.url())
                .setHeaders(call.headers());
        if (idleTimeoutMillis > 0) {
            options.setIdleTimeout(idleTimeoutMillis);
        }
        Promise<Result> done = Promise.promise();
        // Built on an event loop so that the response handlers are set before the first bytes are delivered.
        vertx.runOnContext(start -> client.request(options)
                .compose(request -> request.send(call.body()))
                .onSuccess(response -> read(response, translator, done))
                .onFailure(done::tryFail));
        return done.future().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static void read(HttpClientResponse response, StreamTranslator translator, Promise<Result> done) {
        Result result = new Result();
        result.status = response.statusCode();
        result.headers = response.headers();
        boolean stream = translator != null && response.statusCode() == 200;
        FrameParser parser = stream ? FrameParser.create(ADAPTER.framing()) : null;
        response.handler(bytes -> {
            if (!stream) {
                result.body.appendBuffer(bytes);
                return;
            }
            parser.feed(bytes, frame -> translator.frame(frame, result.sink));
        });
        response.exceptionHandler(cause -> {
            if (result.failure == null) {
                result.failure = cause;
            }
            done.tryComplete(result);
        });
        response.endHandler(end -> {
            if (stream && result.failure == null) {
                parser.end(frame -> translator.frame(frame, result.sink));
                translator.end(result.sink);
            }
            done.tryComplete(result);
        });
    }
}

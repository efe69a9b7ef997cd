package io.portico.ai.provider;

import static io.portico.ai.provider.AdapterFixtures.chat;
import static io.portico.ai.provider.AdapterFixtures.json;
import static io.portico.ai.provider.AdapterFixtures.target;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.CohereMock;
import io.portico.ai.mock.MistralMock;
import io.portico.ai.mock.MockServer.Fault;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OllamaMock;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.StreamTranslator;
import io.portico.ai.stream.FrameParser;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Sends real HTTP built by each adapter to its provider mock and feeds the answers through the frame parser and
 * the adapter's translator, as the gateway does.
 */
class AdapterOverHttpTest {

    private static final String TOOLS = """
            {'model': 'm', 'max_tokens': 64, 'tool_choice': 'auto',
             'messages': [{'role': 'user', 'content': 'Weather in Paris, and the time?'}],
             'tools': [{'type': 'function', 'function': {'name': 'get_weather',
                         'parameters': {'type': 'object', 'properties': {'city': {'type': 'string'}}}}},
                       {'type': 'function', 'function': {'name': 'get_time'}}]}
            """;

    /** One provider under test: its adapter, its mock and the target that points at the mock. */
    record Provider(String name, ProviderAdapter adapter, MockServer mock, CallTarget target, CallTarget wrongKey) {
        @Override
        public String toString() {
            return name;
        }
    }

    private static Vertx vertx;
    private static HttpClient client;
    private static CohereMock cohere;
    private static MistralMock mistral;
    private static OllamaMock ollama;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient(new HttpClientOptions());
        cohere = new CohereMock("co-key");
        mistral = new MistralMock("m-key");
        ollama = new OllamaMock("proxy-key");
    }

    @AfterAll
    static void stop() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
        cohere.close();
        mistral.close();
        ollama.close();
    }

    static Stream<Provider> providers() {
        return Stream.of(
                new Provider("cohere", new CohereAdapter(), cohere,
                        target("cohere", cohere.baseUrl(), "command-a-03-2025", "co-key"),
                        target("cohere", cohere.baseUrl(), "command-a-03-2025", "wrong")),
                new Provider("mistral", new MistralAdapter(), mistral,
                        target("mistral", mistral.baseUrl(), "mistral-small-latest", "m-key"),
                        target("mistral", mistral.baseUrl(), "mistral-small-latest", "wrong")),
                new Provider("ollama", new OllamaAdapter(), ollama,
                        target("ollama", ollama.baseUrl(), "llama3.2", "proxy-key"),
                        target("ollama", ollama.baseUrl(), "llama3.2", "wrong")));
    }

    @ParameterizedTest
    @MethodSource("providers")
    void streamsParallelToolCalls(Provider provider) throws Exception {
        ObjectNode request = json(TOOLS).put("stream", true);

        Exchange exchange = streamChat(provider, request);

        assertThat(exchange.status).isEqualTo(200);
        assertThat(exchange.failure).isNull();
        AdapterFixtures.Recording recording = exchange.recording;
        assertThat(recording.error).isNull();
        assertThat(Wire.parse(recording.arguments(0))).isEqualTo(json("{'city': 'Paris'}"));
        assertThat(recording.arguments(1)).isEqualTo("{}");
        assertThat(toolCallStarts(recording)).containsExactly("0:get_weather", "1:get_time");
        assertThat(recording.finishReason()).isEqualTo("tool_calls");
        assertThat(recording.usage.inputTokens()).isEqualTo(12);
        assertThat(recording.usage.outputTokens()).isEqualTo(5);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void streamsTextAfterToolResults(Provider provider) throws Exception {
        ObjectNode request = json("""
                {'model': 'm', 'stream': true, 'messages': [
                  {'role': 'user', 'content': 'Weather in Paris?'},
                  {'role': 'assistant', 'content': null, 'tool_calls': [
                    {'id': 'call_weather', 'type': 'function',
                     'function': {'name': 'get_weather', 'arguments': '{`city`:`Paris`}'}},
                    {'id': 'call_time', 'type': 'function', 'function': {'name': 'get_time', 'arguments': '{}'}}]},
                  {'role': 'tool', 'tool_call_id': 'call_weather', 'content': 'sunny'},
                  {'role': 'tool', 'tool_call_id': 'call_time', 'content': 'noon'}],
                 'tools': [{'type': 'function', 'function': {'name': 'get_weather'}},
                           {'type': 'function', 'function': {'name': 'get_time'}}]}
                """);

        Exchange exchange = streamChat(provider, request);

        assertThat(exchange.status).isEqualTo(200);
        assertThat(exchange.recording.text()).isEqualTo("It is sunny in Paris.");
        assertThat(exchange.recording.finishReason()).isEqualTo("stop");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void completesWithoutStream(Provider provider) throws Exception {
        ObjectNode request = json("{'model': 'm', 'messages': [{'role': 'system', 'content': 'Be brief.'},"
                + " {'role': 'user', 'content': 'Hi'}], 'temperature': 0.2, 'seed': 1, 'user': 'u'}");

        Exchange exchange = send(provider.adapter.chat(chat(request), provider.target), provider, null);

        assertThat(exchange.status).isEqualTo(200);
        ObjectNode completion = provider.adapter.chatResponse(Wire.parse(exchange.body), chat(request),
                provider.target);
        JsonNode choice = completion.path("choices").path(0);
        assertThat(choice.path("message").path("content").asText()).isEqualTo("Hello from " + provider.name);
        assertThat(choice.path("message").has("tool_calls")).as("tool_calls without a tool call").isFalse();
        assertThat(choice.path("message").has("prefix")).isFalse();
        assertThat(choice.path("finish_reason").asText()).isEqualTo("stop");
        assertThat(completion.path("usage").path("prompt_tokens").asInt()).isEqualTo(12);
        assertThat(completion.path("usage").path("completion_tokens").asInt()).isEqualTo(5);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void embedsTexts(Provider provider) throws Exception {
        ObjectNode request = json("{'model': 'e', 'input': ['one', 'two']}");

        Exchange exchange = send(provider.adapter.embeddings(request, provider.target), provider, null);

        assertThat(exchange.status).isEqualTo(200);
        ObjectNode list = provider.adapter.embeddingsResponse(Wire.parse(exchange.body), request, provider.target);
        assertThat(list.path("data")).hasSize(2);
        assertThat(list.path("data").path(1).path("index").asInt()).isEqualTo(1);
        assertThat(list.path("data").path(1).path("embedding").path(2).asDouble()).isEqualTo(1.0);
        assertThat(list.path("usage").path("prompt_tokens").asInt()).isPositive();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void wrongKeyGivesUnauthorized(Provider provider) throws Exception {
        ObjectNode request = json("{'model': 'm', 'messages': [{'role': 'user', 'content': 'Hi'}]}");

        Exchange exchange = send(provider.adapter.chat(chat(request), provider.wrongKey), provider, null);
        AiError error = provider.adapter.error(exchange.status, exchange.headers, exchange.body);

        assertThat(error.status()).isEqualTo(401);
        assertThat(error.type()).isEqualTo("invalid_request_error");
        assertThat(error.message()).startsWith("provider: ").doesNotContain("wrong");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void rateLimitCarriesRetryAfter(Provider provider) throws Exception {
        provider.mock.fail(Fault.RATE_LIMITED);
        ObjectNode request = json("{'model': 'm', 'messages': [{'role': 'user', 'content': 'Hi'}]}");

        Exchange exchange = send(provider.adapter.chat(chat(request), provider.target), provider, null);
        AiError error = provider.adapter.error(exchange.status, exchange.headers, exchange.body);

        assertThat(error.status()).isEqualTo(429);
        assertThat(error.retryAfterMillis()).isEqualTo(1000);
        assertThat(error.retryable()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void serverErrorIsRetryable(Provider provider) throws Exception {
        provider.mock.fail(Fault.SERVER_ERROR);
        ObjectNode request = json("{'model': 'm', 'messages': [{'role': 'user', 'content': 'Hi'}]}");

        Exchange exchange = send(provider.adapter.chat(chat(request), provider.target), provider, null);
        AiError error = provider.adapter.error(exchange.status, exchange.headers, exchange.body);

        assertThat(error.status()).isEqualTo(500);
        assertThat(error.message()).contains("The server had an error");
        assertThat(error.retryable()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void slowFirstByteStillStreams(Provider provider) throws Exception {
        provider.mock.fail(Fault.SLOW);
        long start = System.nanoTime();

        Exchange exchange = streamChat(provider, json(TOOLS).put("stream", true));

        assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isGreaterThanOrEqualTo(1900);
        assertThat(exchange.recording.finishReason()).isEqualTo("tool_calls");
    }

    @ParameterizedTest
    @MethodSource("providers")
    void cutStreamEndsWithoutFinish(Provider provider) throws Exception {
        provider.mock.fail(Fault.CUT_STREAM);

        Exchange exchange = streamChat(provider, json("{'model': 'm', 'stream': true,"
                + " 'messages': [{'role': 'user', 'content': 'Hi'}]}"));

        assertThat(exchange.status).isEqualTo(200);
        assertThat(exchange.failure).isNotNull();
        assertThat(exchange.recording.finishReason()).isNull();
    }

    @ParameterizedTest
    @MethodSource("providers")
    void mockRejectsUntranslatedRequest(Provider provider) throws Exception {
        ObjectNode raw = json("{'model': 'm', 'stream': false, 'messages': [{'role': 'user', 'content': [{'type':"
                + " 'image_url', 'image_url': {'url': 'data:image/png;base64,AAAA'}}]}], 'user': 'u'}");
        ProviderCall translated = provider.adapter.chat(chat(json("{'model': 'm', 'messages': [{'role': 'user',"
                + " 'content': 'Hi'}]}")), provider.target);
        ProviderCall untranslated = new ProviderCall(translated.method(), translated.url(), translated.headers(),
                Wire.json(provider.name.equals("ollama") ? json("{'model': 'm', 'stream': false, 'messages': [{"
                        + "'role': 'user', 'content': 'Hi', 'images': ['data:image/png;base64,AAAA']}]}") : raw));

        Exchange exchange = send(untranslated, provider, null);

        assertThat(exchange.status).isBetween(400, 422);
    }

    /** The index and name of every tool call's first delta, in order. */
    private static List<String> toolCallStarts(AdapterFixtures.Recording recording) {
        List<String> starts = new ArrayList<>();
        for (JsonNode delta : recording.deltas()) {
            for (JsonNode call : delta.path("tool_calls")) {
                if (call.has("id")) {
                    starts.add(call.path("index").asInt() + ":" + call.path("function").path("name").asText());
                }
            }
        }
        return starts;
    }

    private static Exchange streamChat(Provider provider, ObjectNode request) throws Exception {
        ProviderCall call = provider.adapter.chat(chat(request), provider.target);
        return send(call, provider, provider.adapter.chatStream(chat(request), provider.target));
    }

    /** The outcome of one call: status, headers, body of an unstreamed answer, translated chunks, failure. */
    private static final class Exchange {
        int status;
        MultiMap headers;
        Buffer body;
        Throwable failure;
        final AdapterFixtures.Recording recording = new AdapterFixtures.Recording();
    }

    /** Sends {@code call}; with a translator, feeds a 200 answer through the frame parser into it. */
    private static Exchange send(ProviderCall call, Provider provider, StreamTranslator translator) throws Exception {
        Exchange exchange = new Exchange();
        CompletableFuture<Exchange> done = new CompletableFuture<>();
        RequestOptions options = new RequestOptions().setMethod(call.method()).setAbsoluteURI(call.url())
                .setHeaders(call.headers());
        // The whole exchange runs on one event loop, because a response handler set from the test thread can miss
        // bytes, or the end, that arrived before it was set.
        vertx.runOnContext(start -> client.request(options).compose(request -> request.send(call.body()))
                .onComplete(sent -> {
            if (sent.failed()) {
                exchange.failure = sent.cause();
                done.complete(exchange);
                return;
            }
            HttpClientResponse response = sent.result();
            exchange.status = response.statusCode();
            exchange.headers = response.headers();
            if (translator == null || response.statusCode() != 200) {
                response.body().onComplete(body -> {
                    exchange.body = body.result();
                    exchange.failure = body.cause();
                    done.complete(exchange);
                });
                return;
            }
            FrameParser parser = FrameParser.create(provider.adapter.framing());
            response.handler(bytes -> parser.feed(bytes, frame -> translator.frame(frame, exchange.recording)));
            response.exceptionHandler(cause -> {
                exchange.failure = cause;
                done.complete(exchange);
            });
            response.endHandler(end -> {
                parser.end(frame -> translator.frame(frame, exchange.recording));
                translator.end(exchange.recording);
                done.complete(exchange);
            });
        }));
        return done.get(10, TimeUnit.SECONDS);
    }
}

package io.portico.ai;

import static io.portico.testing.Conditions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.StreamResponse;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseErrorEvent;
import com.openai.models.responses.ResponseStreamEvent;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.testing.ComputeHoldPolicyFactory;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/**
 * Embeddings and Responses API calls on a real node with a mock of OpenAI. The checks cover the usage recorded when
 * the provider reports none, Responses API streams that fail after they started, and large bodies. The provider
 * requests of large bodies are built, and large responses are translated, on the AI compute threads. The route
 * {@code /held} occupies those threads ({@link ComputeHoldPolicyFactory}) after the request checks, so work moved
 * there waits while the event loop goes on.
 */
class AiRelayTest {

    private static final String EMBEDDINGS = "/v1/embeddings";
    private static final String RESPONSES = "/v1/responses";
    /** The text of every response of the mock named {@code alpha}. */
    private static final String OUTPUT = "Hello from alpha";
    /** How long a held request is watched for work that should wait for the compute threads. */
    private static final long WATCH_MILLIS = 500;

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static OpenAiMock openAi;
    private static TestNode node;
    private static OpenAIClient client;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        openAi = new OpenAiMock("alpha", "sk-alpha");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        // The mock rejects this provider's key.
        config.provider("stale", "openai", openAi.baseUrl(), "sk-stale");
        // Anthropic offers neither embeddings nor the Responses API, so this provider is never called.
        config.provider("claude", "anthropic", "http://127.0.0.1:1", "sk-claude");
        config.model("mixed", "fallback", "alpha/text-embedding-3-small", "claude/claude-sonnet-4-5");
        config.aiRoute("ai", "/v1");
        ObjectNode held = config.aiRoute("held", "/held");
        held.put("stripPrefix", true);
        held.putArray("policies").addObject().put("name", "ai-compute-hold");
        node.apply(config.build());
        client = OpenAIOkHttpClient.builder().baseUrl(node.url() + "/v1").apiKey("sk-client").maxRetries(0).build();
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        openAi.close();
    }

    @BeforeEach
    void clear() {
        openAi.received().clear();
    }

    @AfterEach
    void reset() {
        openAi.omitUsage(false);
        openAi.failResponseStreams(false);
        ComputeHoldPolicyFactory.release();
    }

    @Test
    void embeddingsWithoutUsageGetEstimate() throws Exception {
        openAi.omitUsage(true);
        String input = "The quick brown fox jumps over the lazy dog";
        try (LogCapture log = new LogCapture("portico.access")) {
            CreateEmbeddingResponse embeddings = client.embeddings().create(EmbeddingCreateParams.builder()
                    .model("alpha/text-embedding-3-small").input(input).build());

            long expected = TokenCounter.embeddingsInput(Json.MAPPER.readTree("{\"input\":\"" + input + "\"}"));
            assertThat(embeddings.usage().promptTokens()).isEqualTo(expected);
            assertThat(embeddings.usage().totalTokens()).isEqualTo(expected);
            String entry = awaitLine(log, "path=" + EMBEDDINGS);
            assertThat(entry).contains("ai_tokens_estimated=true");
            assertThat(entry).contains("ai_input_tokens=" + expected + " ");
            assertThat(entry).contains("ai_output_tokens=0 ");
        }
    }

    @Test
    void responsesWithoutUsageGetEstimate() throws Exception {
        openAi.omitUsage(true);
        try (LogCapture log = new LogCapture("portico.access")) {
            client.responses().create(ResponseCreateParams.builder().model("alpha/gpt-4o").input("Say hello").build());

            long input = TokenCounter.responsesInput(Json.MAPPER.readTree("{\"input\":\"Say hello\"}"));
            String entry = awaitLine(log, "path=" + RESPONSES);
            assertThat(entry).contains("ai_tokens_estimated=true");
            assertThat(entry).contains("ai_input_tokens=" + input + " ");
            assertThat(entry).contains("ai_output_tokens=" + TokenCounter.count(OUTPUT) + " ");
            assertThat(entry).doesNotContain("ai_error");
        }
    }

    @Test
    void responsesStreamCutEndsWithErrorEvent() {
        openAi.fail(MockServer.Fault.CUT_STREAM);
        try (LogCapture log = new LogCapture("portico.access")) {
            List<ResponseStreamEvent> events = stream();

            assertThat(events).hasSize(3);
            assertThat(events.get(0).isCreated()).isTrue();
            assertThat(events.get(1).isOutputTextDelta()).isTrue();
            assertThat(events.get(2).isError()).as("the last event is an error").isTrue();
            ResponseErrorEvent error = events.get(2).asError();
            assertThat(error.code()).hasValue("api_error");
            assertThat(error.message()).contains("the stream of provider 'alpha' broke off");
            assertThat(error.sequenceNumber()).isEqualTo(2);
            String entry = awaitLine(log, "path=" + RESPONSES);
            assertThat(entry).contains("status=200", "ai_error=api_error", "ai_tokens_estimated=true");
            assertThat(entry).contains("ai_output_tokens=" + TokenCounter.count(OUTPUT) + " ");
            assertThat(entry).containsPattern("ai_input_tokens=[1-9]");
        }
    }

    @Test
    void responsesStreamErrorEventRecordsUsage() {
        openAi.failResponseStreams(true);
        try (LogCapture log = new LogCapture("portico.access")) {
            List<ResponseStreamEvent> events = stream();

            assertThat(events).hasSize(3);
            assertThat(events.get(2).isError()).as("the provider's error event").isTrue();
            assertThat(events.get(2).asError().code()).hasValue("server_error");
            assertThat(events.stream().filter(ResponseStreamEvent::isError)).hasSize(1);
            String entry = awaitLine(log, "path=" + RESPONSES);
            assertThat(entry).contains("ai_error=server_error", "ai_tokens_estimated=true", "ai_cost_usd=");
            assertThat(entry).contains("ai_output_tokens=" + TokenCounter.count(OUTPUT) + " ");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {EMBEDDINGS, RESPONSES})
    void failedCallOutranksUnsupportedTarget(String endpoint) throws Exception {
        openAi.fail(MockServer.Fault.SERVER_ERROR);
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = post(endpoint, "{\"model\":\"mixed\",\"input\":\"hi\"}")
                    .get(30, TimeUnit.SECONDS);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(500);
            assertThat(response.body()).doesNotContain("does not offer");
            String entry = awaitLine(log, "path=" + endpoint);
            assertThat(entry).contains("ai_provider=alpha", "ai_model=text-embedding-3-small", "ai_error=");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {EMBEDDINGS, RESPONSES})
    void rejectedProviderKeyGives502(String endpoint) throws Exception {
        HttpResponse<String> response = post(endpoint, "{\"model\":\"stale/text-embedding-3-small\",\"input\":\"hi\"}")
                .get(30, TimeUnit.SECONDS);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode error = Json.MAPPER.readTree(response.body()).path("error");
        assertThat(error.path("code").asText()).isEqualTo("provider_authentication_failed");
        assertThat(error.path("message").asText()).contains("provider 'stale' rejected");
        assertThat(response.body()).doesNotContain("sk-stale");
    }

    @ParameterizedTest
    @ValueSource(strings = {EMBEDDINGS, RESPONSES})
    void largeRequestIsBuiltOffEventLoop(String endpoint) throws Exception {
        String body = largeRequest(endpoint);
        CountDownLatch held = ComputeHoldPolicyFactory.arm();
        CompletableFuture<HttpResponse<String>> response = post("/held" + endpoint, body);
        assertThat(held.await(30, TimeUnit.SECONDS)).as("the compute threads are held").isTrue();

        Thread.sleep(WATCH_MILLIS);
        assertThat(openAi.received()).as("requests the provider received while the build waits").isEmpty();
        ComputeHoldPolicyFactory.release();

        assertThat(response.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        JsonNode sent = openAi.last().body();
        assertThat(sent.path("model").asText()).isEqualTo(endpoint.equals(EMBEDDINGS) ? "ids" : "gpt-4o");
        assertThat(sent.path("input")).isEqualTo(Json.MAPPER.readTree(body).path("input"));
    }

    @Test
    void largeEmbeddingsResponseIsTranslatedOffEventLoop() throws Exception {
        // 40 vectors of 3072 numbers make a response of about 600 KB.
        ArrayNode inputs = Json.MAPPER.createArrayNode();
        for (int i = 0; i < 40; i++) {
            inputs.add("text " + i);
        }
        ObjectNode request = Json.MAPPER.createObjectNode().put("model", "alpha/text-embedding-3-large")
                .put("dimensions", 3072);
        request.set("input", inputs);
        int respondedBefore = openAi.responded();
        CountDownLatch held = ComputeHoldPolicyFactory.arm();
        CompletableFuture<HttpResponse<String>> response = post("/held" + EMBEDDINGS, request.toString());
        assertThat(held.await(30, TimeUnit.SECONDS)).as("the compute threads are held").isTrue();
        eventually("the provider sent its response", () -> openAi.responded() > respondedBefore);

        Thread.sleep(WATCH_MILLIS);
        assertThat(response).as("the response while its translation waits").isNotDone();
        ComputeHoldPolicyFactory.release();

        HttpResponse<String> translated = response.get(30, TimeUnit.SECONDS);
        assertThat(translated.statusCode()).isEqualTo(200);
        JsonNode list = Json.MAPPER.readTree(translated.body());
        assertThat(list.path("data")).hasSize(40);
        assertThat(list.at("/data/39/embedding")).hasSize(3072);
        assertThat(list.at("/data/39/embedding/2").asInt()).isEqualTo(39);
        assertThat(list.at("/usage/prompt_tokens").asInt()).isEqualTo(120);
    }

    @Test
    void clientLeavingDuringBuildSendsNothing() throws Exception {
        String body = largeRequest(EMBEDDINGS);
        CountDownLatch held = ComputeHoldPolicyFactory.arm();
        try (LogCapture log = new LogCapture("portico.access")) {
            try (Socket socket = new Socket("127.0.0.1", URI.create(node.url()).getPort())) {
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                socket.getOutputStream().write(("POST /held" + EMBEDDINGS + " HTTP/1.1\r\nHost: localhost\r\n"
                        + "Content-Type: application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().write(bytes);
                socket.getOutputStream().flush();
                assertThat(held.await(30, TimeUnit.SECONDS)).as("the compute threads are held").isTrue();
            }
            awaitLine(log, "aborted=true");
            ComputeHoldPolicyFactory.release();

            Thread.sleep(WATCH_MILLIS);
            assertThat(openAi.received()).as("requests the provider received after the client left").isEmpty();
        }
    }

    /**
     * Returns a request of more than a megabyte. For embeddings it is 2,000 lists of 100 token ids, which the token
     * estimate counts at once. For the Responses API it is a long text.
     */
    private static String largeRequest(String endpoint) {
        if (endpoint.equals(RESPONSES)) {
            return "{\"model\":\"alpha/gpt-4o\",\"input\":\"" + "hello world ".repeat(100_000) + "\"}";
        }
        ObjectNode request = Json.MAPPER.createObjectNode().put("model", "alpha/ids");
        ArrayNode input = request.putArray("input");
        for (int i = 0; i < 2000; i++) {
            ArrayNode ids = input.addArray();
            for (int id = 0; id < 100; id++) {
                ids.add(100_000 + id);
            }
        }
        return request.toString();
    }

    /** Streams a Responses API call with the SDK and returns its events. */
    private static List<ResponseStreamEvent> stream() {
        ResponseCreateParams params = ResponseCreateParams.builder().model("alpha/gpt-4o").input("Say hello").build();
        try (StreamResponse<ResponseStreamEvent> events = client.responses().createStreaming(params)) {
            return events.stream().toList();
        }
    }

    private static CompletableFuture<HttpResponse<String>> post(String path, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path)).timeout(Duration.ofSeconds(60))
                .header("content-type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HTTP.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Waits for the first access-log line that contains {@code text}, and returns it. */
    private static String awaitLine(LogCapture log, String text) {
        eventually("the access log has a line with " + text, () -> line(log, text) != null);
        return line(log, text);
    }

    private static String line(LogCapture log, String text) {
        return log.messages(Level.INFO).stream().filter(entry -> entry.contains(text)).findFirst().orElse(null);
    }
}

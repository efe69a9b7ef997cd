package io.portico.ai.provider;

import static io.portico.ai.provider.GoogleFixtures.await;
import static io.portico.ai.provider.GoogleFixtures.json;
import static io.portico.ai.provider.GoogleFixtures.request;
import static io.portico.ai.provider.GoogleFixtures.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.ai.provider.GoogleFixtures.Outcome;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Sends real HTTP through {@link GeminiAdapter} to {@link GeminiMock} in Gemini API mode. */
class GeminiHttpTest {

    private static final String KEY = "AIza-mock-key";
    private static Vertx vertx;
    private static HttpClient client;
    private static GeminiMock mock;
    private final GeminiAdapter adapter = new GeminiAdapter();

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
        mock = await(GeminiMock.geminiApi(vertx, KEY));
    }

    @AfterAll
    static void stop() {
        mock.close();
        await(vertx.close());
    }

    private CallTarget target(String model, String key) {
        return GoogleFixtures.target(GoogleFixtures.gemini(mock.baseUrl()), mock.baseUrl(), model, key);
    }

    @Test
    void chatReturnsCompletion() {
        mock.enqueue(Reply.text("Hello there."));
        ChatRequest chat = request("{'messages':[{'role':'system','content':'Be kind.'},"
                + "{'role':'user','content':'Hi'}],'max_tokens':50}");
        CallTarget target = target("gemini-2.5-flash", KEY);

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, null);

        assertThat(outcome.status()).isEqualTo(200);
        ObjectNode response = adapter.chatResponse(Wire.parse(outcome.body()), chat, target);
        assertThat(response.at("/choices/0/message/content").asText()).isEqualTo("Hello there.");
        assertThat(response.at("/choices/0/finish_reason").asText()).isEqualTo("stop");
        assertThat(response.at("/usage/prompt_tokens").asLong()).isEqualTo(12);
        assertThat(response.at("/usage/completion_tokens").asLong()).isEqualTo(5);
        GeminiMock.Recorded recorded = last();
        assertThat(recorded.path()).isEqualTo("/v1beta/models/gemini-2.5-flash:generateContent");
        assertThat(recorded.headers().get("x-goog-api-key")).isEqualTo(KEY);
    }

    @Test
    void streamCarriesToolCallAndUsage() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        parts.addObject().put("text", "Looking it up.");
        parts.addObject().putObject("functionCall").put("name", "get_weather").putObject("args").put("city", "Oslo");
        mock.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(40, 9, 16, 3)));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Weather in Oslo?'}],"
                + "'tools':[{'type':'function','function':{'name':'get_weather','parameters':{'type':'object',"
                + "'properties':{'city':{'type':'string'}}}}}]}");
        CallTarget target = target("gemini-2.5-flash", KEY);

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, adapter.chatStream(chat, target));

        assertThat(outcome.failure()).isNull();
        String responseId = outcome.sink().chunks.get(0).path("id").asText();
        String callId = ToolCallIds.digest(responseId, 0, "get_weather", "{\"city\":\"Oslo\"}");
        assertThat(responseId).startsWith("resp-mock-");
        assertThat(outcome.sink().deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'Looking'}"),
                json("{'content':' it up.'}"),
                json("{'tool_calls':[{'index':0,'id':'" + callId + "','type':'function',"
                        + "'function':{'name':'get_weather','arguments':''}}]}"),
                json("{'tool_calls':[{'index':0,'function':{'arguments':'{\\'city\\':\\'Oslo\\'}'}}]}"),
                json("{'finish':'tool_calls'}"));
        assertThat(outcome.sink().usage).isEqualTo(new Usage(40, 12, 16, 0, 3, false));
        assertThat(last().path()).isEqualTo("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse");
    }

    @Test
    void toolTurnRoundTripPassesValidation() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        ObjectNode first = parts.addObject().put("thoughtSignature", "c2lnLWE=");
        first.putObject("functionCall").put("name", "get_weather").putObject("args").put("city", "Oslo");
        parts.addObject().putObject("functionCall").put("name", "get_time");
        mock.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(40, 9, 0, 0)));
        String tools = "'tools':[{'type':'function','function':{'name':'get_weather'}},"
                + "{'type':'function','function':{'name':'get_time'}}]";
        ChatRequest firstTurn = request("{'messages':[{'role':'user','content':'Weather and time?'}]," + tools + "}");
        CallTarget target = target("gemini-3-pro-preview", KEY);
        Outcome calls = send(vertx, client, adapter.chat(firstTurn, target), adapter, null);
        JsonNode assistant = adapter.chatResponse(Wire.parse(calls.body()), firstTurn, target)
                .at("/choices/0/message");

        ObjectNode next = (ObjectNode) json("{'messages':[{'role':'user','content':'Weather and time?'}]," + tools
                + "}");
        ArrayNode messages = (ArrayNode) next.get("messages");
        messages.add(assistant);
        messages.addObject().put("role", "tool").put("tool_call_id", assistant.at("/tool_calls/1/id").asText())
                .put("content", "09:00");
        messages.addObject().put("role", "tool").put("tool_call_id", assistant.at("/tool_calls/0/id").asText())
                .put("content", "{\"temp\":-3}");
        ChatRequest secondTurn = new ChatRequest(next, next, io.portico.ai.spi.Protocol.OPENAI, "m", false, false);
        Outcome answer = send(vertx, client, adapter.chat(secondTurn, target), adapter, null);

        assertThat(answer.status()).as(answer.body().toString()).isEqualTo(200);
        JsonNode sent = last().json();
        assertThat(sent.at("/contents/1/parts/0/thoughtSignature").asText()).isEqualTo("c2lnLWE=");
        assertThat(sent.at("/contents/2/parts/0/functionResponse/name").asText()).isEqualTo("get_weather");
        assertThat(sent.at("/contents/2/parts/1/functionResponse/name").asText()).isEqualTo("get_time");
    }

    @Test
    void missingSignatureIsRejectedByGemini3() {
        ChatRequest chat = request("""
                {'messages':[{'role':'user','content':'Weather?'},
                  {'role':'assistant','tool_calls':[{'id':'call_0','type':'function',
                    'function':{'name':'get_weather','arguments':'{}'}}]},
                  {'role':'tool','tool_call_id':'call_0','content':'sunny'}],
                 'tools':[{'type':'function','function':{'name':'get_weather'}}]}
                """);
        CallTarget target = target("gemini-3-pro-preview", KEY);

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, null);
        AiError error = adapter.error(outcome.status(), outcome.headers(), outcome.body());

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.message()).contains("thought_signature");
    }

    @Test
    void wrongKeyIsRejected() {
        CallTarget target = target("gemini-2.5-flash", "AIza-wrong");

        Outcome outcome = send(vertx, client, adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"),
                target), adapter, null);
        AiError error = adapter.error(outcome.status(), outcome.headers(), outcome.body());

        assertThat(error.status()).isEqualTo(400);
        assertThat(error.code()).isEqualTo("invalid_argument");
        assertThat(error.message()).isEqualTo("provider: API key not valid. Please pass a valid API key.");
    }

    @Test
    void rateLimitCarriesRetryAfter() {
        mock.enqueue(Reply.error(429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).")
                .withHeader("Retry-After", "3"));

        Outcome outcome = send(vertx, client, adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"),
                target("gemini-2.5-flash", KEY)), adapter, null);
        AiError error = adapter.error(outcome.status(), outcome.headers(), outcome.body());

        assertThat(error.status()).isEqualTo(429);
        assertThat(error.type()).isEqualTo("rate_limit_error");
        assertThat(error.retryAfterMillis()).isEqualTo(3_000);
        assertThat(error.retryable()).isTrue();
    }

    @Test
    void serverErrorIsRetryable() {
        mock.enqueue(Reply.error(500, "INTERNAL", "An internal error has occurred."));

        Outcome outcome = send(vertx, client, adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"),
                target("gemini-2.5-flash", KEY)), adapter, null);
        AiError error = adapter.error(outcome.status(), outcome.headers(), outcome.body());

        assertThat(error).isEqualTo(new AiError(500, "api_error", "internal",
                "provider: An internal error has occurred.", -1));
        assertThat(error.retryable()).isTrue();
    }

    @Test
    void slowFirstByteStillCompletes() {
        mock.enqueue(Reply.text("Late.").delayed(300));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}");
        CallTarget target = target("gemini-2.5-flash", KEY);
        long started = System.nanoTime();

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, adapter.chatStream(chat, target));

        assertThat((System.nanoTime() - started) / 1_000_000).isGreaterThanOrEqualTo(300);
        assertThat(outcome.sink().deltas()).last().isEqualTo(json("{'finish':'stop'}"));
    }

    @Test
    void cutStreamEndsWithoutFinish() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        parts.addObject().put("text", "First part.");
        parts.addObject().put("text", "Second part.");
        mock.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(5, 6, 0, 0)).cutAfter(2));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}");
        CallTarget target = target("gemini-2.5-flash", KEY);

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, adapter.chatStream(chat, target));

        assertThat(outcome.failure()).isNotNull();
        assertThat(outcome.sink().deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'First'}"),
                json("{'content':' part.'}"));
    }

    @Test
    void streamErrorEventReachesSink() {
        mock.enqueue(Reply.text("Partial").failingWith(503, "UNAVAILABLE", "The model is overloaded."));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}");
        CallTarget target = target("gemini-2.5-flash", KEY);

        Outcome outcome = send(vertx, client, adapter.chat(chat, target), adapter, adapter.chatStream(chat, target));

        assertThat(outcome.sink().errors).extracting(AiError::status).containsExactly(503);
        assertThat(outcome.sink().errors.get(0).message()).isEqualTo("provider: The model is overloaded.");
    }

    @Test
    void embeddingsThroughMock() {
        ObjectNode request = (ObjectNode) json("{'model':'gemini-embedding-001','input':['one two','three']}");
        CallTarget target = target("gemini-embedding-001", KEY);

        Outcome outcome = send(vertx, client, adapter.embeddings(request, target), adapter, null);
        JsonNode response = adapter.embeddingsResponse(Wire.parse(outcome.body()), request, target);

        assertThat(outcome.status()).isEqualTo(200);
        assertThat(response.path("data")).hasSize(2);
        assertThat(response.at("/data/1/embedding")).isEqualTo(json("[0.5,0.5,-0.25]"));
        assertThat(last().path()).isEqualTo("/v1beta/models/gemini-embedding-001:batchEmbedContents");
    }

    private static GeminiMock.Recorded last() {
        List<GeminiMock.Recorded> requests = mock.requests();
        return requests.get(requests.size() - 1);
    }
}

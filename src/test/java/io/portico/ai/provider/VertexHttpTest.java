package io.portico.ai.provider;

import static io.portico.ai.provider.GoogleFixtures.await;
import static io.portico.ai.provider.GoogleFixtures.json;
import static io.portico.ai.provider.GoogleFixtures.request;
import static io.portico.ai.provider.GoogleFixtures.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.ai.mock.GeminiMock;
import io.portico.ai.mock.GeminiMock.Reply;
import io.portico.ai.provider.GoogleFixtures.Outcome;
import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.AiError;
import io.portico.ai.spi.CallTarget;
import io.portico.ai.spi.ChatRequest;
import io.portico.ai.spi.ProviderCall;
import io.portico.ai.spi.Usage;
import io.portico.config.Json;
import io.portico.config.ProviderSpec;
import io.portico.testing.ContextRequests;
import io.portico.testing.GoogleServiceAccounts;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Sends real HTTP through {@link VertexAdapter} to {@link GeminiMock} in Vertex AI mode, token exchange included. */
class VertexHttpTest {

    private Vertx vertx;
    private HttpClient client;
    private KeyPair keys;
    private GeminiMock mock;
    private final MovableClock clock = new MovableClock();
    private VertexAdapter adapter;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        client = vertx.createHttpClient();
        keys = GoogleServiceAccounts.rsaKeyPair();
        mock = await(GeminiMock.vertex(vertx, keys.getPublic()));
        adapter = new VertexAdapter(new AdapterContext(vertx, client, ModelCatalog.builtIn()), clock);
    }

    @AfterEach
    void stop() {
        mock.close();
        await(vertx.close());
    }

    private CallTarget target(String model, String serviceAccount) {
        ProviderSpec spec = GoogleFixtures.vertex(mock.baseUrl(), "us-central1", serviceAccount, null);
        return GoogleFixtures.target(spec, mock.baseUrl(), model, null);
    }

    private String serviceAccount(KeyPair signing) {
        return GoogleServiceAccounts.keyJson(signing, mock.tokenUrl());
    }

    /** Authorizes a chat call on a Vert.x context, as Portico does, because the token exchange is an HTTP request. */
    private Future<ProviderCall> authorize(ChatRequest chat, CallTarget target) {
        return ContextRequests.start(vertx, () -> adapter.authorize(adapter.chat(chat, target), target));
    }

    @Test
    void serviceAccountTokenAuthorizesCalls() {
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");

        Outcome first = send(vertx, client, await(authorize(chat, target)), adapter, null);
        Outcome second = send(vertx, client, await(authorize(chat, target)), adapter, null);

        assertThat(first.status()).isEqualTo(200);
        assertThat(second.status()).isEqualTo(200);
        assertThat(mock.tokenExchanges()).isEqualTo(1);
        GeminiMock.Recorded exchange = mock.requests().get(0);
        assertThat(exchange.path()).isEqualTo("/token");
        assertThat(exchange.headers().get("content-type")).isEqualTo("application/x-www-form-urlencoded");
        assertThat(exchange.body()).startsWith("grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer"
                + "&assertion=");
        GeminiMock.Recorded call = mock.requests().get(2);
        assertThat(call.path()).isEqualTo("/v1/projects/proj-1/locations/us-central1/publishers/google/models/"
                + "gemini-2.5-flash:generateContent");
        assertThat(call.headers().get("authorization")).isEqualTo("Bearer " + GeminiMock.TOKEN_PREFIX + "1");
    }

    @Test
    void concurrentCallsShareOneExchange() {
        mock.tokenDelayMillis(200);
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");
        List<Future<ProviderCall>> pending = new ArrayList<>();

        for (int i = 0; i < 5; i++) {
            pending.add(authorize(chat, target));
        }

        for (Future<ProviderCall> call : pending) {
            assertThat(await(call).headers().get("authorization")).isEqualTo("Bearer " + GeminiMock.TOKEN_PREFIX + "1");
        }
        assertThat(mock.tokenExchanges()).isEqualTo(1);
    }

    @Test
    void tokenIsRefreshedBeforeExpiry() {
        mock.tokenLifetimeSeconds((int) GoogleAccessTokens.REFRESH_MARGIN.toSeconds() + 2);
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");

        await(authorize(chat, target));
        await(authorize(chat, target));
        clock.advance(Duration.ofSeconds(3));
        ProviderCall refreshed = await(authorize(chat, target));

        assertThat(mock.tokenExchanges()).isEqualTo(2);
        assertThat(refreshed.headers().get("authorization")).isEqualTo("Bearer " + GeminiMock.TOKEN_PREFIX + "2");
    }

    @Test
    void idleTokenSourceIsRemoved() throws Exception {
        // Tokens outlive the test's moves of the clock, so the later calls need no exchange.
        mock.tokenLifetimeSeconds((int) Duration.ofHours(4).toSeconds());
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");
        CallTarget replaced = target("gemini-2.5-flash", serviceAccount(keys));
        ObjectNode rotated = (ObjectNode) Json.MAPPER.readTree(serviceAccount(keys));
        CallTarget current = target("gemini-2.5-flash", rotated.put("private_key_id", "key-2").toString());

        await(authorize(chat, replaced));
        await(authorize(chat, current));
        assertThat(adapter.tokenSources()).isEqualTo(2);
        clock.advance(VertexAdapter.TOKEN_SOURCE_IDLE.minusMinutes(1));
        await(authorize(chat, current));
        clock.advance(Duration.ofMinutes(2));

        assertThat(adapter.tokenSources()).isEqualTo(1);
        assertThat(mock.tokenExchanges()).isEqualTo(2);
        clock.advance(VertexAdapter.TOKEN_SOURCE_IDLE.plusMinutes(1));
        assertThat(adapter.tokenSources()).isZero();
    }

    @Test
    void wrongSigningKeyFailsAuthorization() {
        CallTarget target = target("gemini-2.5-flash", serviceAccount(GoogleServiceAccounts.rsaKeyPair()));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");

        assertThatThrownBy(() -> await(authorize(chat, target)))
                .hasMessageContaining("status 400: Invalid JWT Signature.")
                .hasMessageNotContaining("PRIVATE KEY");
        assertThat(mock.tokenExchanges()).isZero();
    }

    @Test
    void echoedAssertionIsRedactedFromFailure() {
        mock.echoAssertionInTokenErrors();
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");

        Throwable failure = catchThrowable(() -> await(authorize(chat, target)));

        String assertion = sentAssertion();
        String signature = assertion.substring(assertion.lastIndexOf('.') + 1);
        assertThat(failure).isNotNull();
        String message = failure.getMessage();
        assertThat(message).contains("the token endpoint " + mock.tokenUrl() + " rejected the assertion of "
                + "portico@proj-1.iam.gserviceaccount.com with status 400: Invalid JWT Signature. assertion="
                + GoogleAccessTokens.MASK);
        assertThat(message).doesNotContain(assertion);
        assertThat(message).doesNotContain(signature);
    }

    @Test
    void tricklingTokenEndpointFailsAtDeadline() {
        mock.tokenTrickleMillis(100);
        GoogleAccessTokens tokens = new GoogleAccessTokens(GoogleServiceAccount.parse(serviceAccount(keys)), null,
                vertx, client, clock, 500);
        long start = System.nanoTime();

        Throwable failure = catchThrowable(() -> await(ContextRequests.start(vertx, () -> tokens.token(1000))));

        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;
        assertThat(failure).isNotNull();
        assertThat(failure.getMessage()).contains("did not complete the exchange for "
                + "portico@proj-1.iam.gserviceaccount.com within 500 ms");
        assertThat(elapsedMillis).isLessThan(5_000);
        catchThrowable(() -> await(ContextRequests.start(vertx, () -> tokens.token(1000))));
        assertThat(mock.requests()).hasSize(2);
    }

    /** Returns the assertion of the first token exchange that the mock received. */
    private String sentAssertion() {
        String body = mock.requests().get(0).body();
        return body.substring(body.indexOf("&assertion=") + "&assertion=".length());
    }

    @Test
    void oversizedTokenResponseFailsAuthorization() {
        mock.tokenPaddingBytes((int) GoogleAccessTokens.MAX_RESPONSE_BYTES);
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}]}");

        assertThatThrownBy(() -> await(authorize(chat, target)))
                .hasMessageContaining("larger than " + GoogleAccessTokens.MAX_RESPONSE_BYTES + " bytes");
    }

    @Test
    void callWithoutTokenIsUnauthenticated() {
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));

        Outcome outcome = send(vertx, client, adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"),
                target), adapter, null);
        AiError error = adapter.error(outcome.status(), outcome.headers(), outcome.body());

        assertThat(error.status()).isEqualTo(401);
        assertThat(error.type()).isEqualTo("invalid_request_error");
        assertThat(error.code()).isEqualTo("unauthenticated");
    }

    @Test
    void readyKeySkipsExchange() {
        ProviderSpec spec = GoogleFixtures.vertex(mock.baseUrl(), "us-central1", serviceAccount(keys), null);
        CallTarget target = GoogleFixtures.target(spec, mock.baseUrl(), "gemini-2.5-flash", "ya29.configured");
        ProviderCall call = adapter.chat(request("{'messages':[{'role':'user','content':'Hi'}]}"), target);

        ProviderCall authorized = await(adapter.authorize(call, target));

        assertThat(authorized.headers().get("authorization")).isEqualTo("Bearer ya29.configured");
        assertThat(mock.tokenExchanges()).isZero();
    }

    @Test
    void geminiStreamWithToolCall() {
        ArrayNode parts = Json.MAPPER.createArrayNode();
        parts.addObject().putObject("functionCall").put("name", "lookup").putObject("args").put("q", "vertex");
        mock.enqueue(Reply.response(parts, "STOP", GeminiMock.usage(21, 7, 0, 0)));
        CallTarget target = target("gemini-2.5-flash", serviceAccount(keys));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Search'}],"
                + "'tools':[{'type':'function','function':{'name':'lookup'}}]}");

        Outcome outcome = send(vertx, client, await(authorize(chat, target)), adapter,
                adapter.chatStream(chat, target));

        String callId = ToolCallIds.digest(outcome.sink().chunks.get(0).path("id").asText(), 0, "lookup",
                "{\"q\":\"vertex\"}");
        assertThat(outcome.sink().deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'tool_calls':[{'index':0,'id':'" + callId + "','type':'function','function':{'name':'lookup',"
                        + "'arguments':''}}]}"),
                json("{'tool_calls':[{'index':0,'function':{'arguments':'{\\'q\\':\\'vertex\\'}'}}]}"),
                json("{'finish':'tool_calls'}"));
        assertThat(outcome.sink().usage).isEqualTo(new Usage(21, 7, 0, 0, 0, false));
    }

    @Test
    void claudeThroughRawPredict() {
        CallTarget target = target("claude-sonnet-4-5@20250929", serviceAccount(keys));
        ChatRequest chat = request("{'messages':[{'role':'user','content':'Hi'}],'max_tokens':64}");

        Outcome outcome = send(vertx, client, await(authorize(chat, target)), adapter, null);

        assertThat(outcome.status()).as(outcome.body().toString()).isEqualTo(200);
        var response = adapter.chatResponse(Wire.parse(outcome.body()), chat, target);
        assertThat(response.at("/choices/0/message/content").asText()).isEqualTo("Hello from Claude.");
        assertThat(response.at("/usage/completion_tokens").asLong()).isEqualTo(4);
        assertThat(mock.requests().get(1).path()).isEqualTo("/v1/projects/proj-1/locations/us-central1/publishers/"
                + "anthropic/models/claude-sonnet-4-5@20250929:rawPredict");
    }

    @Test
    void claudeStreamThroughStreamRawPredict() {
        CallTarget target = target("claude-sonnet-4-5@20250929", serviceAccount(keys));
        ChatRequest chat = request("{'stream':true,'messages':[{'role':'user','content':'Hi'}]}");

        Outcome outcome = send(vertx, client, await(authorize(chat, target)), adapter,
                adapter.chatStream(chat, target));

        assertThat(outcome.sink().deltas()).containsExactly(
                json("{'role':'assistant','content':''}"),
                json("{'content':'Hello from Claude.'}"),
                json("{'finish':'stop'}"));
        assertThat(outcome.sink().usage).isEqualTo(new Usage(10, 4, 0, 0, 0, false));
    }

    /** A clock the test moves forward by hand. */
    private static final class MovableClock extends Clock {

        private volatile Instant now = Instant.now();

        void advance(Duration duration) {
            now = now.plus(duration);
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}

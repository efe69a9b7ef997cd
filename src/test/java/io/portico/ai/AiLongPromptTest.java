package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests whose prompts are megabytes long, on a real node. Parsing them and counting their tokens runs on worker
 * threads, so the event loop serves other requests meanwhile. Each check sends the long request and then a short
 * {@code GET /v1/models} on the same HTTP/2 connection, which one event loop serves, and expects the short request
 * to finish first: were the long one parsed or counted on the event loop, the short one would wait for it.
 */
class AiLongPromptTest {

    /** About 8 MB of text and 1.4 million tokens, which takes the tokenizer a good part of a second. */
    private static final String LONG_TEXT = "hello world ".repeat(700_000);
    /** A completion without usage, as some OpenAI-compatible servers send it. */
    private static final String COMPLETION = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
            + "\"model\":\"plain\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"Hello\"},\"finish_reason\":\"stop\"}]}";

    /** An Anthropic message, the response of the provider of type anthropic. */
    private static final String MESSAGE = "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
            + "\"model\":\"claude-sonnet-4-5\",\"content\":[{\"type\":\"text\",\"text\":\"Hi\"}],"
            + "\"stop_reason\":\"end_turn\",\"stop_sequence\":null,"
            + "\"usage\":{\"input_tokens\":1400000,\"output_tokens\":1}}";

    private static final List<Buffer> TRANSLATED = new CopyOnWriteArrayList<>();
    private static Vertx vertx;
    private static HttpServer provider;
    private static TestNode node;
    private static HttpClientAgent client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            if (request.path().startsWith("/anthropic/")) {
                TRANSLATED.add(body);
                request.response().putHeader("content-type", "application/json").end(MESSAGE);
                return;
            }
            request.response().putHeader("content-type", "application/json").end(COMPLETION);
        }))
                .listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("plain", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1", "sk-plain")
                .putArray("models").add("gpt-4o");
        config.provider("claude", "anthropic", "http://127.0.0.1:" + provider.actualPort() + "/anthropic/v1",
                "sk-claude").putArray("models").add("claude-sonnet-4-5");
        config.aiRoute("ai", "/v1");
        ObjectNode limited = config.aiRoute("limited", "/limited");
        limited.put("stripPrefix", true);
        limited.putArray("policies").addObject().put("name", "token-limit").putObject("config").putArray("limits")
                .addObject().put("by", "model").put("tokensPerMinute", 1000);
        node.apply(config.build());
        client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
        // Opens the one HTTP/2 connection that the requests of every check share.
        assertThat(get("/v1/models").await(10, TimeUnit.SECONDS)).contains("plain/gpt-4o");
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    private static String longPrompt() {
        return "{\"model\":\"plain/gpt-4o\",\"max_tokens\":10,\"messages\":[{\"role\":\"user\",\"content\":\""
                + LONG_TEXT + "\"}]}";
    }

    private static Future<String> get(String path) {
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(path);
        return ContextRequests.start(vertx, () -> client.request(options).compose(HttpClientRequest::send)
                .compose(response -> response.body()).map(Buffer::toString));
    }

    /**
     * Sends {@code body} to {@code path}, then, once the body is written, a short request, and returns the names of
     * the requests in the order they finished: {@code long} and {@code short}.
     */
    private static List<String> finishOrder(String path, String body, String... headers) throws Exception {
        List<String> finished = new CopyOnWriteArrayList<>();
        RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(path).putHeader("content-type", "application/json");
        for (int i = 0; i + 1 < headers.length; i += 2) {
            options.putHeader(headers[i], headers[i + 1]);
        }
        Promise<Void> written = Promise.promise();
        Future<Buffer> longResponse = ContextRequests.start(vertx, () -> client.request(options).compose(request -> {
            request.end(Buffer.buffer(body)).onComplete(written);
            return request.response().compose(response -> response.body());
        })).onSuccess(ignored -> finished.add("long"));
        written.future().await(30, TimeUnit.SECONDS);
        Future<String> shortResponse = get("/v1/models").onSuccess(ignored -> finished.add("short"));
        Future.all(longResponse, shortResponse).await(60, TimeUnit.SECONDS);
        return List.copyOf(finished);
    }

    @Test
    void countTokensLeavesEventLoopFree() throws Exception {
        String body = "{\"model\":\"plain/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG_TEXT
                + "\"}]}";

        List<String> order = finishOrder("/v1/messages/count_tokens", body, "anthropic-version", "2023-06-01");

        assertThat(order).containsExactly("short", "long");
    }

    @Test
    void countTokensOfLongPromptIsComplete() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/messages/count_tokens",
                "{\"model\":\"plain/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"" + LONG_TEXT + "\"}]}",
                "anthropic-version", "2023-06-01");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(AiTestClient.json(response).path("input_tokens").asLong()).isGreaterThan(1_000_000);
    }

    @Test
    void tokenLimitEstimateLeavesEventLoopFree() throws Exception {
        List<String> order = finishOrder("/limited/v1/chat/completions", longPrompt());

        assertThat(order).containsExactly("short", "long");
    }

    @Test
    void tokenLimitRejectsLongPromptByEstimate() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/limited/v1/chat/completions", longPrompt());

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(AiTestClient.json(response).path("error").path("message").asText())
                .contains("1000 tokens per minute");
    }

    @Test
    void longPromptIsTranslatedForOtherProvider() throws Exception {
        TRANSLATED.clear();
        String body = "{\"model\":\"claude/claude-sonnet-4-5\",\"max_tokens\":10,\"messages\":["
                + "{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\""
                + LONG_TEXT + "\"}]}";

        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode completion = Json.MAPPER.readTree(response.body());
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("Hi");
        assertThat(completion.at("/usage/prompt_tokens").asLong()).isEqualTo(1_400_000);
        assertThat(TRANSLATED).hasSize(1);
        JsonNode sent = Json.MAPPER.readTree(TRANSLATED.get(0).getBytes());
        assertThat(sent.at("/system").toString()).contains("Be brief.");
        assertThat(sent.at("/messages/0/content").toString()).contains(LONG_TEXT);
    }

    @Test
    void usageOfLongPromptIsApproximated() throws Exception {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/v1/chat/completions", longPrompt());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode completion = Json.MAPPER.readTree(response.body());
        assertThat(completion.at("/choices/0/message/content").asText()).isEqualTo("Hello");
        // The provider reports no usage and no token limit counted the prompt, so each 4 characters count as a token.
        long quarter = LONG_TEXT.length() / 4;
        assertThat(completion.at("/usage/prompt_tokens").asLong()).isBetween(quarter, quarter + 100);
        assertThat(response.headers().firstValue("x-portico-input-tokens")).hasValue(
                completion.at("/usage/prompt_tokens").asText());
    }
}

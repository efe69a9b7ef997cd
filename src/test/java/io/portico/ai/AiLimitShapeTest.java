package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.CountingPolicyFactory;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rejections of traffic-control policies on AI routes, through a real node: OpenAI clients get the type and code
 * that the OpenAI API gives a limit that waiting lifts ({@code rate_limit_exceeded}) or one that it does not
 * ({@code insufficient_quota}), Anthropic clients get {@code rate_limit_error}, and the policy's
 * {@code Retry-After} is kept. A REST route keeps its problem document.
 */
class AiLimitShapeTest {

    private static final String CHAT = "{\"model\":\"openai/gpt-4o\",\"max_tokens\":100,"
            + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

    private static OpenAiMock openAi;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("gpt", "sk-openai");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("openai", "openai", openAi.baseUrl(), "sk-openai");
        config.service("rest", openAi.port());
        config.resource("teams", "ml");
        config.resource("consumers", "alice").put("team", "ml");

        policies(config, "rate").addObject().put("name", "rate-limit").putObject("config").putArray("limits")
                .addObject().put("name", "per-hour").put("max", 1).put("window", "1h");
        ObjectNode concurrency = config.aiRoute("concurrency", "/concurrency");
        concurrency.put("stripPrefix", true);
        concurrency.putArray("policies").addObject().put("name", "concurrency-limit").putObject("config")
                .put("max", 1);
        policies(config, "tokens").addObject().put("name", "token-limit").putObject("config").putArray("limits")
                .addObject().put("by", "consumer").put("requestsPerMinute", 1);
        policies(config, "large").addObject().put("name", "token-limit").putObject("config").putArray("limits")
                .addObject().put("by", "consumer").put("tokensPerMinute", 10);
        ArrayNode quota = policies(config, "quota");
        quota.addObject().put("name", "count").putObject("config").put("counter", "limit-shape-quota");
        quota.addObject().put("name", "quota").putObject("config").put("limit", 0);
        ArrayNode budget = policies(config, "budget");
        budget.addObject().put("name", "header-auth").putObject("config").putArray("headers").add("Authorization")
                .add("x-api-key");
        budget.addObject().put("name", "budget").putObject("config").putArray("budgets").addObject()
                .put("by", "consumer").put("period", "month").put("amount", 0);
        config.route("rest", "rest", "/rest").putArray("policies").addObject().put("name", "quota")
                .putObject("config").put("limit", 0);
        node.apply(config.build());
    }

    /** Adds the AI route {@code /NAME} with its prefix stripped, and returns its policy list. */
    private static ArrayNode policies(Configs config, String name) {
        ObjectNode route = config.aiRoute(name, "/" + name);
        route.put("stripPrefix", true);
        return route.putArray("policies");
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
    }

    private static OpenAIClient client(String route, int maxRetries) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/" + route + "/v1").apiKey("alice")
                .maxRetries(maxRetries).build();
    }

    private static void chat(OpenAIClient client) {
        client.chat().completions().create(ChatCompletionCreateParams.builder().model("openai/gpt-4o")
                .maxCompletionTokens(100).addUserMessage("Hi").build());
    }

    private static HttpResponse<String> openAiPost(String route) {
        return AiTestClient.post(node.url() + "/" + route + "/v1/chat/completions", CHAT,
                "Authorization", "Bearer alice");
    }

    private static HttpResponse<String> anthropicPost(String route) {
        return AiTestClient.post(node.url() + "/" + route + "/v1/messages", CHAT, "x-api-key", "alice",
                "anthropic-version", "2023-06-01");
    }

    /** Checks that an OpenAI client got a rate limit that waiting lifts, without {@code x-should-retry}. */
    private static void assertRateLimit(HttpResponse<String> response) {
        JsonNode error = AiTestClient.json(response).path("error");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
        assertThat(error.path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.path("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(response.headers().firstValue("x-should-retry")).isEmpty();
    }

    /** Checks that an Anthropic client got Anthropic's rate limit error. */
    private static void assertAnthropicRateLimit(HttpResponse<String> response) {
        JsonNode body = AiTestClient.json(response);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(429);
        assertThat(body.path("type").asText()).isEqualTo("error");
        assertThat(body.path("error").path("type").asText()).isEqualTo("rate_limit_error");
    }

    @Test
    void rateLimitIsRateLimitExceeded() {
        assertThat(openAiPost("rate").statusCode()).isEqualTo(200);

        HttpResponse<String> raw = openAiPost("rate");
        HttpResponse<String> anthropic = anthropicPost("rate");

        assertRateLimit(raw);
        assertThat(raw.headers().firstValue("retry-after")).isPresent();
        assertThat(AiTestClient.json(raw).at("/error/message").asText()).contains("'per-hour'");
        assertAnthropicRateLimit(anthropic);
        assertThat(anthropic.headers().firstValue("retry-after")).isPresent();
        assertThatThrownBy(() -> chat(client("rate", 0))).isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(429);
            assertThat(e.type()).hasValue("rate_limit_error");
            assertThat(e.code()).hasValue("rate_limit_exceeded");
            assertThat(e.headers().values("retry-after")).hasSize(1);
        });
    }

    @Test
    void concurrencyLimitIsRateLimitExceeded() throws Exception {
        int before = openAi.received().size();
        // The provider delays its next response by two seconds, so that request keeps the route's only slot.
        openAi.fail(MockServer.Fault.SLOW);
        CompletableFuture<HttpResponse<String>> holding = CompletableFuture.supplyAsync(
                () -> openAiPost("concurrency"));
        Conditions.eventually("the first request reaches the provider", () -> openAi.received().size() > before);

        HttpResponse<String> raw = openAiPost("concurrency");
        HttpResponse<String> anthropic = anthropicPost("concurrency");
        Throwable sdk = null;
        try {
            chat(client("concurrency", 0));
        } catch (RuntimeException e) {
            sdk = e;
        }

        assertRateLimit(raw);
        assertThat(raw.headers().firstValue("retry-after")).hasValue("1");
        assertAnthropicRateLimit(anthropic);
        assertThat(anthropic.headers().firstValue("retry-after")).hasValue("1");
        assertThat(sdk).isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.type()).hasValue("rate_limit_error");
            assertThat(e.code()).hasValue("rate_limit_exceeded");
        });
        assertThat(holding.get().statusCode()).isEqualTo(200);
    }

    @Test
    void tokenLimitPerMinuteIsRateLimitExceeded() {
        HttpResponse<String> raw = openAiPost("tokens");
        // A minute boundary between two requests admits the second, but not also a third within that minute.
        for (int i = 0; i < 3 && raw.statusCode() == 200; i++) {
            raw = openAiPost("tokens");
        }
        HttpResponse<String> anthropic = anthropicPost("tokens");

        assertRateLimit(raw);
        assertThat(raw.headers().firstValue("retry-after")).isPresent();
        assertThat(AiTestClient.json(raw).at("/error/message").asText()).contains("requests per minute");
        assertAnthropicRateLimit(anthropic);
    }

    @Test
    void oversizedRequestHasNoRetryAfter() {
        HttpResponse<String> raw = openAiPost("large");
        HttpResponse<String> anthropic = anthropicPost("large");

        assertRateLimit(raw);
        assertThat(raw.headers().firstValue("retry-after")).isEmpty();
        assertAnthropicRateLimit(anthropic);
    }

    @Test
    void quotaIsInsufficientQuota() {
        HttpResponse<String> raw = openAiPost("quota");
        HttpResponse<String> anthropic = anthropicPost("quota");

        JsonNode error = AiTestClient.json(raw).path("error");
        assertThat(raw.statusCode()).as(raw.body()).isEqualTo(429);
        assertThat(error.path("type").asText()).isEqualTo("insufficient_quota");
        assertThat(error.path("code").asText()).isEqualTo("insufficient_quota");
        assertThat(error.path("message").asText()).contains("quota of 0 calls");
        assertThat(raw.headers().firstValue("retry-after")).isPresent();
        assertThat(raw.headers().firstValue("x-should-retry")).hasValue("false");
        assertAnthropicRateLimit(anthropic);
        assertThat(anthropic.headers().firstValue("retry-after")).isPresent();
        assertThat(anthropic.headers().firstValue("x-should-retry")).hasValue("false");
    }

    @Test
    void quotaIsNotRetriedBySdk() {
        int before = CountingPolicyFactory.count("limit-shape-quota");

        assertThatThrownBy(() -> chat(client("quota", 2))).isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.type()).hasValue("insufficient_quota");
            assertThat(e.code()).hasValue("insufficient_quota");
        });

        assertThat(CountingPolicyFactory.count("limit-shape-quota")).isEqualTo(before + 1);
    }

    @Test
    void spentBudgetIsInsufficientQuota() {
        HttpResponse<String> anthropic = anthropicPost("budget");

        assertThatThrownBy(() -> chat(client("budget", 0))).isInstanceOfSatisfying(RateLimitException.class, e -> {
            assertThat(e.statusCode()).isEqualTo(429);
            assertThat(e.type()).hasValue("insufficient_quota");
            assertThat(e.code()).hasValue("insufficient_quota");
            assertThat(e.getMessage()).contains("budget of 0 USD of consumer 'alice' is spent");
            assertThat(e.headers().values("retry-after")).hasSize(1);
            assertThat(e.headers().values("x-should-retry")).containsExactly("false");
        });
        assertAnthropicRateLimit(anthropic);
        assertThat(anthropic.headers().firstValue("x-should-retry")).hasValue("false");
    }

    @Test
    void restRouteKeepsProblemDocument() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/rest/anything", "{}");

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/problem+json");
        assertThat(response.headers().firstValue("x-should-retry")).isEmpty();
        assertThat(AiTestClient.json(response).path("type").asText())
                .isEqualTo("https://portico.dev/problems/quota-exceeded");
    }
}

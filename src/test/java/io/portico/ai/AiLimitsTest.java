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
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The token-limit and budget policies on a real node, driven by the official OpenAI Java SDK against the OpenAI
 * mock. The mock counts provider calls, which proves that a rejected request never reached it.
 */
class AiLimitsTest {

    private static OpenAiMock openAi;
    private static TestNode node;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", "sk-alpha");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.model("smart", "fallback", "alpha/gpt-4o");
        config.resource("teams", "ml");
        for (String consumer : new String[] {"ann", "bob", "cid", "dan"}) {
            config.resource("consumers", consumer).put("team", "ml");
        }
        ArrayNode requests = route(config, "requests");
        requests.addObject().put("name", "token-limit").putObject("config").putArray("limits").addObject()
                .put("by", "consumer").put("requestsPerMinute", 2);
        ArrayNode tokens = route(config, "tokens");
        tokens.addObject().put("name", "token-limit").putObject("config").putArray("limits").addObject()
                .put("by", "model").put("tokensPerMinute", 100);
        ArrayNode budget = route(config, "budget");
        ObjectNode consumerBudget = budget.addObject().put("name", "budget").putObject("config")
                .putArray("budgets").addObject();
        consumerBudget.put("by", "consumer").put("amount", 0.00001).put("period", "month").put("alertThreshold", 0.5);
        node.apply(config.build());
    }

    private static ArrayNode route(Configs config, String name) {
        ObjectNode route = config.aiRoute(name, "/" + name);
        route.put("stripPrefix", true);
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "header-auth").putObject("config").putArray("headers").add("Authorization");
        return policies;
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
    }

    @BeforeEach
    void clear() {
        openAi.received().clear();
    }

    private static OpenAIClient client(String route, String consumer) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/" + route + "/v1").apiKey(consumer)
                .maxRetries(0).build();
    }

    private static ChatCompletionCreateParams ask(long maxTokens) {
        return ChatCompletionCreateParams.builder().model("smart").addUserMessage("How many tokens?")
                .maxCompletionTokens(maxTokens).build();
    }

    @Test
    void requestsPerMinuteRejectsThirdRequest() {
        OpenAIClient ann = client("requests", "ann");
        ann.chat().completions().create(ask(16));
        ann.chat().completions().create(ask(16));

        assertThatThrownBy(() -> ann.chat().completions().create(ask(16)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(429);
                    assertThat(e.getMessage()).contains("2 requests per minute").contains("consumer 'ann'");
                    assertThat(e.headers().values("retry-after")).hasSize(1);
                });
        assertThat(openAi.received()).hasSize(2);
        client("requests", "bob").chat().completions().create(ask(16));
        assertThat(openAi.received()).hasSize(3);
    }

    @Test
    void estimateOverTokenLimitIsRejectedBeforeProvider() {
        assertThatThrownBy(() -> client("tokens", "cid").chat().completions().create(ask(200)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.getMessage()).contains("100 tokens per minute").contains("model 'smart'")
                            .contains("lower max_tokens");
                    assertThat(e.headers().values("Retry-After")).as("waiting does not help").isEmpty();
                });

        assertThat(openAi.received()).isEmpty();
    }

    @Test
    void realUsageReplacesEstimate() {
        OpenAIClient cid = client("tokens", "cid");
        // Each estimate is about 60 tokens, so the second request fits only once the first one's real usage
        // (12 input tokens and a few output tokens from the mock) has replaced its estimate.
        cid.chat().completions().create(ask(45));
        cid.chat().completions().create(ask(45));

        assertThat(openAi.received()).hasSize(2);
    }

    @Test
    void spentBudgetRejectsNextRequest() {
        OpenAIClient dan = client("budget", "dan");
        dan.chat().completions().create(ask(16));

        assertThatThrownBy(() -> dan.chat().completions().create(ask(16)))
                .isInstanceOfSatisfying(RateLimitException.class, e -> assertThat(e.getMessage())
                        .contains("month budget of 0.00001 USD of consumer 'dan' is spent"));
        assertThat(openAi.received()).hasSize(1);
        JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=dan", null, 200).path("budgets");
        assertThat(budgets).hasSize(1);
        assertThat(budgets.get(0).path("scope").asText()).isEqualTo("consumer:month");
        assertThat(budgets.get(0).path("exhausted").asBoolean()).isTrue();
        assertThat(budgets.get(0).path("alerted").asBoolean()).isTrue();
        assertThat(budgets.get(0).path("spentUsd").decimalValue()).isPositive();
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.errors.RateLimitException;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import io.portico.ai.mock.MockServer;
import io.portico.ai.mock.OpenAiMock;
import io.portico.policy.budget.BudgetPolicy;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budgets of provider keys on a real node, against OpenAI mocks that accept several keys. A request costs more than
 * a budget of {@link #TINY} USD, so one request spends it. Each test uses providers and mocks of its own, because
 * spend stays counted for the rest of the day.
 */
class AiKeyBudgetTest {

    private static final String TINY = "0.00001";

    private static OpenAiMock solo;
    private static OpenAiMock pair;
    private static OpenAiMock backup;
    private static OpenAiMock shared;
    private static TestNode node;

    @BeforeAll
    static void start() {
        solo = new OpenAiMock("solo", List.of("sk-solo-1", "sk-solo-2"));
        pair = new OpenAiMock("pair", List.of("sk-pair-1", "sk-pair-2"));
        backup = new OpenAiMock("backup", "sk-backup");
        shared = new OpenAiMock("shared", "sk-shared");
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode soloProvider = config.provider("solo", "openai", solo.baseUrl(), "sk-solo-1", "sk-solo-2");
        ((ObjectNode) soloProvider.get("keys").get(0)).put("label", "primary");
        config.provider("pair", "openai", pair.baseUrl(), "sk-pair-1", "sk-pair-2");
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.provider("shared", "openai", shared.baseUrl(), "sk-shared");
        config.model("solo-model", "fallback", "solo/gpt-4o");
        config.model("pair-model", "fallback", "pair/gpt-4o");
        config.model("pair-or-backup", "fallback", "pair/gpt-4o", "backup/gpt-4o");

        ObjectNode oneKey = budgets(config, "one-key").addObject().put("by", "key").put("key", "solo/primary")
                .put("period", "day").put("alertThreshold", 0.5);
        oneKey.put("amount", Double.parseDouble(TINY));
        budgets(config, "every-key").addObject().put("by", "key").put("period", "day")
                .put("amount", Double.parseDouble(TINY));
        ArrayNode overlapping = budgets(config, "overlapping");
        overlapping.addObject().put("by", "key").put("period", "day").put("amount", 1000);
        overlapping.addObject().put("by", "key").put("key", "shared/#1").put("period", "day").put("amount", 1000);
        node.apply(config.build());
    }

    private static ArrayNode budgets(Configs config, String route) {
        ObjectNode ai = config.aiRoute(route, "/" + route);
        ai.put("stripPrefix", true);
        return (ArrayNode) ai.putArray("policies").addObject().put("name", "budget").putObject("config")
                .putArray("budgets");
    }

    @AfterAll
    static void stop() {
        node.close();
        solo.close();
        pair.close();
        backup.close();
        shared.close();
    }

    private static OpenAIClient client(String route) {
        return OpenAIOkHttpClient.builder().baseUrl(node.url() + "/" + route + "/v1").apiKey("client")
                .maxRetries(0).build();
    }

    private static ChatCompletionCreateParams ask(String model) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage("Which key serves me?").build();
    }

    private static List<String> keysUsed(MockServer mock) {
        return mock.received().stream().map(received -> received.headers().get("authorization")).toList();
    }

    @Test
    void spentKeyIsSkippedAndAlertLoggedOnce() {
        OpenAIClient client = client("one-key");
        try (LogCapture log = new LogCapture(BudgetPolicy.class)) {
            client.chat().completions().create(ask("solo-model"));
            assertThat(keysUsed(solo)).containsExactly("Bearer sk-solo-1");

            for (int i = 0; i < 4; i++) {
                client.chat().completions().create(ask("solo-model"));
            }

            assertThat(keysUsed(solo)).hasSize(5);
            assertThat(keysUsed(solo).subList(1, 5)).containsOnly("Bearer sk-solo-2");
            assertThat(log.messages(Level.WARN)).hasSize(1);
            assertThat(log.messages(Level.WARN).get(0)).contains("day budget of key 'solo/primary'")
                    .contains("alert threshold of 0.5");
        }
        JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=solo/primary", null, 200).path("budgets");
        assertThat(budgets).hasSize(1);
        assertThat(budgets.get(0).path("scope").asText()).isEqualTo("key:day");
        assertThat(budgets.get(0).path("exhausted").asBoolean()).isTrue();
        assertThat(node.admin("GET", "/admin/v1/budgets?subject=solo/%232", null, 200).path("budgets")).isEmpty();
    }

    @Test
    void everyKeySpentFallsBackThenRejects() {
        OpenAIClient client = client("every-key");
        client.chat().completions().create(ask("pair-model"));
        client.chat().completions().create(ask("pair-model"));
        assertThat(keysUsed(pair)).containsExactlyInAnyOrder("Bearer sk-pair-1", "Bearer sk-pair-2");

        assertThatThrownBy(() -> client.chat().completions().create(ask("pair-model")))
                .isInstanceOfSatisfying(RateLimitException.class, e -> {
                    assertThat(e.statusCode()).isEqualTo(429);
                    assertThat(e.getMessage()).contains("no key of provider 'pair' may serve the request")
                            .contains("day budget of " + TINY + " USD of key 'pair/#");
                    assertThat(e.type()).hasValue("insufficient_quota");
                    assertThat(e.code()).hasValue("insufficient_quota");
                    assertThat(e.headers().values("retry-after")).hasSize(1);
                    assertThat(e.headers().values("x-should-retry")).containsExactly("false");
                });
        HttpResponse<String> anthropic = AiTestClient.post(node.url() + "/every-key/v1/messages",
                "{\"model\":\"pair-model\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}",
                "anthropic-version", "2023-06-01");
        assertThat(anthropic.statusCode()).isEqualTo(429);
        assertThat(AiTestClient.json(anthropic).path("type").asText()).isEqualTo("error");
        assertThat(AiTestClient.json(anthropic).path("error").path("type").asText()).isEqualTo("rate_limit_error");
        assertThat(anthropic.headers().firstValue("x-should-retry")).hasValue("false");
        assertThat(AiTestClient.json(anthropic).path("error").path("message").asText())
                .contains("no key of provider 'pair' may serve the request");
        assertThat(pair.received()).hasSize(2);

        client.chat().completions().create(ask("pair-or-backup"));

        assertThat(pair.received()).hasSize(2);
        assertThat(keysUsed(backup)).containsExactly("Bearer sk-backup");
    }

    @Test
    void overlappingBudgetsCountSpendOnce() {
        HttpResponse<String> response = AiTestClient.post(node.url() + "/overlapping/v1/chat/completions",
                "{\"model\":\"shared/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(response.statusCode()).isEqualTo(200);
        BigDecimal cost = new BigDecimal(response.headers().firstValue("x-portico-cost-usd").orElseThrow());
        assertThat(cost).isPositive();
        JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=shared/%231", null, 200).path("budgets");
        assertThat(budgets).hasSize(1);
        // Counters round each cost up to whole micro-USD.
        assertThat(budgets.get(0).path("spentUsd").decimalValue())
                .isEqualByComparingTo(cost.setScale(6, RoundingMode.CEILING));
    }

    @Test
    void keyFieldIsValidated() {
        Configs config = Configs.document();
        budgets(config, "invalid").addObject().put("by", "consumer").put("key", "solo/primary").put("amount", 1);
        budgets(config, "unnamed").addObject().put("by", "key").put("key", "primary").put("amount", 1);

        JsonNode problem = node.admin("POST", "/admin/v1/config/diff", config.build(), 400);

        assertThat(problem.toString()).contains("applies to budgets by key only")
                .contains("must name a provider key as provider/label");
    }
}

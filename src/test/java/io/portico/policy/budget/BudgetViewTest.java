package io.portico.policy.budget;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What the admin API, the gauges and the alert log show of budgets on a real node, across configuration changes.
 * Spend stays counted for the rest of the day, so each test uses consumers of its own.
 */
class BudgetViewTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static OpenAiMock openAi;
    private static TestNode node;
    /** The cost of one request to the mock, in USD. */
    private static BigDecimal cost;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", List.of("sk-alpha-1", "sk-alpha-2"));
        node = TestNode.start(Map.of("metrics.port", "0"));
        node.apply(config(routes -> routes.aiRoute("free", "/free").put("stripPrefix", true)));
        HttpResponse<String> free = chat("/free", "anonymous");
        assertThat(free.statusCode()).isEqualTo(200);
        cost = new BigDecimal(free.headers().firstValue("x-portico-cost-usd").orElseThrow());
        assertThat(cost).isPositive();
    }

    @AfterAll
    static void stop() {
        node.close();
        openAi.close();
    }

    @Test
    void roundAmountsPrintPlain() {
        node.apply(config(routes -> budgets(routes, "round").addObject().put("by", "consumer")
                .put("amount", 10).put("period", "day")));

        assertThat(chat("/round", "rob").statusCode()).isEqualTo(200);

        HttpResponse<String> raw = node.adminRaw("GET", "/admin/v1/budgets?subject=rob", null);
        assertThat(raw.body()).contains("\"budgetUsd\":10,").doesNotContain("E+");
    }

    @Test
    void alertFollowsChangedAmount() {
        try (LogCapture log = new LogCapture(BudgetPolicy.class)) {
            node.apply(alerting(cost.multiply(BigDecimal.valueOf(3))));
            assertThat(chat("/alerts", "ada").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).isEmpty();
            assertThat(chat("/alerts", "ada").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("consumer 'ada'");
            awaitLine("portico_budget_alert" + tags("consumer", "ada", "UTC") + " 1.0");

            // Raising the amount to 10 requests puts the spend of 2 below the new threshold of 5.
            BigDecimal raised = cost.multiply(BigDecimal.valueOf(10));
            node.apply(alerting(raised));
            JsonNode budget = onlyBudget("ada");
            assertThat(budget.path("budgetUsd").decimalValue()).isEqualByComparingTo(raised);
            assertThat(budget.path("alerted").asBoolean()).isFalse();
            awaitLine("portico_budget_alert" + tags("consumer", "ada", "UTC") + " 0.0");

            for (int i = 0; i < 2; i++) {
                assertThat(chat("/alerts", "ada").statusCode()).isEqualTo(200);
            }
            assertThat(log.messages(Level.WARN)).hasSize(1);
            assertThat(chat("/alerts", "ada").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).hasSize(2);
            assertThat(log.messages(Level.WARN).get(1)).contains(raised.stripTrailingZeros().toPlainString() + " USD");
            assertThat(onlyBudget("ada").path("alerted").asBoolean()).isTrue();
            awaitLine("portico_budget_alert" + tags("consumer", "ada", "UTC") + " 1.0");
        }
    }

    @Test
    void removedBudgetsLeaveViewAndGauges() {
        node.apply(config(routes -> {
            ArrayNode budgets = budgets(routes, "keyed");
            budgets.addObject().put("by", "key").put("period", "day").put("amount", 1000);
            budgets.addObject().put("by", "consumer").put("period", "day").put("amount", 1000);
        }));
        assertThat(chat("/keyed", "kim").statusCode()).isEqualTo(200);
        Conditions.eventually("the key's spend is counted", () -> keyBudgets().size() == 1);
        String key = keyBudgets().get(0).path("subject").asText();
        awaitLine("portico_budget_limit" + tags("key", key, "UTC") + " 1000.0");

        node.apply(config(routes -> budgets(routes, "keyed").addObject().put("by", "consumer")
                .put("period", "day").put("amount", 5)));

        assertThat(keyBudgets()).isEmpty();
        assertThat(onlyBudget("kim").path("budgetUsd").decimalValue()).isEqualByComparingTo("5");
        assertThat(lines(scrape())).noneMatch(line -> line.contains("by=\"key\""))
                .contains("portico_budget_limit" + tags("consumer", "kim", "UTC") + " 5.0");
    }

    /** Returns the budgets by key that the admin API lists. */
    private static List<JsonNode> keyBudgets() {
        List<JsonNode> keys = new ArrayList<>();
        for (JsonNode budget : node.admin("GET", "/admin/v1/budgets", null, 200).path("budgets")) {
            if (budget.path("scope").asText().startsWith("key:")) {
                keys.add(budget);
            }
        }
        return keys;
    }

    @Test
    void timeZonesKeepSeparateCounters() {
        node.apply(config(routes -> {
            budgets(routes, "utc").addObject().put("by", "consumer").put("period", "day").put("amount", 1000);
            // Kiritimati is 14 hours ahead of UTC, so its days never start at the same instant as UTC days.
            ObjectNode kiritimati = policyConfig(routes, "kiritimati").put("timeZone", "Pacific/Kiritimati");
            kiritimati.putArray("budgets").addObject().put("by", "consumer").put("period", "day").put("amount", 2000);
        }));

        assertThat(chat("/utc", "zed").statusCode()).isEqualTo(200);
        assertThat(chat("/kiritimati", "zed").statusCode()).isEqualTo(200);

        assertThat(budgetsOf("zed")).extracting(budget -> budget.path("scope").asText())
                .containsExactlyInAnyOrder("consumer:day", "consumer:day:Pacific/Kiritimati");
        awaitLine("portico_budget_limit" + tags("consumer", "zed", "UTC") + " 1000.0");
        awaitLine("portico_budget_limit" + tags("consumer", "zed", "Pacific/Kiritimati") + " 2000.0");
    }

    @Test
    void rejectionsCountWhatWasSpent() {
        node.apply(config(routes -> {
            budgets(routes, "no-consumer").addObject().put("by", "consumer").put("period", "day").put("amount", 0);
            budgets(routes, "no-key").addObject().put("by", "key").put("period", "day").put("amount", 0);
        }));

        HttpResponse<String> consumer = chat("/no-consumer", "rex");
        HttpResponse<String> key = chat("/no-key", "rex");

        assertThat(consumer.statusCode()).isEqualTo(429);
        assertThat(key.statusCode()).isEqualTo(429);
        assertThat(key.body()).contains("insufficient_quota");
        awaitLine("portico_budget_rejections_total{by=\"consumer\",route=\"no-consumer\"} 1.0");
        awaitLine("portico_budget_rejections_total{by=\"key\",route=\"no-key\"} 1.0");
    }

    private static ObjectNode alerting(BigDecimal amount) {
        return config(routes -> budgets(routes, "alerts").addObject().put("by", "consumer").put("period", "day")
                .put("amount", amount).put("alertThreshold", 0.5));
    }

    /** Returns a document with the provider, and the AI routes that {@code routes} adds. */
    private static ObjectNode config(Consumer<Configs> routes) {
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha-1", "sk-alpha-2");
        config.resource("teams", "crew");
        for (String consumer : List.of("rob", "ada", "kim", "zed", "rex")) {
            config.resource("consumers", consumer).put("team", "crew");
        }
        routes.accept(config);
        return config.build();
    }

    /** Adds the AI route {@code /NAME} with a budget policy and returns its empty list of budgets. */
    private static ArrayNode budgets(Configs config, String route) {
        return policyConfig(config, route).putArray("budgets");
    }

    /** Adds the AI route {@code /NAME} with a budget policy and returns the policy's empty configuration. */
    private static ObjectNode policyConfig(Configs config, String route) {
        ObjectNode ai = config.aiRoute(route, "/" + route);
        ai.put("stripPrefix", true);
        ArrayNode policies = ai.putArray("policies");
        policies.addObject().put("name", "header-auth");
        return policies.addObject().put("name", "budget").putObject("config");
    }

    private static String tags(String by, String subject, String zone) {
        return "{by=\"" + by + "\",period=\"day\",subject=\"" + subject + "\",time_zone=\"" + zone + "\"}";
    }

    private static JsonNode budgetsOf(String subject) {
        return node.admin("GET", "/admin/v1/budgets?subject=" + subject, null, 200).path("budgets");
    }

    private static JsonNode onlyBudget(String subject) {
        JsonNode budgets = budgetsOf(subject);
        assertThat(budgets).hasSize(1);
        return budgets.get(0);
    }

    private static void awaitLine(String line) {
        Conditions.eventually("the scrape contains " + line, () -> lines(scrape()).contains(line));
    }

    private static List<String> lines(String scrape) {
        return Arrays.asList(scrape.split("\n"));
    }

    private static String scrape() {
        URI uri = URI.create("http://127.0.0.1:" + node.portico().metricsPort() + "/metrics");
        try {
            return CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException("GET " + uri + " failed", e);
        }
    }

    private static HttpResponse<String> chat(String route, String consumer) {
        String body = "{\"model\":\"alpha/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Who pays?\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + route + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .header("X-Test-Consumer", consumer).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException("POST " + request.uri() + " failed", e);
        }
    }
}

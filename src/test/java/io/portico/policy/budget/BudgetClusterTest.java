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
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Budgets of consumers, teams and provider keys on two real nodes sharing one PostgreSQL store, and across a restart.
 * Every request costs more than each budget, so one request spends every budget it counts on.
 */
class BudgetClusterTest {

    private static final double TINY = 0.00001;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static EmbeddedPostgres postgres;
    private static OpenAiMock openAi;
    private static Map<String, String> store;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        openAi = new OpenAiMock("alpha", List.of("sk-alpha-1", "sk-alpha-2"));
        store = Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres");
    }

    @AfterAll
    static void stop() throws Exception {
        openAi.close();
        postgres.close();
    }

    private static ObjectNode config() {
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha-1", "sk-alpha-2");
        config.resource("teams", "payments");
        for (String consumer : List.of("alice", "bob", "carol")) {
            config.resource("consumers", consumer).put("team", "payments");
        }
        ArrayNode people = budgets(config, "people");
        people.addObject().put("by", "consumer").put("amount", TINY).put("period", "month");
        people.addObject().put("by", "team").put("amount", TINY).put("period", "month");
        budgets(config, "keys").addObject().put("by", "key").put("key", "alpha/#1").put("amount", TINY)
                .put("period", "day");
        // The alert threshold, 10 micro-USD, is passed by one request, but the budget is not spent.
        budgets(config, "alerts").addObject().put("by", "team").put("amount", 1).put("period", "day")
                .put("alertThreshold", 0.00001);
        return config.build();
    }

    private static ArrayNode budgets(Configs config, String route) {
        ObjectNode ai = config.aiRoute(route, "/" + route);
        ai.put("stripPrefix", true);
        ArrayNode policies = ai.putArray("policies");
        policies.addObject().put("name", "header-auth");
        return policies.addObject().put("name", "budget").putObject("config").putArray("budgets");
    }

    @Test
    void nodesShareBudgetsAndTheySurviveRestart() {
        try (LogCapture log = new LogCapture(BudgetPolicy.class)) {
            nodesShareBudgets(log);
            budgetsSurviveRestart(log);
        }
    }

    private void nodesShareBudgets(LogCapture log) {
        TestNode first = TestNode.start(store);
        TestNode second = TestNode.start(store);
        try {
            first.apply(config());
            // An unknown consumer gets 401 once the route exists, and reaches no provider.
            Conditions.eventually("the second node serves the routes",
                    () -> chat(second, "/keys", "nobody").statusCode() == 401);

            assertThat(chat(first, "/keys", "alice").statusCode()).isEqualTo(200);
            assertThat(chat(first, "/people", "alice").statusCode()).isEqualTo(200);
            assertThat(openAi.received()).hasSize(2);
            assertThat(openAi.received().get(0).headers().get("authorization")).isEqualTo("Bearer sk-alpha-1");
            assertThat(chat(first, "/alerts", "carol").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).singleElement().asString()
                    .contains("day budget of team 'payments' passed its alert threshold");
            Conditions.eventually("the second node reads the first node's spend",
                    () -> spent(second, "alice", "consumer:month") > 0 && spent(second, "payments", "team:month") > 0
                            && spent(second, "alpha/#1", "key:day") > 0 && spent(second, "payments", "team:day") > 0);

            HttpResponse<String> consumerSpent = chat(second, "/people", "alice");
            HttpResponse<String> teamSpent = chat(second, "/people", "bob");
            openAi.received().clear();
            HttpResponse<String> otherKey = chat(second, "/keys", "bob");

            assertThat(consumerSpent.statusCode()).isEqualTo(429);
            assertThat(consumerSpent.body()).contains("insufficient_quota").contains("of consumer 'alice' is spent");
            assertThat(teamSpent.statusCode()).isEqualTo(429);
            assertThat(teamSpent.body()).contains("of team 'payments' is spent");
            assertThat(otherKey.statusCode()).isEqualTo(200);
            assertThat(openAi.received()).singleElement()
                    .satisfies(received -> assertThat(received.headers().get("authorization"))
                            .isEqualTo("Bearer sk-alpha-2"));
            assertThat(chat(second, "/alerts", "carol").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).hasSize(1);
        } finally {
            second.close();
            first.close();
        }
    }

    private void budgetsSurviveRestart(LogCapture log) {
        try (TestNode restarted = TestNode.start(store)) {
            Conditions.eventually("the restarted node serves the routes",
                    () -> chat(restarted, "/keys", "nobody").statusCode() == 401);
            openAi.received().clear();

            assertThat(chat(restarted, "/people", "carol").statusCode()).isEqualTo(429);
            assertThat(chat(restarted, "/keys", "carol").statusCode()).isEqualTo(200);
            assertThat(chat(restarted, "/keys", "carol").statusCode()).isEqualTo(200);
            assertThat(openAi.received()).extracting(received -> received.headers().get("authorization"))
                    .containsOnly("Bearer sk-alpha-2");
            JsonNode budgets = restarted.admin("GET", "/admin/v1/budgets?subject=alice", null, 200).path("budgets");
            assertThat(budgets).hasSize(1);
            assertThat(budgets.get(0).path("scope").asText()).isEqualTo("consumer:month");
            assertThat(budgets.get(0).path("spentUsd").decimalValue()).isPositive();
            assertThat(chat(restarted, "/alerts", "carol").statusCode()).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).hasSize(1);
        }
    }

    /**
     * Returns the spend of {@code subject} on the counter of {@code scope} that {@code node} counted or read from
     * the store, in USD, or 0.
     */
    private static double spent(TestNode node, String subject, String scope) {
        JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=" + subject.replace("#", "%23"), null, 200)
                .path("budgets");
        for (JsonNode budget : budgets) {
            if (budget.path("scope").asText().equals(scope)) {
                return budget.path("spentUsd").asDouble();
            }
        }
        return 0;
    }

    private static HttpResponse<String> chat(TestNode node, String route, String consumer) {
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

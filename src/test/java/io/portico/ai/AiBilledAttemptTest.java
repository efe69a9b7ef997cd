package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.time.LocalTime;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A failed attempt whose provider response reported usage, through a real node. A Gemini-format provider on
 * loopback ends every response with finish reason MALFORMED_FUNCTION_CALL and reports 9 input and 3 output tokens.
 * The virtual model falls back to an OpenAI mock, which reports 12 input and 5 output tokens. The access log, the
 * metrics, a key budget and a token limit count both calls, while the usage headers describe the call that served
 * the response.
 */
class AiBilledAttemptTest {

    private static final String USAGE = "\"usageMetadata\":{\"promptTokenCount\":9,\"candidatesTokenCount\":3,"
            + "\"totalTokenCount\":12}";
    private static final String MALFORMED = "{\"candidates\":[{\"finishReason\":\"MALFORMED_FUNCTION_CALL\","
            + "\"finishMessage\":\"Malformed function call: print(x\",\"index\":0}],\"responseId\":\"r1\"," + USAGE
            + "}";

    /**
     * The token limit of the route {@code limited}. A request with {@code max_tokens: 100} and a short prompt is
     * estimated at a little over 100 tokens, so one such request fits, but not a second one once the first counted
     * the 9 + 3 tokens of its failed attempt and the 12 + 5 of its fallback.
     */
    private static final int TOKENS_PER_MINUTE = 125;

    private static Vertx vertx;
    private static HttpServer gemini;
    private static OpenAiMock backup;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        // The test logging configuration turns the access log off; this node writes it.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        vertx = Vertx.vertx();
        gemini = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            if (request.path().endsWith(":streamGenerateContent")) {
                request.response().setChunked(true).putHeader("content-type", "text/event-stream")
                        .end("data: " + MALFORMED + "\n\n");
            } else {
                request.response().putHeader("content-type", "application/json").end(MALFORMED);
            }
        })).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        backup = new OpenAiMock("backup", "sk-backup");
        node = TestNode.start(Map.of("metrics.port", "0"));

        Configs config = Configs.document();
        config.provider("gemini", "gemini", "http://127.0.0.1:" + gemini.actualPort(), "sk-gemini")
                .putObject("retries").put("attempts", 1);
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");

        config.model("tools", "fallback", "gemini/gemini-2.5-flash", "backup/gpt-4o");
        config.model("tools-streamed", "fallback", "gemini/gemini-2.5-pro", "backup/gpt-4o");
        config.model("gemini-only", "fallback", "gemini/gemini-2.0-flash");
        config.model("tools-budgeted", "fallback", "gemini/gemini-2.5-flash-lite", "backup/gpt-4o");
        config.model("tools-limited", "fallback", "gemini/gemini-1.5-flash", "backup/gpt-4o");
        // Each test has a virtual model of its own, because a target that failed recently is tried last for a while,
        // and a route of its own, which its access-log lines name in their path.
        for (String name : new String[] {"billed", "streamed", "failed", "budget"}) {
            ObjectNode route = config.aiRoute(name, "/" + name);
            route.put("stripPrefix", true);
            route.putArray("policies").addObject().put("name", "budget").putObject("config").putArray("budgets")
                    .addObject().put("by", "key").put("key", "gemini/#1").put("period", "day").put("amount", 1000);
        }

        ObjectNode limited = config.aiRoute("limited", "/limited");
        limited.put("stripPrefix", true);
        limited.putArray("policies").addObject().put("name", "token-limit").putObject("config").putArray("limits")
                .addObject().put("by", "consumer").put("tokensPerMinute", TOKENS_PER_MINUTE);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() throws Exception {
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        backup.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    private static HttpResponse<String> chat(String route, String model, boolean stream) {
        String options = stream ? ",\"stream\":true,\"stream_options\":{\"include_usage\":true}" : "";
        return AiTestClient.post(node.url() + "/" + route + "/v1/chat/completions", "{\"model\":\"" + model
                + "\"" + options + ",\"messages\":[{\"role\":\"user\",\"content\":\"Look it up\"}]}");
    }

    @Test
    void fallbackLogsUsageOfBothCalls() {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = chat("billed", "tools", false);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.headers().firstValue("x-portico-provider")).hasValue("backup");
            assertThat(response.headers().firstValue("x-portico-input-tokens")).hasValue("12");
            assertThat(response.headers().firstValue("x-portico-output-tokens")).hasValue("5");
            String entry = awaitEntry(log, "billed");
            assertThat(entry).contains(" ai_provider=backup ").contains(" ai_model=gpt-4o ");
            assertThat(entry).contains(" ai_input_tokens=21 ").contains(" ai_output_tokens=8 ");
            assertThat(occurrences(entry, " ai_provider=")).isEqualTo(1);
            assertThat(occurrences(entry, " ai_cost_usd=")).isEqualTo(1);
            BigDecimal headerCost = new BigDecimal(response.headers().firstValue("x-portico-cost-usd").orElseThrow());
            assertThat(loggedCost(entry)).isGreaterThan(headerCost);
        }
        awaitScrape("portico_ai_tokens_total{kind=\"input\",model=\"gemini-2.5-flash\",provider=\"gemini\"} 9.0");
        awaitScrape("portico_ai_tokens_total{kind=\"output\",model=\"gemini-2.5-flash\",provider=\"gemini\"} 3.0");
        awaitScrape("portico_ai_requests_total{model=\"gemini-2.5-flash\",outcome=\"server_error\","
                + "provider=\"gemini\"} 1.0");
        assertThat(scrape()).doesNotContain(
                "portico_ai_requests_total{model=\"gemini-2.5-flash\",outcome=\"success\"");
    }

    @Test
    void streamFailedBeforeContentLogsUsage() {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = chat("streamed", "tools-streamed", true);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            assertThat(response.body()).contains("om backup").doesNotContain("invalid_tool_call");
            String entry = awaitEntry(log, "streamed");
            assertThat(entry).contains(" ai_provider=backup ");
            assertThat(entry).contains(" ai_input_tokens=21 ").contains(" ai_output_tokens=8 ");
        }
        awaitScrape("portico_ai_tokens_total{kind=\"input\",model=\"gemini-2.5-pro\",provider=\"gemini\"} 9.0");
        awaitScrape("portico_ai_requests_total{model=\"gemini-2.5-pro\",outcome=\"server_error\","
                + "provider=\"gemini\"} 1.0");
    }

    @Test
    void lastFailedAttemptKeepsItsUsage() {
        try (LogCapture log = new LogCapture("portico.access")) {
            HttpResponse<String> response = chat("failed", "gemini-only", false);

            assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
            assertThat(AiTestClient.json(response).at("/error/code").asText()).isEqualTo("invalid_tool_call");
            assertThat(response.headers().firstValue("x-portico-input-tokens")).isEmpty();
            String entry = awaitEntry(log, "failed");
            assertThat(entry).contains(" ai_provider=gemini ").contains(" ai_model=gemini-2.0-flash ");
            assertThat(entry).contains(" ai_input_tokens=9 ").contains(" ai_output_tokens=3 ");
            assertThat(entry).contains(" ai_error=invalid_tool_call");
            assertThat(occurrences(entry, " ai_provider=")).isEqualTo(1);
            assertThat(occurrences(entry, " ai_model=")).isEqualTo(1);
        }
    }

    @Test
    void keyBudgetCountsFailedAttempt() {
        JsonNode before = node.admin("GET", "/admin/v1/budgets?subject=gemini/%231", null, 200).path("budgets");
        BigDecimal spentBefore = before.isEmpty() ? BigDecimal.ZERO : before.get(0).path("spentUsd").decimalValue();

        assertThat(chat("budget", "tools-budgeted", false).statusCode()).isEqualTo(200);

        Conditions.eventually("the budget counts the failed attempt", () -> {
            JsonNode budgets = node.admin("GET", "/admin/v1/budgets?subject=gemini/%231", null, 200)
                    .path("budgets");
            return !budgets.isEmpty() && budgets.get(0).path("spentUsd").decimalValue().compareTo(spentBefore) > 0;
        });
    }

    @Test
    void tokenLimitCountsFailedAttempt() throws Exception {
        // Both requests must fall into one minute of the limit's clock.
        if (LocalTime.now().getSecond() >= 55) {
            Thread.sleep((61 - LocalTime.now().getSecond()) * 1000L);
        }
        String body = "{\"model\":\"tools-limited\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Look it up\"}]}";

        HttpResponse<String> first = AiTestClient.post(node.url() + "/limited/v1/chat/completions", body);
        HttpResponse<String> second = AiTestClient.post(node.url() + "/limited/v1/chat/completions", body);

        assertThat(first.statusCode()).as(first.body()).isEqualTo(200);
        assertThat(second.statusCode()).as(second.body()).isEqualTo(429);
        assertThat(AiTestClient.json(second).at("/error/message").asText())
                .contains(TOKENS_PER_MINUTE + " tokens per minute");
    }

    /** Returns the access-log line of the request sent through {@code route}, once it is written. */
    private static String awaitEntry(LogCapture log, String route) {
        String path = "path=/" + route + "/v1/chat/completions ";
        Conditions.eventually("the access log has the request", () -> entry(log, path) != null);
        return entry(log, path);
    }

    private static String entry(LogCapture log, String path) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains(path)).findFirst().orElse(null);
    }

    private static void awaitScrape(String line) {
        Conditions.eventually("the scrape contains " + line, () -> scrape().contains(line));
    }

    private static String scrape() {
        return node.adminRaw("GET", "/metrics", null).body();
    }

    private static int occurrences(String text, String part) {
        return text.split(Pattern.quote(part), -1).length - 1;
    }

    private static BigDecimal loggedCost(String entry) {
        Matcher cost = Pattern.compile(" ai_cost_usd=([0-9.]+)").matcher(entry);
        assertThat(cost.find()).as("ai_cost_usd is logged").isTrue();
        return new BigDecimal(cost.group(1));
    }
}

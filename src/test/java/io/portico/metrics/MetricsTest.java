package io.portico.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metrics of a real node, scraped over HTTP from the admin listener and from the separate metrics listener.
 * The node serves a REST route with an upstream, AI routes against the OpenAI mock and an unreachable provider, a
 * rate-limited route, a route whose upstream's circuit breaker opens, and a cached route. Each test sends its own
 * traffic on its own routes, so the counts it asserts do not depend on the order the tests run in.
 */
class MetricsTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestUpstream app;
    private static TestUpstream other;
    private static TestUpstream broken;
    private static OpenAiMock openAi;
    private static TestNode node;
    private static String teamViewerToken;
    private static String viewerToken;

    @BeforeAll
    static void start() {
        app = TestUpstream.start("app");
        other = TestUpstream.start("other");
        broken = TestUpstream.start("broken");
        broken.respondWith(503);
        openAi = new OpenAiMock("alpha", "sk-alpha");
        node = TestNode.start(Map.of("metrics.port", "0"));
        node.apply(configuration().build());
        ObjectNode teamViewer = Json.MAPPER.createObjectNode().put("name", "vera").put("role", "viewer")
                .put("team", "ml");
        node.admin("POST", "/admin/v1/users", teamViewer, 201);
        teamViewerToken = node.admin("POST", "/admin/v1/users/vera/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();
        ObjectNode viewer = Json.MAPPER.createObjectNode().put("name", "gil").put("role", "viewer");
        node.admin("POST", "/admin/v1/users", viewer, 201);
        viewerToken = node.admin("POST", "/admin/v1/users/gil/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();
    }

    private static Configs configuration() {
        Configs config = Configs.document();
        config.resource("teams", "ml");
        config.resource("consumers", "ann").put("team", "ml");
        config.resource("apis", "shop").put("subscriptionRequired", false);
        config.service("app", app.port());
        config.service("other", other.port());

        config.route("rest", "app", "/rest").put("stripPrefix", true).put("api", "shop");
        ObjectNode limited = config.route("limited", "other", "/limited").put("stripPrefix", true);
        limited.putArray("policies").addObject().put("name", "rate-limit").putObject("config").putArray("limits")
                .addObject().put("name", "per-minute").put("max", 1).put("window", "1m");

        ObjectNode cached = config.route("cached", "other", "/cached").put("stripPrefix", true);
        cached.putArray("policies").addObject().put("name", "cache").putObject("config").put("defaultTtl", "1m");

        ObjectNode service = config.service("broken", broken.port());
        service.putObject("circuitBreaker").put("minimumCalls", 2).put("failureRateThreshold", 50)
                .put("window", "1m").put("openDuration", "10m");
        service.putObject("retries").put("attempts", 1);
        config.route("broken", "broken", "/broken").put("stripPrefix", true);

        ObjectNode alpha = config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        alpha.putObject("circuitBreaker").put("minimumCalls", 10);
        // Not in the model catalog, so only this list makes it a model the metrics name.
        alpha.putArray("models").add("house-model");
        config.model("smart", "fallback", "alpha/gpt-4o");
        // Nothing listens on port 1 of the loopback address, so every call to this provider fails to connect.
        config.provider("beta", "openai", "http://127.0.0.1:1/v1", "sk-beta").putObject("retries")
                .put("attempts", 1);
        config.model("unreachable", "fallback", "beta/gpt-4o-mini");
        config.aiRoute("ai-down", "/ai-down").put("stripPrefix", true);
        config.aiRoute("ai-open", "/ai-open").put("stripPrefix", true);
        ObjectNode ai = config.aiRoute("ai", "/ai").put("stripPrefix", true);
        ArrayNode policies = ai.putArray("policies");
        policies.addObject().put("name", "header-auth").putObject("config").putArray("headers").add("Authorization");
        policies.addObject().put("name", "budget").putObject("config").putArray("budgets").addObject()
                .put("by", "consumer").put("amount", 0.00001).put("period", "month").put("alertThreshold", 0.5);
        return config;
    }

    @AfterAll
    static void stop() {
        node.close();
        app.close();
        other.close();
        broken.close();
        openAi.close();
    }

    @Test
    void restRouteCountsRequestsAndUpstream() throws Exception {
        send("GET", "/rest/echo/a", null, Map.of());
        send("GET", "/rest/echo/b", null, Map.of());
        send("POST", "/rest/echo/c", "hello", Map.of("Content-Type", "text/plain"));

        String target = "service=\"app\",target=\"127.0.0.1:" + app.port() + "\"";
        awaitLine("portico_requests_total{api=\"shop\",method=\"GET\",route=\"rest\",status=\"200\"} 2.0");
        List<String> lines = lines(adminScrape());
        assertThat(lines).contains(
                "portico_requests_total{api=\"shop\",method=\"POST\",route=\"rest\",status=\"200\"} 1.0",
                "portico_request_duration_seconds_count{api=\"shop\",route=\"rest\"} 3",
                "portico_request_duration_seconds_bucket{api=\"shop\",route=\"rest\",le=\"+Inf\"} 3",
                "portico_request_bytes_total{api=\"shop\",route=\"rest\"} 5.0",
                "portico_upstream_requests_total{outcome=\"2xx\"," + target + "} 3.0",
                "portico_upstream_duration_seconds_count{" + target + "} 3");
        assertThat(lines).anyMatch(line -> line.startsWith(
                "portico_request_duration_seconds_bucket{api=\"shop\",route=\"rest\",le=\"0.005\"} "));
        assertThat(value(lines, "portico_response_bytes_total{api=\"shop\",route=\"rest\"}")).isGreaterThan(100);
    }

    @Test
    void rateLimitRejectionIsCounted() throws Exception {
        assertThat(send("GET", "/limited/echo", null, Map.of()).statusCode()).isEqualTo(200);
        assertThat(send("GET", "/limited/echo", null, Map.of()).statusCode()).isEqualTo(429);

        awaitLine("portico_requests_total{api=\"\",method=\"GET\",route=\"limited\",status=\"429\"} 1.0");
        assertThat(lines(adminScrape())).contains(
                "portico_requests_total{api=\"\",method=\"GET\",route=\"limited\",status=\"200\"} 1.0",
                "portico_rate_limit_rejections_total{policy=\"rate-limit\",reason=\"limit\",route=\"limited\"} 1.0");
    }

    @Test
    void openCircuitBreakerIsReported() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThat(send("GET", "/broken/anything", null, Map.of()).statusCode()).isEqualTo(503);
        }

        String target = "service=\"broken\",target=\"127.0.0.1:" + broken.port() + "\"";
        awaitLine("portico_requests_total{api=\"\",method=\"GET\",route=\"broken\",status=\"503\"} 3.0");
        assertThat(lines(adminScrape())).contains(
                "portico_upstream_circuit_breaker_state{" + target + "} 2.0",
                "portico_upstream_circuit_breaker_transitions_total{" + target + "} 1.0",
                "portico_upstream_requests_total{outcome=\"5xx\"," + target + "} 2.0");
    }

    @Test
    void cacheOutcomesAreCounted() throws Exception {
        // The cache stores a response after sending it, so the first requests may all miss.
        int misses = 0;
        while (!cacheStatus(send("GET", "/cached/echo/x", null, Map.of())).contains("; hit")) {
            misses++;
            assertThat(misses).as("requests before the first cache hit").isLessThan(100);
        }

        awaitLine("portico_cache_requests_total{outcome=\"hit\",route=\"cached\"} 1.0");
        assertThat(lines(adminScrape())).contains(
                "portico_cache_requests_total{outcome=\"miss\",route=\"cached\"} " + (double) misses);
    }

    @Test
    void aiCallRecordsTokensCostAndBudget() throws Exception {
        String chat = "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}";
        Map<String, String> headers = Map.of("Authorization", "Bearer ann", "Content-Type", "application/json");
        assertThat(send("POST", "/ai/v1/chat/completions", chat, headers).statusCode()).isEqualTo(200);
        awaitLine("portico_budget_alert{by=\"consumer\",period=\"month\",subject=\"ann\",time_zone=\"UTC\"} 1.0");
        assertThat(send("POST", "/ai/v1/chat/completions", chat, headers).statusCode()).isEqualTo(429);

        String model = "model=\"gpt-4o\",provider=\"alpha\"";
        String budget = "{by=\"consumer\",period=\"month\",subject=\"ann\",time_zone=\"UTC\"}";
        awaitLine("portico_budget_rejections_total{by=\"consumer\",route=\"ai\"} 1.0");
        // The mock reports 12 input tokens, 2 of them cached, and 5 output tokens, 1 of them reasoning. At the
        // catalog's gpt-4o prices (2.50, 1.25 cached and 10 USD per million) that costs 77.5 micro-USD, which
        // the budget rounds up to whole micro-USD.
        assertThat(lines(adminScrape())).contains(
                "portico_ai_tokens_total{kind=\"input\"," + model + "} 12.0",
                "portico_ai_tokens_total{kind=\"cached\"," + model + "} 2.0",
                "portico_ai_tokens_total{kind=\"output\"," + model + "} 5.0",
                "portico_ai_tokens_total{kind=\"reasoning\"," + model + "} 1.0",
                "portico_ai_cost_usd_total{" + model + "} 7.75E-5",
                "portico_ai_requests_total{model=\"gpt-4o\",outcome=\"success\",provider=\"alpha\"} 1.0",
                "portico_ai_request_duration_seconds_count{" + model + "} 1",
                "portico_ai_time_to_first_token_seconds_count{" + model + "} 1",
                "portico_ai_circuit_breaker_state{" + model + "} 0.0",
                "portico_budget_spend" + budget + " 7.8E-5",
                "portico_budget_limit" + budget + " 1.0E-5",
                "portico_budget_alert" + budget + " 1.0",
                "portico_requests_total{api=\"\",method=\"POST\",route=\"ai\",status=\"200\"} 1.0",
                "portico_requests_total{api=\"\",method=\"POST\",route=\"ai\",status=\"429\"} 1.0");
    }

    @Test
    void responsesStreamRecordsTimeToFirstToken() throws Exception {
        String request = "{\"model\":\"alpha/gpt-4.1-mini\",\"input\":\"Hi\",\"stream\":true}";

        int status = send("POST", "/ai-open/v1/responses", request, Map.of("Content-Type", "application/json"))
                .statusCode();

        assertThat(status).isEqualTo(200);
        awaitLine("portico_ai_time_to_first_token_seconds_count{model=\"gpt-4.1-mini\",provider=\"alpha\"} 1");
    }

    @Test
    void unlistedModelsShareOtherTag() throws Exception {
        Map<String, String> headers = Map.of("Content-Type", "application/json");
        for (String model : List.of("alpha/missing-one", "alpha/missing-two", "alpha/house-model")) {
            String chat = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
            send("POST", "/ai-open/v1/chat/completions", chat, headers);
        }

        awaitLine("portico_ai_requests_total{model=\"other\",outcome=\"client_error\",provider=\"alpha\"} 2.0");
        awaitLine("portico_ai_requests_total{model=\"house-model\",outcome=\"success\",provider=\"alpha\"} 1.0");
        String scrape = adminScrape();
        assertThat(scrape).doesNotContain("missing-one");
        assertThat(scrape).doesNotContain("missing-two");
        assertThat(lines(scrape))
                .contains("portico_ai_circuit_breaker_state{model=\"house-model\",provider=\"alpha\"} 0.0");
    }

    @Test
    void failedProviderCallIsCounted() throws Exception {
        String chat = "{\"model\":\"unreachable\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";

        int status = send("POST", "/ai-down/v1/chat/completions", chat, Map.of("Content-Type", "application/json"))
                .statusCode();

        assertThat(status).isGreaterThanOrEqualTo(500);
        awaitLine("portico_ai_requests_total{model=\"gpt-4o-mini\",outcome=\"server_error\",provider=\"beta\"} 1.0");
        assertThat(lines(adminScrape())).contains(
                "portico_ai_tokens_total{kind=\"input\",model=\"gpt-4o-mini\",provider=\"beta\"} 0.0",
                "portico_ai_cost_usd_total{model=\"gpt-4o-mini\",provider=\"beta\"} 0.0");
    }

    @Test
    void deletedProviderLeavesScrape() throws Exception {
        Configs withGamma = configuration();
        withGamma.provider("gamma", "openai", openAi.baseUrl(), "sk-alpha");
        node.apply(withGamma.build());
        String chat = "{\"model\":\"gamma/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        assertThat(send("POST", "/ai-open/v1/chat/completions", chat, Map.of("Content-Type", "application/json"))
                .statusCode()).isEqualTo(200);
        awaitLine("portico_ai_requests_total{model=\"gpt-4o\",outcome=\"success\",provider=\"gamma\"} 1.0");

        node.apply(configuration().build());

        Conditions.eventually("the scrape names no deleted provider",
                () -> !adminScrape().contains("provider=\"gamma\""));
    }

    @Test
    void connectionsAreCountedOnce() throws Exception {
        String gauge = "portico_active_connections";
        double before = value(lines(adminScrape()), gauge);
        Vertx vertx = Vertx.vertx();
        try {
            // An HTTP/2 client on a plain connection upgrades from HTTP/1.1 (h2c), which must still count once.
            for (HttpVersion version : List.of(HttpVersion.HTTP_1_1, HttpVersion.HTTP_2)) {
                HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(version)
                        .setHttp2ClearTextUpgrade(true));
                int status = ContextRequests.send(vertx, Duration.ofSeconds(30), () -> client
                        .request(HttpMethod.GET, node.portico().httpPort(), "127.0.0.1", "/no-route")
                        .compose(request -> request.send()).map(HttpClientResponse::statusCode));

                assertThat(status).as(version.name()).isEqualTo(404);
                Conditions.eventually(version + " connection counted", () ->
                        value(lines(adminScrape()), gauge) == before + 1);
                client.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
                Conditions.eventually(version + " connection closed", () ->
                        value(lines(adminScrape()), gauge) == before);
            }
        } finally {
            vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void processMetricsAreExposed() throws Exception {
        List<String> lines = lines(adminScrape());

        for (String name : List.of("jvm_memory_used_bytes", "jvm_gc_max_data_size_bytes", "jvm_threads_live_threads",
                "process_cpu_usage", "process_uptime_seconds", "netty_allocator_memory_used",
                "portico_active_requests", "portico_active_connections")) {
            assertThat(lines).as(name).anyMatch(line -> line.startsWith(name));
        }
    }

    @Test
    void scrapeWithoutTokenIsUnauthorized() throws Exception {
        HttpResponse<String> missing = scrape(node.adminUrl(), null, null);
        HttpResponse<String> wrong = scrape(node.adminUrl(), "Bearer not-the-token", null);

        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).isPresent();
        assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(missing.body()).doesNotContain("portico_");
        assertThat(wrong.statusCode()).isEqualTo(401);
    }

    @Test
    void viewerOfNoTeamMayScrape() throws Exception {
        HttpResponse<String> viewer = scrape(node.adminUrl(), "Bearer " + viewerToken, null);
        HttpResponse<String> teamViewer = scrape(node.adminUrl(), "Bearer " + teamViewerToken, null);

        assertThat(viewer.statusCode()).isEqualTo(200);
        assertThat(teamViewer.statusCode()).isEqualTo(403);
        assertThat(teamViewer.body()).doesNotContain("portico_");
    }

    @Test
    void formatFollowsAcceptHeader() throws Exception {
        HttpResponse<String> text = scrape(node.adminUrl(), "Bearer " + TestNode.TOKEN, null);
        HttpResponse<String> openMetrics = scrape(node.adminUrl(), "Bearer " + TestNode.TOKEN,
                "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5");

        assertThat(text.headers().firstValue("Content-Type")).hasValue(NodeMetrics.PROMETHEUS_TEXT);
        assertThat(text.body()).contains("# TYPE portico_active_requests gauge").doesNotContain("# EOF");
        assertThat(openMetrics.headers().firstValue("Content-Type")).hasValue(NodeMetrics.OPENMETRICS_TEXT);
        assertThat(openMetrics.body()).contains("# TYPE portico_active_requests gauge").endsWith("# EOF\n");
    }

    @Test
    void metricsListenerNeedsNoToken() throws Exception {
        String url = "http://127.0.0.1:" + node.portico().metricsPort();

        HttpResponse<String> metrics = scrape(url, null, null);
        HttpResponse<String> other = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/admin/v1/services"))
                .build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> post = CLIENT.send(HttpRequest.newBuilder(URI.create(url + "/metrics"))
                .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(node.portico().metricsPort()).isPositive().isNotEqualTo(node.portico().adminPort());
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue(NodeMetrics.PROMETHEUS_TEXT);
        assertThat(lines(metrics.body())).anyMatch(line -> line.startsWith("portico_active_requests "));
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");
    }

    /** Scrapes the admin listener until {@code line} appears, because a request is recorded as its exchange ends. */
    private static void awaitLine(String line) {
        Conditions.eventually("the scrape contains " + line, () -> lines(adminScrape()).contains(line));
    }

    private static String adminScrape() {
        try {
            HttpResponse<String> response = scrape(node.adminUrl(), "Bearer " + TestNode.TOKEN, null);
            assertThat(response.statusCode()).isEqualTo(200);
            return response.body();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Returns the value of the sample {@code series}, such as {@code name{tag="value"}}. */
    private static double value(List<String> lines, String series) {
        return lines.stream().filter(line -> line.startsWith(series + " ")).findFirst()
                .map(line -> Double.parseDouble(line.substring(series.length() + 1)))
                .orElseThrow(() -> new AssertionError("no sample " + series));
    }

    private static String cacheStatus(HttpResponse<String> response) {
        return response.headers().firstValue("Cache-Status").orElse("");
    }

    private static HttpResponse<String> send(String method, String path, String body, Map<String, String> headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .timeout(Duration.ofSeconds(30));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> scrape(String baseUrl, String authorization, String accept)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + "/metrics"))
                .timeout(Duration.ofSeconds(30));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static List<String> lines(String scrape) {
        return Arrays.asList(scrape.split("\n"));
    }
}

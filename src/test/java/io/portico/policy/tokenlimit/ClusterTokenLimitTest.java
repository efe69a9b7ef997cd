package io.portico.policy.tokenlimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.redis.KeyDigest;
import io.portico.redis.RedisClient;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The token-limit policy in cluster mode: three real nodes share windows in one real Redis server, in front of the
 * OpenAI mock. Windows are minutes of the clock, which Redis and the test read on the same machine. A run whose
 * requests straddle a minute boundary proves nothing, so it is repeated with a consumer that has not been counted.
 */
class ClusterTokenLimitTest {

    private static final int LIMIT = 5;
    private static final int CONSUMERS = 12;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static OpenAiMock openAi;
    private static TestRedis redis;
    private static final List<TestNode> NODES = new ArrayList<>();
    private static int nextConsumer;

    @BeforeAll
    static void start() {
        openAi = new OpenAiMock("alpha", "sk-alpha");
        redis = TestRedis.start();
        Configs config = Configs.document();
        config.provider("alpha", "openai", openAi.baseUrl(), "sk-alpha");
        config.resource("teams", "ml");
        for (int i = 0; i < CONSUMERS; i++) {
            config.resource("consumers", "c" + i).put("team", "ml");
        }
        tokenLimit(config, "requests", "local").addObject().put("by", "consumer").put("requestsPerMinute", LIMIT);
        tokenLimit(config, "tokens", "local").addObject().put("by", "consumer").put("tokensPerMinute", 100);
        tokenLimit(config, "reject", "reject").addObject().put("by", "consumer").put("requestsPerMinute", LIMIT);
        // A timeout far above the command's latency, so a slow test machine never falls back to local counting
        // while Redis runs; a short retry interval, so that nodes use Redis again soon after it restarts.
        Map<String, String> settings = Map.of("redis.url", redis.url(), "redis.timeout", "2s",
                "redis.retryInterval", "200ms");
        for (int i = 0; i < 3; i++) {
            TestNode node = TestNode.start(settings);
            node.apply(config.build());
            NODES.add(node);
        }
    }

    private static ArrayNode tokenLimit(Configs config, String route, String onRedisFailure) {
        ObjectNode ai = config.aiRoute(route, "/" + route);
        ai.put("stripPrefix", true);
        ArrayNode policies = ai.putArray("policies");
        policies.addObject().put("name", "header-auth");
        return policies.addObject().put("name", "token-limit").putObject("config").put("mode", "cluster")
                .put("onRedisFailure", onRedisFailure).putArray("limits");
    }

    @AfterAll
    static void stop() {
        NODES.forEach(TestNode::close);
        redis.close();
        openAi.close();
    }

    @Test
    void threeNodesAdmitLimitOnce() {
        List<Integer> statuses = inOneMinute(consumer -> {
            List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
            for (int i = 0; i < 3 * LIMIT; i++) {
                responses.add(sendAsync(NODES.get(i % NODES.size()), "/requests", consumer, 16));
            }
            return responses.stream().map(response -> response.join().statusCode()).toList();
        });

        assertThat(statuses).containsOnly(200, 429);
        assertThat(statuses.stream().filter(status -> status == 200).count()).isEqualTo(LIMIT);
    }

    @Test
    void realUsageReplacesEstimateInRedis() {
        List<Integer> statuses = inOneMinute(consumer -> {
            // The estimate is about 60 tokens: the prompt and max_tokens of 45. The mock reports 17 tokens, so the
            // second request fits in the limit of 100 only once the correction reached Redis. The third one, about
            // 85 tokens, would fit in a window of its own node, but not in the 34 that the first two left in Redis.
            int first = send(NODES.get(0), "/tokens", consumer, 45).statusCode();
            try (RespConnection connection = new RespConnection(redis.port())) {
                String key = "portico:tl:{tokens}:consumer:" + KeyDigest.of(consumer);
                assertThat(connection.call("KEYS", "*:" + consumer)).asList().isEmpty();
                Conditions.eventually("the real usage replaced the estimate",
                        () -> Long.parseLong(String.valueOf(connection.call("HGET", key, "t"))) < 45);
            }
            int second = send(NODES.get(1), "/tokens", consumer, 45).statusCode();
            int third = send(NODES.get(2), "/tokens", consumer, 70).statusCode();
            return List.of(first, second, third);
        });

        assertThat(statuses).containsExactly(200, 200, 429);
    }

    @Test
    void embeddingsUsageReplacesEstimateInRedis() {
        List<Integer> statuses = inOneMinute(consumer -> {
            // The estimate is about 60 tokens and the mock reports 3, so the second request fits in the limit of
            // 100 only once the correction reached Redis.
            String input = "\"" + "hello ".repeat(60).trim() + "\"";
            int first = embeddings(NODES.get(0), consumer, input).statusCode();
            try (RespConnection connection = new RespConnection(redis.port())) {
                Conditions.eventually("the real usage replaced the estimate",
                        () -> windowField(connection, "tokens", consumer, "t") == 3);
            }
            int second = embeddings(NODES.get(1), consumer, input).statusCode();
            return List.of(first, second);
        });

        assertThat(statuses).containsExactly(200, 200);
    }

    @Test
    void countTokensCountsRequestsOnlyInRedis() {
        List<Integer> statuses = inOneMinute(consumer -> {
            List<Integer> counts = new ArrayList<>();
            for (int i = 0; i <= LIMIT; i++) {
                counts.add(countTokens(NODES.get(i % NODES.size()), "/requests", consumer).statusCode());
            }
            try (RespConnection connection = new RespConnection(redis.port())) {
                counts.add((int) windowField(connection, "requests", consumer, "t"));
                counts.add((int) windowField(connection, "requests", consumer, "r"));
            }
            return counts;
        });

        assertThat(statuses.subList(0, LIMIT)).containsOnly(200);
        assertThat(statuses.get(LIMIT)).isEqualTo(429);
        assertThat(statuses.get(LIMIT + 1)).as("tokens in the window").isEqualTo(0);
        assertThat(statuses.get(LIMIT + 2)).as("requests in the window").isEqualTo(LIMIT);
    }

    @Test
    void countTokensPassesSpentTokensInRedis() {
        List<Integer> statuses = inOneMinute(consumer -> {
            // 40 inputs of one token each: the estimate is 40, and the mock reports 120, which passes the limit.
            String inputs = "[" + String.join(",", Collections.nCopies(40, "\"hello\"")) + "]";
            int embedded = embeddings(NODES.get(0), consumer, inputs).statusCode();
            try (RespConnection connection = new RespConnection(redis.port())) {
                Conditions.eventually("the real usage replaced the estimate",
                        () -> windowField(connection, "tokens", consumer, "t") == 120);
            }
            int counted = countTokens(NODES.get(1), "/tokens", consumer).statusCode();
            int embeddedAgain = embeddings(NODES.get(2), consumer, "\"hello\"").statusCode();
            return List.of(embedded, counted, embeddedAgain);
        });

        assertThat(statuses).containsExactly(200, 200, 429);
    }

    @Test
    void stoppedRedisFallsBackAndRecovers() throws Exception {
        TestNode node = NODES.get(0);
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            redis.stop();
            List<Integer> fallback = inOneMinute(consumer -> {
                List<Integer> statuses = new ArrayList<>();
                for (int i = 0; i <= LIMIT; i++) {
                    statuses.add(send(node, "/requests", consumer, 16).statusCode());
                }
                return statuses;
            });
            HttpResponse<String> rejected = send(node, "/reject", "c0", 16);
            List<String> warnings = log.messages(Level.WARN);
            String counted = "portico_token_limit_rejections_total{reason=\"redis-unavailable\",route=\"reject\"} 1.0";
            Conditions.eventually("the 503 is counted", () -> node.adminRaw("GET", "/metrics", null).body()
                    .lines().anyMatch(counted::equals));

            redis.restart();
            Conditions.eventually("Redis is available again", () -> log.messages(Level.INFO).stream()
                    .anyMatch(line -> line.contains("available again")));
            int recovered = send(node, "/reject", "c1", 16).statusCode();

            assertThat(fallback).hasSize(LIMIT + 1);
            assertThat(fallback.subList(0, LIMIT)).containsOnly(200);
            assertThat(fallback.get(LIMIT)).isEqualTo(429);
            assertThat(rejected.statusCode()).isEqualTo(503);
            assertThat(rejected.headers().firstValue("retry-after")).hasValue("1");
            JsonNode error = Json.MAPPER.readTree(rejected.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("token_limit_unavailable");
            assertThat(error.path("message").asText()).contains("Redis is unavailable");
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("unavailable").contains(redis.url());
            assertThat(recovered).isEqualTo(200);
            assertThat(log.messages(Level.WARN)).hasSize(1);
        } finally {
            redis.restart();
            // The other tests count in Redis, so they start only once every node uses it again, even when this
            // test failed midway.
            for (TestNode each : NODES) {
                Conditions.eventually("the node uses Redis again", () -> each.adminRaw("GET", "/metrics", null)
                        .body().lines().anyMatch("portico_redis_fallback 0.0"::equals));
            }
        }
    }

    @Test
    void modeSettingsAreValidated() {
        Configs config = Configs.document();
        ObjectNode policy = config.aiRoute("invalid", "/invalid").putArray("policies").addObject()
                .put("name", "token-limit");
        policy.putObject("config").put("mode", "global").put("onRedisFailure", "ignore").putArray("limits")
                .addObject().put("by", "consumer").put("requestsPerMinute", 1);

        JsonNode problem = NODES.get(0).admin("POST", "/admin/v1/config/diff", config.build(), 400);

        assertThat(problem.toString()).contains("must be local or cluster").contains("must be local or reject");
    }

    /**
     * Runs {@code run} with a consumer not counted before, until the clock shows the same minute before and after
     * it, and returns its result.
     */
    private static <T> T inOneMinute(Function<String, T> run) {
        for (int attempt = 0; attempt < 3; attempt++) {
            String consumer = "c" + nextConsumer++;
            long minute = System.currentTimeMillis() / 60_000;
            T result = run.apply(consumer);
            if (System.currentTimeMillis() / 60_000 == minute) {
                return result;
            }
        }
        return fail("three runs in a row straddled a minute boundary");
    }

    /** Returns a field of the Redis window of {@code consumer} on {@code route}, or 0 when it is not set. */
    private static long windowField(RespConnection connection, String route, String consumer, String field) {
        Object value = connection.call("HGET", "portico:tl:{" + route + "}:consumer:" + KeyDigest.of(consumer), field);
        return value == null ? 0 : Long.parseLong(String.valueOf(value));
    }

    /** Sends an embeddings request whose {@code input} is the JSON {@code input} to the route {@code /tokens}. */
    private static HttpResponse<String> embeddings(TestNode node, String consumer, String input) {
        return post(node, "/tokens/v1/embeddings", consumer,
                "{\"model\":\"alpha/text-embedding-3-small\",\"input\":" + input + "}");
    }

    private static HttpResponse<String> countTokens(TestNode node, String route, String consumer) {
        return post(node, route + "/v1/messages/count_tokens", consumer,
                "{\"model\":\"alpha/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"How many tokens?\"}]}");
    }

    private static HttpResponse<String> post(TestNode node, String path, String consumer, String body) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .header("X-Test-Consumer", consumer).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString()).join();
    }

    private static HttpResponse<String> send(TestNode node, String route, String consumer, int maxTokens) {
        return sendAsync(node, route, consumer, maxTokens).join();
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(TestNode node, String route, String consumer,
                                                                     int maxTokens) {
        String body = "{\"model\":\"alpha/gpt-4o\",\"max_tokens\":" + maxTokens
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"How many tokens?\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + route + "/v1/chat/completions"))
                .timeout(Duration.ofSeconds(30)).header("content-type", "application/json")
                .header("X-Test-Consumer", consumer).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
    }
}

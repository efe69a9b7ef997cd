package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.redis.RedisClient;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.portico.testing.TestUpstream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Cluster-wide limits while Redis stops, hangs and comes back, on one node. */
class RedisOutageTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestRedis redis;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off; this node writes it.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        redis = TestRedis.start(List.of("maxmemory-policy noeviction"));
        upstream = TestUpstream.start("outage");
        Configs config = Configs.document();
        config.service("app", upstream.port());
        for (String onFailure : List.of("local", "reject")) {
            ObjectNode route = config.route(onFailure, "app", "/" + onFailure);
            ObjectNode policy = RateLimitPolicyTest.rateLimit("[\"header:X-Run\"]",
                    RateLimitPolicyTest.limit("per-hour", 3, "1h", null));
            ((ObjectNode) policy.get("config")).put("mode", "cluster").put("onRedisFailure", onFailure);
            route.putArray("policies").add(policy);
        }
        node = TestNode.start(Map.of("redis.url", redis.url(), "redis.timeout", "300ms",
                "redis.retryInterval", "200ms"));
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        upstream.close();
        redis.close();
    }

    @BeforeEach
    void redisAnswers() {
        redis.restart();
        Conditions.eventually("Redis is available", () -> {
            try {
                return get("/reject", UUID.randomUUID().toString()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void stoppedRedisFallsBackAndRecovers() throws Exception {
        String run = UUID.randomUUID().toString();
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            int counted = get("/local", run).statusCode();
            redis.stop();

            List<Integer> fallback = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                fallback.add(get("/local", run).statusCode());
            }
            List<Integer> rejected = new ArrayList<>();
            JsonNode problem = null;
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> response = get("/reject", run);
                rejected.add(response.statusCode());
                problem = Json.MAPPER.readTree(response.body());
            }
            List<String> warnings = log.messages(Level.WARN);

            redis.restart();
            Conditions.eventually("Redis is available again", () -> !recoveries(log).isEmpty());
            List<Integer> recovered = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                recovered.add(get("/reject", run).statusCode());
            }

            assertThat(counted).isEqualTo(200);
            // The in-memory counters start from zero: the request counted in Redis is not in them.
            assertThat(fallback).containsExactly(200, 200, 200, 429);
            assertThat(rejected).containsOnly(503);
            assertThat(problem.get("type").asText()).isEqualTo("https://portico.dev/problems/rate-limit-unavailable");
            assertThat(warnings).hasSize(1);
            assertThat(warnings.get(0)).contains("unavailable").contains(redis.url());
            // The restarted server is empty, so the key counts from zero again in Redis.
            assertThat(recovered).containsExactly(200, 200, 200, 429);
            assertThat(log.messages(Level.WARN)).hasSize(1);
            assertThat(recoveries(log)).hasSize(1);
        }
    }

    @Test
    void fullRedisFallsBackUntilWritesSucceed() throws Exception {
        String run = UUID.randomUUID().toString();
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            List<Integer> fallback = new ArrayList<>();
            List<Integer> rejected = new ArrayList<>();
            String gaugeWhileFull;
            try {
                // A limit below the memory in use: under noeviction every write now gets an OOM error reply.
                setMaxMemory(1);
                for (int i = 0; i < 6; i++) {
                    fallback.add(get("/local", run).statusCode());
                    rejected.add(get("/reject", run).statusCode());
                    // Spread over three probe intervals, so a probe that reported Redis available would show.
                    Thread.sleep(100);
                }
                gaugeWhileFull = fallbackGauge();
            } finally {
                setMaxMemory(0);
            }
            List<String> warnings = log.messages(Level.WARN);
            List<String> recoveriesWhileFull = recoveries(log);

            Conditions.eventually("Redis is available again", () -> !recoveries(log).isEmpty());
            int afterRecovery = get("/reject", run).statusCode();

            assertThat(fallback).containsExactly(200, 200, 200, 429, 429, 429);
            assertThat(rejected).containsOnly(503);
            assertThat(gaugeWhileFull).isEqualTo("portico_redis_fallback 1.0");
            assertThat(warnings).singleElement().asString().contains("is unavailable").contains("OOM");
            assertThat(recoveriesWhileFull).isEmpty();
            assertThat(afterRecovery).isEqualTo(200);
            assertThat(fallbackGauge()).isEqualTo("portico_redis_fallback 0.0");
            assertThat(log.messages(Level.WARN)).hasSize(1);
            assertThat(recoveries(log)).hasSize(1);
        }
    }

    @Test
    void fallbackRejectionLogsLimitOnce() throws Exception {
        String run = UUID.randomUUID().toString();
        try (LogCapture access = new LogCapture("portico.access")) {
            redis.stop();
            List<Integer> statuses = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                statuses.add(get("/local", run).statusCode());
            }
            Conditions.eventually("the rejection is logged", () -> access.messages(Level.INFO).stream()
                    .anyMatch(line -> line.contains(" status=429 ")));
            String line = access.messages(Level.INFO).stream().filter(entry -> entry.contains(" status=429 "))
                    .findFirst().orElseThrow();

            assertThat(statuses).containsExactly(200, 200, 200, 429);
            assertThat(line).contains(" rate_limit=per-hour").contains(" rate_limit_mode=local-fallback");
            assertThat(line.split(" rate_limit=", -1)).hasSize(2);
        }
    }

    @Test
    void hungRedisTimesOutQuickly() throws Exception {
        String run = UUID.randomUUID().toString();
        try (LogCapture log = new LogCapture(RedisClient.class);
             Socket blocker = new Socket(InetAddress.getLoopbackAddress(), redis.port())) {
            // DEBUG SLEEP blocks the whole server for two seconds: connections stay open, replies stop.
            OutputStream out = blocker.getOutputStream();
            out.write("*3\r\n$5\r\nDEBUG\r\n$5\r\nSLEEP\r\n$1\r\n2\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            Thread.sleep(100);

            long start = System.nanoTime();
            HttpResponse<String> response = get("/local", run);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(millis).isLessThan(1500);
            assertThat(log.messages(Level.WARN)).singleElement().asString().contains("did not reply within");
            Conditions.eventually("Redis is available again", () -> !recoveries(log).isEmpty());
        }
    }

    @Test
    void redisPasswordNeverAppearsInLogs() throws Exception {
        try (TestRedis secured = TestRedis.start(List.of("requirepass s3cret-pass"));
             LogCapture log = new LogCapture(RedisClient.class)) {
            TestNode wrong = TestNode.start(Map.of("redis.url", secured.url(), "redis.password", "wrong-s3cret",
                    "redis.timeout", "1s"));
            TestNode right = TestNode.start(Map.of("redis.url", "redis://:s3cret-pass@127.0.0.1:"
                    + secured.port(), "redis.timeout", "1s"));
            try {
                Conditions.eventually("both nodes logged their Redis state", () ->
                        log.messages(Level.WARN).size() + log.messages(Level.INFO).size() >= 2);
            } finally {
                wrong.close();
                right.close();
            }

            List<String> lines = new ArrayList<>(log.messages(Level.WARN));
            lines.addAll(log.messages(Level.INFO));
            assertThat(lines).anySatisfy(line -> assertThat(line).contains("redis://:****@127.0.0.1:"));
            assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("s3cret"));
        }
    }

    /** Sets Redis's {@code maxmemory} to {@code bytes}; 0 removes the limit. */
    private static void setMaxMemory(long bytes) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            connection.call("CONFIG", "SET", "maxmemory", bytes);
        }
    }

    private static String fallbackGauge() {
        return node.adminRaw("GET", "/metrics", null).body().lines()
                .filter(line -> line.startsWith("portico_redis_fallback ")).findFirst().orElse("none");
    }

    private static List<String> recoveries(LogCapture log) {
        return log.messages(Level.INFO).stream().filter(line -> line.contains("available again")).toList();
    }

    private static HttpResponse<String> get(String path, String run) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("X-Run", run).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

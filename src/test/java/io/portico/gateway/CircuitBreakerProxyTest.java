package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.upstream;
import static io.portico.testing.Conditions.eventually;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Circuit breakers of upstream targets opening, skipping and closing, through a real node. */
class CircuitBreakerProxyTest {

    private static TestUpstream good;
    private static TestUpstream bad;
    private static TestUpstream lonely;
    private static TestNode node;

    @BeforeAll
    static void start() {
        good = TestUpstream.start("good");
        bad = TestUpstream.start("bad");
        lonely = TestUpstream.start("lonely");
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode pair = config.service("pair", good.port(), bad.port());
        breaker(pair);
        ObjectNode single = config.service("single", lonely.port());
        breaker(single);
        config.route("pair", "pair", "/pair").put("stripPrefix", true);
        config.route("single", "single", "/single").put("stripPrefix", true);
        node.apply(config.build());
    }

    private static void breaker(ObjectNode service) {
        service.putObject("circuitBreaker")
                .put("minimumCalls", 4)
                .put("failureRateThreshold", 50)
                .put("window", "10s")
                .put("openDuration", "1s")
                .put("halfOpenCalls", 2);
        service.putObject("retries").put("attempts", 1);
    }

    @AfterAll
    static void stop() {
        node.close();
        good.close();
        bad.close();
        lonely.close();
    }

    @Test
    void openBreakerTakesTargetOutUntilProbesSucceed() {
        bad.respondWith(503);
        for (int i = 0; i < 8; i++) {
            get(node, "/pair/echo/warm-up");
        }
        // The proxy reports an exchange's outcome to the breaker once the response body was relayed, which can be
        // after the client received it.
        Conditions.eventually("the breaker of the failing target opens",
                () -> breakerOf("pair", bad.port()).path("state").asText().equals("open"));
        JsonNode target = breakerOf("pair", bad.port());
        assertThat(target.path("state").asText()).isEqualTo("open");
        assertThat(target.path("retryAt").asText()).isNotEmpty();
        int badHits = bad.requests();

        for (int i = 0; i < 10; i++) {
            HttpResponse<String> response = get(node, "/pair/echo/open");
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream(response)).isEqualTo("good");
        }
        assertThat(bad.requests()).isEqualTo(badHits);

        bad.respondWith(0);
        eventually("the breaker turned half-open", () -> "half-open".equals(
                breakerOf("pair", bad.port()).path("state").asText()));
        for (int i = 0; i < 8; i++) {
            get(node, "/pair/echo/probe");
        }
        assertThat(bad.requests()).isGreaterThanOrEqualTo(badHits + 2);
        assertThat(breakerOf("pair", bad.port()).path("state").asText()).isEqualTo("closed");
    }

    @Test
    void lastOpenTargetGivesCircuitOpenProblem() {
        lonely.respondWith(502);
        for (int i = 0; i < 4; i++) {
            get(node, "/single/echo/fail");
        }
        int hits = lonely.requests();

        HttpResponse<String> response = get(node, "/single/echo/rejected");

        JsonNode problem = assertProblem(response, 503, "circuit-open");
        assertThat(problem.path("detail").asText()).contains("service 'single'");
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(Long.parseLong(response.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 60L);
        assertThat(lonely.requests()).isEqualTo(hits);
        lonely.respondWith(0);
    }

    @Test
    void serviceHealthShowsTargets() {
        JsonNode health = node.admin("GET", "/admin/v1/services/pair/health", null, 200);

        assertThat(health.path("service").asText()).isEqualTo("pair");
        assertThat(health.path("targets")).hasSize(2);
        assertThat(health.at("/targets/0/address").asText()).isEqualTo("127.0.0.1:" + good.port());
        assertThat(health.at("/targets/0/circuitBreaker/state").asText()).isNotEmpty();
        node.admin("GET", "/admin/v1/services/missing/health", null, 404);
    }

    @Test
    void invalidSettingsAreRejected() {
        Configs config = Configs.document();
        ObjectNode service = config.service("broken", good.port());
        service.putObject("circuitBreaker").put("failureRateThreshold", 0).put("window", "500ms")
                .put("halfOpenCalls", 0).put("minimumCalls", 0);
        ObjectNode provider = config.provider("model-host", "openai", "http://127.0.0.1:1/v1", "sk-test");
        provider.putObject("circuitBreaker").put("slowCallRateThreshold", 101).put("openDuration", "50ms");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("circuitBreaker.failureRateThreshold", "circuitBreaker.window",
                "circuitBreaker.halfOpenCalls", "circuitBreaker.minimumCalls",
                "circuitBreaker.slowCallRateThreshold", "circuitBreaker.openDuration");
    }

    private static JsonNode breakerOf(String service, int port) {
        JsonNode list = node.admin("GET", "/admin/v1/circuit-breakers", null, 200).path("circuitBreakers");
        for (JsonNode item : list) {
            if (item.path("service").asText().equals(service)
                    && item.path("target").asText().equals("127.0.0.1:" + port)) {
                return item;
            }
        }
        throw new AssertionError("no breaker for " + service + " on port " + port + " in " + list);
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The load-balancing algorithms, observed through a real node in front of two real upstreams. */
class LoadBalancingProxyTest {

    private static TestUpstream first;
    private static TestUpstream second;
    private static TestUpstream slow;
    private static TestUpstream recovering;
    private static TestNode node;

    @BeforeAll
    static void start() {
        first = TestUpstream.start("first");
        second = TestUpstream.start("second");
        slow = TestUpstream.start("slow");
        slow.echoDelay(40);
        recovering = TestUpstream.start("recovering");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("hashed", first.port(), second.port()).putObject("loadBalancing")
                .put("algorithm", "consistent-hash").put("hashOn", "header:X-User");
        ObjectNode weighted = config.service("weighted", first.port(), second.port());
        ArrayNode targets = (ArrayNode) weighted.get("targets");
        ((ObjectNode) targets.get(0)).put("weight", 3);
        ((ObjectNode) targets.get(1)).put("weight", 1);
        config.service("least", first.port(), second.port()).putObject("loadBalancing")
                .put("algorithm", "least-connections");
        config.route("hashed", "hashed", "/hashed").put("stripPrefix", true);
        config.route("weighted", "weighted", "/weighted").put("stripPrefix", true);
        config.route("least", "least", "/least").put("stripPrefix", true);
        config.service("latency", first.port(), slow.port()).putObject("loadBalancing")
                .put("algorithm", "least-latency");
        config.route("latency", "latency", "/latency").put("stripPrefix", true);
        config.service("recovery", recovering.port(), second.port()).putObject("loadBalancing")
                .put("algorithm", "least-latency");
        config.route("recovery", "recovery", "/recovery").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        first.close();
        second.close();
        slow.close();
        recovering.close();
    }

    @Test
    void leastLatencyPrefersFasterTarget() {
        int fast = 0;
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> response = get(node, "/latency/echo");
            assertThat(response.statusCode()).isEqualTo(200);
            if (response.headers().firstValue("X-Upstream").orElse("").equals("first")) {
                fast++;
            }
        }

        assertThat(fast).as("requests served by the target without the 40 ms delay").isGreaterThanOrEqualTo(24);
    }

    @Test
    void leastLatencyReturnsToRecoveredTarget() throws InterruptedException {
        recovering.echoDelay(200);
        for (int i = 0; i < 10; i++) {
            assertThat(get(node, "/recovery/echo").statusCode()).as("status of request %d", i).isEqualTo(200);
        }
        assertThat(recovering.requests("/echo")).as("requests to the target while it is slow").isEqualTo(1);

        recovering.echoDelay(0);
        long recovered = System.nanoTime();
        long deadline = recovered + TimeUnit.SECONDS.toNanos(15);
        while (recovering.requests("/echo") == 1 && System.nanoTime() < deadline) {
            assertThat(get(node, "/recovery/echo").statusCode()).isEqualTo(200);
            Thread.sleep(10);
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - recovered);

        assertThat(recovering.requests("/echo")).as("requests to the target after it recovered").isEqualTo(2);
        assertThat(seconds).as("seconds until the recovered target got a request").isLessThanOrEqualTo(8);
    }

    @Test
    void consistentHashKeepsEachUserOnOneTarget() {
        Map<String, Set<String>> targetsByUser = new HashMap<>();
        for (int round = 0; round < 3; round++) {
            for (int user = 0; user < 40; user++) {
                HttpResponse<String> response = get(node, "/hashed/echo", "X-User", "user-" + user);
                assertThat(response.statusCode()).isEqualTo(200);
                targetsByUser.computeIfAbsent("user-" + user, key -> new HashSet<>()).add(upstream(response));
            }
        }

        targetsByUser.forEach((user, targets) -> assertThat(targets).as("targets of %s", user).hasSize(1));
        Set<String> used = new HashSet<>();
        targetsByUser.values().forEach(used::addAll);
        assertThat(used).as("targets that received at least one user").containsExactlyInAnyOrder("first", "second");
    }

    @Test
    void weightedRoundRobinSplitsThreeToOne() {
        Map<String, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40; i++) {
            HttpResponse<String> response = get(node, "/weighted/echo");
            assertThat(response.statusCode()).isEqualTo(200);
            counts.merge(upstream(response), 1, Integer::sum);
        }

        assertThat(counts).containsOnly(Map.entry("first", 30), Map.entry("second", 10));
    }

    @Test
    void leastConnectionsAvoidsTargetWithRequestInFlight() throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        CompletableFuture<HttpResponse<String>> heldRequest = client.sendAsync(HttpRequest.newBuilder(
                URI.create(node.url() + "/least/hold")).timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (first.requests("/hold") + second.requests("/hold") == 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(first.requests("/hold") + second.requests("/hold")).as("held requests upstream").isEqualTo(1);
        TestUpstream busy = first.requests("/hold") > 0 ? first : second;
        String idle = busy == first ? "second" : "first";

        try {
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> response = get(node, "/least/echo");
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(upstream(response)).as("target of request %d", i).isEqualTo(idle);
            }
        } finally {
            busy.releaseHeld();
        }
        HttpResponse<String> released = heldRequest.get(10, TimeUnit.SECONDS);
        assertThat(released.statusCode()).isEqualTo(200);
        assertThat(upstream(released)).isNotEqualTo(idle);
    }
}

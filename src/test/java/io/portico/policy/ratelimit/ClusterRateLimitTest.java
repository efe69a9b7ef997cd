package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Three Portico nodes that count one cluster-wide limit in one real Redis server. */
class ClusterRateLimitTest {

    private static final int LIMIT = 10;
    private static final long WINDOW_MILLIS = 10_000;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestRedis redis;
    private static TestUpstream upstream;
    private static final List<TestNode> NODES = new ArrayList<>();

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        upstream = TestUpstream.start("cluster");
        Configs config = Configs.document();
        config.service("app", upstream.port());
        for (String algorithm : List.of("fixed-window", "sliding-window", "token-bucket")) {
            ObjectNode route = config.route(algorithm, "app", "/" + algorithm);
            ObjectNode policy = RateLimitPolicyTest.rateLimit("[\"header:X-Run\"]", RateLimitPolicyTest.limit(
                    "shared", LIMIT, algorithm.equals("token-bucket") ? "60s" : "10s", algorithm));
            ((ObjectNode) policy.get("config")).put("mode", "cluster");
            route.putArray("policies").add(policy);
        }
        // A timeout far above the command's latency, so a slow test machine never falls back to local counting.
        Map<String, String> settings = Map.of("redis.url", redis.url(), "redis.timeout", "2s");
        for (int i = 0; i < 3; i++) {
            TestNode node = TestNode.start(settings);
            node.apply(config.build());
            NODES.add(node);
        }
    }

    @AfterAll
    static void stop() {
        NODES.forEach(TestNode::close);
        upstream.close();
        redis.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"fixed-window", "sliding-window", "token-bucket"})
    void threeNodesAdmitLimitOnce(String algorithm) throws Exception {
        waitForWindowStart();
        String run = UUID.randomUUID().toString();

        List<CompletableFuture<HttpResponse<Void>>> responses = new ArrayList<>();
        for (int i = 0; i < 3 * LIMIT; i++) {
            TestNode node = NODES.get(i % NODES.size());
            HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/" + algorithm))
                    .header("X-Run", run).build();
            responses.add(CLIENT.sendAsync(request, HttpResponse.BodyHandlers.discarding()));
        }
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<Void>> response : responses) {
            statuses.add(response.get().statusCode());
        }

        assertThat(statuses).containsOnly(200, 429);
        assertThat(statuses.stream().filter(status -> status == 200).count()).isEqualTo(LIMIT);
    }

    /**
     * Waits until the current 10-second window, as the system clock that Redis shares on this machine counts it,
     * has at least 4 seconds left, so every request of a test falls into one window.
     */
    private static void waitForWindowStart() throws InterruptedException {
        long offset = System.currentTimeMillis() % WINDOW_MILLIS;
        if (offset > WINDOW_MILLIS - 4000) {
            Thread.sleep(WINDOW_MILLIS - offset + 100);
        }
    }
}

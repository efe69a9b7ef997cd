package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.IntNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.Json;
import io.portico.redis.KeyDigest;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.RespConnection;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Rate and concurrency limits count an IPv6 client by its network of {@code ipv6Prefix} bits, on a real node whose
 * client addresses come from {@code X-Forwarded-For} sent by the trusted proxy 127.0.0.1. Each test uses addresses
 * of its own /48 under 2001:db8::/32, so the tests do not share counters.
 */
class Ipv6PrefixTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestRedis redis;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        upstream = TestUpstream.start("ipv6");
        node = TestNode.start(Map.of("clientAddress.trustedProxies", "127.0.0.1", "redis.url", redis.url(),
                "redis.timeout", "2s"));
        Configs config = Configs.document();
        config.service("app", upstream.port());
        limited(config.route("address", "app", "/address"), "[client-address]", null, null);
        limited(config.route("anonymous", "app", "/anonymous"), "[consumer]", null, null);
        limited(config.route("each-address", "app", "/each-address"), "[client-address]", 128, null);
        limited(config.route("site", "app", "/site"), "[client-address]", 48, null);
        limited(config.route("cluster", "app", "/cluster"), "[client-address]", null, "cluster");
        limited(config.route("cluster-each-address", "app", "/cluster-each-address"), "[client-address]", 128,
                "cluster");
        config.route("concurrency", "app", "/concurrency").put("stripPrefix", true).putArray("policies").addObject()
                .put("name", "concurrency-limit").putObject("config").put("max", 1).put("key", "consumer");
        node.apply(config.build());
    }

    /** Adds a rate limit of one request per hour; null leaves {@code ipv6Prefix} or {@code mode} unset. */
    private static void limited(ObjectNode route, String key, Integer ipv6Prefix, String mode) {
        ObjectNode policy = RateLimitPolicyTest.rateLimit(key, RateLimitPolicyTest.limit("per-hour", 1, "1h", null));
        ObjectNode config = (ObjectNode) policy.get("config");
        if (ipv6Prefix != null) {
            config.put("ipv6Prefix", ipv6Prefix);
        }
        if (mode != null) {
            config.put("mode", mode);
        }
        route.putArray("policies").add(policy);
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        redis.close();
    }

    @AfterEach
    void releaseHeld() {
        upstream.releaseHeld();
    }

    @Test
    void addressesOfOneNetworkShareCounter() throws Exception {
        int first = status("/address", "2001:db8:1:0:1:2:3:4");
        int sameNetwork = status("/address", "2001:db8:1::ffff");
        int otherNetwork = status("/address", "2001:db8:1:1:1:2:3:4");

        assertThat(first).isEqualTo(200);
        assertThat(sameNetwork).as("another address of the same /64").isEqualTo(429);
        assertThat(otherNetwork).as("an address of the next /64").isEqualTo(200);
    }

    @Test
    void missingPartFallsBackToNetwork() throws Exception {
        int first = status("/anonymous", "2001:db8:2::a");
        int sameNetwork = status("/anonymous", "2001:db8:2::b");
        int otherNetwork = status("/anonymous", "2001:db8:2:1::a");

        assertThat(first).isEqualTo(200);
        assertThat(sameNetwork).as("another address of the same /64").isEqualTo(429);
        assertThat(otherNetwork).as("an address of the next /64").isEqualTo(200);
    }

    @Test
    void prefix128CountsEachAddress() throws Exception {
        int first = status("/each-address", "2001:db8:3::a");
        int neighbour = status("/each-address", "2001:db8:3::b");
        int firstAgain = status("/each-address", "2001:db8:3::a");

        assertThat(first).isEqualTo(200);
        assertThat(neighbour).isEqualTo(200);
        assertThat(firstAgain).isEqualTo(429);
    }

    @Test
    void shorterPrefixJoinsNetworks() throws Exception {
        int first = status("/site", "2001:db8:4:1::a");
        int sameSite = status("/site", "2001:db8:4:2::a");
        int otherSite = status("/site", "2001:db8:5:1::a");

        assertThat(first).isEqualTo(200);
        assertThat(sameSite).as("another /64 of the same /48").isEqualTo(429);
        assertThat(otherSite).isEqualTo(200);
    }

    @Test
    void ipv4AddressesCountAlone() throws Exception {
        int first = status("/address", "192.0.2.1");
        int mapped = status("/address", "::ffff:192.0.2.1");
        int neighbour = status("/address", "192.0.2.2");
        int mappedNeighbour = status("/address", "::ffff:192.0.2.3");

        assertThat(first).isEqualTo(200);
        assertThat(mapped).as("the IPv4-mapped form of the same address").isEqualTo(429);
        assertThat(neighbour).isEqualTo(200);
        assertThat(mappedNeighbour).as("IPv4-mapped addresses are not grouped by the IPv6 prefix").isEqualTo(200);
    }

    @Test
    void redisCountsNetwork() throws Exception {
        int first = status("/cluster", "2001:db8:6::1");
        int sameNetwork = status("/cluster", "2001:db8:6::2");
        int otherNetwork = status("/cluster", "2001:db8:6:1::1");

        assertThat(first).isEqualTo(200);
        assertThat(sameNetwork).as("another address of the same /64").isEqualTo(429);
        assertThat(otherNetwork).isEqualTo(200);
        assertThat(keys("portico:rl:{route:cluster/*")).contains("portico:rl:{route:cluster/policies/0|"
                + KeyDigest.of("client-address=2001:db8:6::/64") + "}:per-hour:s3600");
    }

    @Test
    void redisPrefix128CountsEachAddress() throws Exception {
        int first = status("/cluster-each-address", "2001:db8:7::1");
        int neighbour = status("/cluster-each-address", "2001:db8:7::2");
        int firstAgain = status("/cluster-each-address", "2001:db8:7::1");

        assertThat(first).isEqualTo(200);
        assertThat(neighbour).isEqualTo(200);
        assertThat(firstAgain).isEqualTo(429);
        assertThat(keys("portico:rl:{route:cluster-each-address/*")).contains(
                "portico:rl:{route:cluster-each-address/policies/0|" + KeyDigest.of("client-address=2001:db8:7::1")
                        + "}:per-hour:s3600");
    }

    @Test
    void concurrencyLimitCountsNetwork() throws Exception {
        int before = upstream.requests("/hold");
        CompletableFuture<HttpResponse<String>> heldRequest = send("/concurrency/hold", "2001:db8:8::1");
        Conditions.eventually("the first request is in flight", () -> upstream.requests("/hold") == before + 1);

        int sameNetwork = status("/concurrency/status/200", "2001:db8:8::2");
        int otherNetwork = status("/concurrency/status/200", "2001:db8:8:1::1");
        upstream.releaseHeld();

        assertThat(sameNetwork).as("another address of the same /64").isEqualTo(503);
        assertThat(otherNetwork).isEqualTo(200);
        assertThat(heldRequest.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void invalidPrefixIsRejected() {
        List<String> rejected = new ArrayList<>();
        List<JsonNode> values = List.of(IntNode.valueOf(0), IntNode.valueOf(129), TextNode.valueOf("64"),
                DoubleNode.valueOf(64.5));
        for (JsonNode value : values) {
            ObjectNode policy = RateLimitPolicyTest.rateLimit("[client-address]",
                    RateLimitPolicyTest.limit("per-hour", 1, "1h", null));
            ((ObjectNode) policy.get("config")).set("ipv6Prefix", value);

            JsonNode problem = node.admin("POST", "/admin/v1/routes", route("bad-prefix", policy), 400);

            assertThat(problem.get("errors")).as("ipv6Prefix %s", value).hasSize(1);
            assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].config.ipv6Prefix");
            rejected.add(problem.get("errors").get(0).get("message").asText());
        }

        assertThat(rejected).allSatisfy(message -> assertThat(message)
                .startsWith("must be a whole number from 1 to 128"));
    }

    @Test
    void concurrencyPrefixNeedsConsumerKey() {
        ObjectNode outOfRange = Json.MAPPER.createObjectNode().put("name", "concurrency-limit");
        outOfRange.putObject("config").put("max", 1).put("key", "consumer").put("ipv6Prefix", 200);
        ObjectNode byRoute = Json.MAPPER.createObjectNode().put("name", "concurrency-limit");
        byRoute.putObject("config").put("max", 1).put("ipv6Prefix", 64);

        JsonNode outOfRangeProblem = node.admin("POST", "/admin/v1/routes", route("bad-range", outOfRange), 400);
        JsonNode byRouteProblem = node.admin("POST", "/admin/v1/routes", route("bad-key", byRoute), 400);

        assertThat(outOfRangeProblem.get("errors").get(0).get("field").asText())
                .isEqualTo("policies[0].config.ipv6Prefix");
        assertThat(outOfRangeProblem.get("errors").get(0).get("message").asText())
                .startsWith("must be a whole number from 1 to 128");
        assertThat(byRouteProblem.get("errors").get(0).get("field").asText())
                .isEqualTo("policies[0].config.ipv6Prefix");
        assertThat(byRouteProblem.get("errors").get(0).get("message").asText())
                .startsWith("applies to key: consumer only");
    }

    private static ObjectNode route(String name, ObjectNode policy) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", name).put("service", "app");
        route.putArray("paths").add("/" + name);
        ArrayNode policies = route.putArray("policies");
        policies.add(policy);
        return route;
    }

    private static List<String> keys(String pattern) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            return ((List<?>) connection.call("KEYS", pattern)).stream().map(String::valueOf).toList();
        }
    }

    private static int status(String path, String clientAddress) throws Exception {
        return CLIENT.send(request(path, clientAddress), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    private static CompletableFuture<HttpResponse<String>> send(String path, String clientAddress) {
        return CLIENT.sendAsync(request(path, clientAddress), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpRequest request(String path, String clientAddress) {
        return HttpRequest.newBuilder(URI.create(node.url() + path)).header("X-Forwarded-For", clientAddress).build();
    }
}

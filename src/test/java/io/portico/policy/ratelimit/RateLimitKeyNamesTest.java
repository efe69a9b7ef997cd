package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.redis.KeyDigest;
import io.portico.testing.Configs;
import io.portico.testing.RespConnection;
import io.portico.testing.TestNode;
import io.portico.testing.TestRedis;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The keys that rate limits count on: digests in Redis names, the request text in memory unless it is long. */
class RateLimitKeyNamesTest {

    private static final String SECRET = "super-secret-api-key-XYZ";
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestRedis redis;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        upstream = TestUpstream.start("keys");
        Configs config = Configs.document();
        config.service("app", upstream.port());
        cluster(config.route("rl-apikey", "app", "/apikey"), "[\"header:apikey\"]");
        cluster(config.route("rl-anonymous", "app", "/anonymous"), "[consumer]");
        config.route("probe", "app", "/probe").putArray("policies").addObject().put("name", "request-key-probe")
                .putObject("config").putArray("key").add("header:apikey");
        node = TestNode.start(Map.of("redis.url", redis.url(), "redis.timeout", "2s"));
        node.apply(config.build());
    }

    private static void cluster(ObjectNode route, String key) {
        ObjectNode policy = RateLimitPolicyTest.rateLimit(key, RateLimitPolicyTest.limit("per-minute", 5, "60s", null));
        ((ObjectNode) policy.get("config")).put("mode", "cluster");
        route.putArray("policies").add(policy);
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        redis.close();
    }

    @Test
    void redisKeyCarriesDigestOfHeader() throws Exception {
        assertThat(get("/apikey", SECRET).statusCode()).isEqualTo(200);

        List<String> keys = keys("portico:rl:{route:rl-apikey/*");

        assertThat(keys).containsExactly("portico:rl:{route:rl-apikey/policies/0|"
                + KeyDigest.of("header:apikey=" + SECRET) + "}:per-minute:s60");
        assertThat(keys("*")).noneSatisfy(key -> assertThat(key).contains("secret"));
    }

    @Test
    void redisKeyCarriesDigestOfAddress() throws Exception {
        assertThat(get("/anonymous", null).statusCode()).isEqualTo(200);

        List<String> keys = keys("portico:rl:{route:rl-anonymous/*");

        assertThat(keys).containsExactly("portico:rl:{route:rl-anonymous/policies/0|"
                + KeyDigest.of("client-address=127.0.0.1") + "}:per-minute:s60");
        assertThat(keys("*")).noneSatisfy(key -> assertThat(key).contains("127.0.0.1"));
    }

    @Test
    void localKeyIsRequestText() throws Exception {
        HttpResponse<String> response = get("/probe", SECRET);

        assertThat(response.headers().firstValue(RequestKeyProbePolicyFactory.HEADER))
                .hasValue("header:apikey=" + SECRET);
    }

    @Test
    void longLocalKeyIsDigest() throws Exception {
        String longKey = "k".repeat(300);

        HttpResponse<String> response = get("/probe", longKey);

        assertThat(response.headers().firstValue(RequestKeyProbePolicyFactory.HEADER))
                .hasValue("sha256:" + KeyDigest.of("header:apikey=" + longKey));
    }

    private static List<String> keys(String pattern) {
        try (RespConnection connection = new RespConnection(redis.port())) {
            return ((List<?>) connection.call("KEYS", pattern)).stream().map(String::valueOf).toList();
        }
    }

    private static HttpResponse<String> get(String path, String apiKey) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        if (apiKey != null) {
            request.header("apikey", apiKey);
        }
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

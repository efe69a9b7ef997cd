package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The rate-limit policy in local mode on a real node: responses, fields, keys and validation. */
class RateLimitPolicyTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** One item of the RateLimit field: "name";r=N;t=N. */
    private static final Pattern STATE_ITEM = Pattern.compile("\"[A-Za-z0-9_.-]+\";r=\\d+;t=\\d+");

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("limited");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        limited(config.route("hourly", "app", "/hourly"), "[client-address]", limit("per-hour", 3, "1h", null));
        limited(config.route("two", "app", "/two"), "[client-address]", limit("per-second", 100, "1s", null),
                limit("per-hour", 5, "1h", null));
        limited(config.route("consumers", "app", "/consumers"), "[consumer]", limit("per-hour", 2, "1h", null));
        limited(config.route("tenants", "app", "/tenants"), "[\"header:X-Tenant\"]", limit("per-hour", 1, "1h", null));
        limited(config.route("claims", "app", "/claims"), "[\"claim:org\"]", limit("per-hour", 1, "1h", null));
        ObjectNode legacy = limited(config.route("legacy", "app", "/legacy"), "[client-address]",
                limit("per-hour", 4, "1h", "fixed-window"));
        policyConfig(legacy).put("legacyHeaders", true).put("headers", false);
        ObjectNode partitioned = limited(config.route("partitioned", "app", "/partitioned"), "[consumer]",
                limit("per-hour", 4, "1h", "token-bucket"));
        policyConfig(partitioned).put("partitionKey", true);
        config.resource("teams", "shop");
        ObjectNode api = config.resource("apis", "orders").put("team", "shop").put("subscriptionRequired", false);
        ArrayNode apiPolicies = api.putArray("policies");
        apiPolicies.addObject().put("name", "header-identity");
        apiPolicies.add(rateLimit("[api]", limit("per-hour", 3, "1h", null)));
        config.resource("consumers", "zed").put("team", "shop");
        ArrayNode guarded = config.route("guarded", "app", "/guarded").putArray("policies");
        guarded.add(rateLimit("[client-address]", limit("per-hour", 2, "1h", null)));
        guarded.addObject().put("name", "header-auth");
        ArrayNode authenticated = config.route("authenticated", "app", "/authenticated").putArray("policies");
        authenticated.add(rateLimit("[consumer]", limit("per-hour", 1, "1h", null)));
        authenticated.addObject().put("name", "header-auth");
        config.route("orders-list", "app", "/orders/list").put("api", "orders");
        config.route("orders-items", "app", "/orders/items").put("api", "orders");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void exhaustedLimitAnswersTooManyRequests() throws Exception {
        List<HttpResponse<String>> admitted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            admitted.add(get("/hourly", Map.of()));
        }
        int upstreamBefore = upstream.requests();

        HttpResponse<String> rejected = get("/hourly", Map.of());
        JsonNode problem = Json.MAPPER.readTree(rejected.body());

        assertThat(admitted).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(admitted.get(0).headers().firstValue("RateLimit")).hasValueSatisfying(value ->
                assertThat(value).startsWith("\"per-hour\";r=2;t="));
        assertThat(admitted.get(2).headers().firstValue("RateLimit")).hasValueSatisfying(value ->
                assertThat(value).startsWith("\"per-hour\";r=0;t="));
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(rejected.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(problem.get("type").asText()).isEqualTo("https://portico.dev/problems/rate-limited");
        assertThat(problem.get("detail").asText()).contains("'per-hour'");
        // A sliding window that is full waits for the rest of its window and a third of the next.
        String retryAfter = rejected.headers().firstValue("Retry-After").orElseThrow();
        assertThat(Long.parseLong(retryAfter)).isBetween(1200L, 4800L);
        assertThat(rejected.headers().firstValue("RateLimit-Policy")).hasValue("\"per-hour\";q=3;w=3600");
        assertThat(rejected.headers().firstValue("RateLimit")).hasValue("\"per-hour\";r=0;t=" + retryAfter);
        assertThat(upstream.requests()).isEqualTo(upstreamBefore);
    }

    @Test
    void fieldsListEveryLimit() throws Exception {
        HttpResponse<String> response = get("/two", Map.of());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("RateLimit-Policy"))
                .hasValue("\"per-second\";q=100;w=1, \"per-hour\";q=5;w=3600");
        String state = response.headers().firstValue("RateLimit").orElseThrow();
        assertThat(state.split(", ")).hasSize(2).allSatisfy(item -> assertThat(item).matches(STATE_ITEM));
        assertThat(state).contains("\"per-second\";r=99;t=1").contains("\"per-hour\";r=4;t=");
    }

    @Test
    void consumersCountSeparatelyAndAnonymousFallsBackToAddress() throws Exception {
        List<Integer> alice = statuses("/consumers", Map.of("X-Test-Consumer", "alice"), 3);
        List<Integer> bob = statuses("/consumers", Map.of("X-Test-Consumer", "bob"), 1);
        List<Integer> anonymous = statuses("/consumers", Map.of(), 3);

        assertThat(alice).containsExactly(200, 200, 429);
        assertThat(bob).containsExactly(200);
        assertThat(anonymous).containsExactly(200, 200, 429);
    }

    @Test
    void headerKeySeparatesTenants() throws Exception {
        List<Integer> acme = statuses("/tenants", Map.of("X-Tenant", "acme"), 2);
        List<Integer> globex = statuses("/tenants", Map.of("X-Tenant", "globex"), 1);
        List<Integer> missing = statuses("/tenants", Map.of(), 2);
        List<Integer> separator = statuses("/tenants", Map.of("X-Tenant", "acme|client-address=127.0.0.1"), 1);

        assertThat(acme).containsExactly(200, 429);
        assertThat(globex).containsExactly(200);
        assertThat(missing).containsExactly(200, 429);
        assertThat(separator).containsExactly(200);
    }

    @Test
    void claimKeyReadsIdentityClaims() throws Exception {
        List<Integer> first = statuses("/claims", Map.of("X-Test-Consumer", "carol",
                "X-Test-Claims", "{\"org\":\"initech\"}"), 2);
        List<Integer> sameOrg = statuses("/claims", Map.of("X-Test-Consumer", "dave",
                "X-Test-Claims", "{\"org\":\"initech\"}"), 1);
        List<Integer> otherOrg = statuses("/claims", Map.of("X-Test-Consumer", "erin",
                "X-Test-Claims", "{\"org\":\"umbrella\"}"), 1);

        assertThat(first).containsExactly(200, 429);
        assertThat(sameOrg).containsExactly(429);
        assertThat(otherOrg).containsExactly(200);
    }

    @Test
    void legacyFieldsReplaceDraftFields() throws Exception {
        HttpResponse<String> response = get("/legacy", Map.of());

        assertThat(response.headers().firstValue("X-RateLimit-Limit")).hasValue("4");
        assertThat(response.headers().firstValue("X-RateLimit-Remaining")).hasValue("3");
        assertThat(response.headers().firstValue("X-RateLimit-Reset")).hasValueSatisfying(value ->
                assertThat(Long.parseLong(value)).isBetween(1L, 3600L));
        assertThat(response.headers().firstValue("RateLimit")).isEmpty();
        assertThat(response.headers().firstValue("RateLimit-Policy")).isEmpty();
    }

    @Test
    void partitionKeyIdentifiesSharedQuota() throws Exception {
        HttpResponse<String> alice = get("/partitioned", Map.of("X-Test-Consumer", "frank"));
        HttpResponse<String> aliceAgain = get("/partitioned", Map.of("X-Test-Consumer", "frank"));
        HttpResponse<String> bob = get("/partitioned", Map.of("X-Test-Consumer", "grace"));

        String pk = partitionKey(alice.headers().firstValue("RateLimit").orElseThrow());
        assertThat(pk).matches(":[A-Za-z0-9+/]{16}:");
        assertThat(alice.headers().firstValue("RateLimit-Policy")).hasValue("\"per-hour\";q=4;w=3600;pk=" + pk);
        assertThat(partitionKey(aliceAgain.headers().firstValue("RateLimit").orElseThrow())).isEqualTo(pk);
        assertThat(partitionKey(bob.headers().firstValue("RateLimit").orElseThrow())).isNotEqualTo(pk);
        assertThat(alice.headers().firstValue("RateLimit").orElseThrow()).doesNotContain("frank");
    }

    @Test
    void apiPolicySharesCounterAcrossRoutes() throws Exception {
        List<Integer> statuses = new ArrayList<>();
        statuses.addAll(statuses("/orders/list", Map.of(), 2));
        statuses.addAll(statuses("/orders/items", Map.of(), 2));

        assertThat(statuses).containsExactly(200, 200, 200, 429);
    }

    @Test
    void addressLimitCountsRejectedCredentials() throws Exception {
        List<Integer> statuses = statuses("/guarded", Map.of("X-Test-Consumer", "mallory"), 3);

        assertThat(statuses).containsExactly(401, 401, 429);
    }

    @Test
    void consumerLimitRunsAfterAuthentication() throws Exception {
        List<Integer> anonymous = statuses("/authenticated", Map.of(), 3);
        List<Integer> zed = statuses("/authenticated", Map.of("X-Test-Consumer", "zed"), 2);

        assertThat(anonymous).containsExactly(401, 401, 401);
        assertThat(zed).containsExactly(200, 429);
    }

    @Test
    void invalidConfigurationIsRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "bad").put("service", "app");
        route.putArray("paths").add("/bad");
        ObjectNode policy = rateLimit("[client-address, \"cookie:x\"]", limit("per-hour", 0, "1500ms", "leaky"));
        ((ObjectNode) policy.get("config").get("limits").get(0)).put("burst", 5);
        ((ObjectNode) policy.get("config")).put("mode", "global").put("color", "red");
        route.putArray("policies").add(policy);

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        List<String> fields = new ArrayList<>();
        problem.get("errors").forEach(error -> fields.add(error.get("field").asText()));
        assertThat(fields).contains("policies[0].config.limits[0].max", "policies[0].config.limits[0].window",
                "policies[0].config.limits[0].algorithm", "policies[0].config.limits[0].burst",
                "policies[0].config.key[1]", "policies[0].config.mode", "policies[0].config.color");
    }

    @Test
    void missingLimitsAreRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "empty").put("service", "app");
        route.putArray("paths").add("/empty");
        route.putArray("policies").addObject().put("name", "rate-limit").putObject("config");

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].config.limits");
    }

    @Test
    void bareWindowIsMilliseconds() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "bare").put("service", "app");
        route.putArray("paths").add("/bare");
        ObjectNode policy = rateLimit("[client-address]", limit("per-second", 5, "unused", null));
        ((ObjectNode) policy.get("config").get("limits").get(0)).put("window", 1000);
        route.putArray("policies").add(policy);

        JsonNode created = node.admin("POST", "/admin/v1/routes", route, 201);

        assertThat(created.path("policies").get(0).path("config").path("limits").get(0).path("window").asLong())
                .isEqualTo(1000);
        node.admin("DELETE", "/admin/v1/routes/bare", null, 204);
    }

    @Test
    void windowOfMillisecondsNamesTheRule() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "split").put("service", "app");
        route.putArray("paths").add("/split");
        ObjectNode policy = rateLimit("[client-address]", limit("per-second", 5, "unused", null));
        ((ObjectNode) policy.get("config").get("limits").get(0)).put("window", 1500);
        route.putArray("policies").add(policy);

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        JsonNode error = problem.get("errors").get(0);
        assertThat(error.get("field").asText()).isEqualTo("policies[0].config.limits[0].window");
        assertThat(error.get("message").asText()).startsWith("is 1500ms, but must be whole seconds")
                .contains("a bare number is milliseconds, so 1000 is 1s");
    }

    @Test
    void repeatedKeyPartIsRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "twice").put("service", "app");
        route.putArray("paths").add("/twice");
        route.putArray("policies").add(rateLimit("[consumer, \"header:X-Tenant\", Consumer, \"header:x-tenant\"]",
                limit("per-hour", 1, "1h", null)));

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors")).hasSize(2);
        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].config.key[2]");
        assertThat(problem.get("errors").get(0).get("message").asText())
                .startsWith("repeats key part 'Consumer' of key[0]");
        assertThat(problem.get("errors").get(1).get("field").asText()).isEqualTo("policies[0].config.key[3]");
    }

    private static String partitionKey(String field) {
        return field.substring(field.indexOf(";pk=") + 4);
    }

    private static List<Integer> statuses(String path, Map<String, String> headers, int count) throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            statuses.add(get(path, headers).statusCode());
        }
        return statuses;
    }

    private static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    static ObjectNode limit(String name, long max, String window, String algorithm) {
        ObjectNode limit = Json.MAPPER.createObjectNode().put("name", name).put("max", max).put("window", window);
        if (algorithm != null) {
            limit.put("algorithm", algorithm);
        }
        return limit;
    }

    /** Returns a rate-limit policy reference with the key written in YAML flow style and {@code limits}. */
    static ObjectNode rateLimit(String key, ObjectNode... limits) {
        ObjectNode policy = Json.MAPPER.createObjectNode().put("name", "rate-limit");
        ObjectNode config = policy.putObject("config");
        try {
            config.set("key", Json.YAML.readTree(key));
        } catch (Exception e) {
            throw new IllegalArgumentException(key, e);
        }
        ArrayNode list = config.putArray("limits");
        for (ObjectNode limit : limits) {
            list.add(limit);
        }
        return policy;
    }

    private static ObjectNode limited(ObjectNode route, String key, ObjectNode... limits) {
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "header-identity");
        policies.add(rateLimit(key, limits));
        return route;
    }

    private static ObjectNode policyConfig(ObjectNode route) {
        return (ObjectNode) route.get("policies").get(1).get("config");
    }
}

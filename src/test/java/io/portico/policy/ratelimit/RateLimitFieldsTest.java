package io.portico.policy.ratelimit;

import static io.portico.policy.ratelimit.RateLimitPolicyTest.limit;
import static io.portico.policy.ratelimit.RateLimitPolicyTest.rateLimit;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The response fields of requests that several rate-limit policies check, on a real node: a global attachment, an
 * API's policy, a route's policies and a consumer attachment each add their own items.
 */
class RateLimitFieldsTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    /** The item of the global attachment's limit after a route's first request, whatever its t. */
    private static final String GLOBAL_POLICY = "\"per-day\";q=1000;w=86400";

    private static TestUpstream upstream;
    private static TestNode node;
    private static Configs config;
    private static ObjectNode resizedLimit;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("fields");
        node = TestNode.start();
        config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "quinn").put("team", "shop");
        config.resource("consumers", "ursula").put("team", "shop");

        ObjectNode global = config.resource("policies", "everywhere").put("type", "rate-limit");
        global.set("config", rateLimit("[client-address, route]", limit("per-day", 1000, "24h", null))
                .get("config"));
        ObjectNode attached = config.resource("policies", "quinn-limit").put("type", "rate-limit")
                .put("consumer", "quinn");
        attached.set("config", rateLimit("[consumer]", limit("per-hour", 2, "1h", null)).get("config"));

        ArrayNode stacked = config.route("stacked", "app", "/stacked").putArray("policies");
        stacked.add(rateLimit("[client-address]", limit("a", 3, "1h", null)));
        stacked.add(rateLimit("[client-address]", limit("a", 5, "24h", null)));

        ObjectNode api = config.resource("apis", "billing").put("team", "shop").put("subscriptionRequired", false);
        ObjectNode apiLimit = rateLimit("[client-address, route]", limit("per-hour", 3, "1h", null));
        ((ObjectNode) apiLimit.get("config")).put("legacyHeaders", true);
        api.putArray("policies").add(apiLimit);
        ObjectNode routeLimit = rateLimit("[client-address]", limit("per-hour", 10, "1h", null),
                limit("per-minute", 5, "1m", "fixed-window"));
        ((ObjectNode) routeLimit.get("config")).put("legacyHeaders", true);
        config.route("invoices", "app", "/invoices").put("api", "billing").putArray("policies").add(routeLimit);
        ObjectNode refundsLimit = rateLimit("[client-address]", limit("per-hour", 1, "1h", null));
        ((ObjectNode) refundsLimit.get("config")).put("legacyHeaders", true);
        config.route("refunds", "app", "/refunds").put("api", "billing").putArray("policies").add(refundsLimit);

        ArrayNode consumerRoute = config.route("attached", "app", "/attached").putArray("policies");
        consumerRoute.addObject().put("name", "header-identity");
        consumerRoute.add(rateLimit("[consumer]", limit("per-hour", 5, "1h", null)));

        ObjectNode bucketLimit = limit("bucket", 5, "1m", "token-bucket").put("burst", 2);
        ObjectNode bucket = rateLimit("[client-address]", bucketLimit);
        ((ObjectNode) bucket.get("config")).put("legacyHeaders", true);
        config.route("bucket", "app", "/bucket").putArray("policies").add(bucket);

        resizedLimit = limit("bucket", 1000, "10s", "token-bucket");
        config.route("resized", "app", "/resized").putArray("policies")
                .add(rateLimit("[client-address]", resizedLimit));

        ArrayNode quota = config.route("quota", "app", "/quota").putArray("policies");
        quota.addObject().put("name", "header-identity");
        quota.add(rateLimit("[consumer]", limit("per-hour", 1, "1h", null)));
        quota.addObject().put("name", "quota").putObject("config").put("limit", 5);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void twoRoutePoliciesKeepTheirItems() throws Exception {
        List<HttpResponse<String>> admitted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            admitted.add(get("/stacked", Map.of()));
        }
        HttpResponse<String> rejected = get("/stacked", Map.of());

        assertThat(admitted).extracting(HttpResponse::statusCode).containsOnly(200);
        assertThat(admitted.get(0).headers().allValues("RateLimit-Policy"))
                .containsExactly(GLOBAL_POLICY + ", \"a\";q=3;w=3600, \"a-2\";q=5;w=86400");
        assertThat(items(admitted.get(0))).containsExactly("\"per-day\";r=999", "\"a\";r=2", "\"a-2\";r=4");
        assertThat(items(admitted.get(2))).containsExactly("\"per-day\";r=997", "\"a\";r=0", "\"a-2\";r=2");
        // The 429 comes from the first route policy, so the second did not check the request.
        assertThat(rejected.statusCode()).isEqualTo(429);
        String retryAfter = rejected.headers().firstValue("Retry-After").orElseThrow();
        assertThat(rejected.headers().firstValue("RateLimit-Policy"))
                .hasValue(GLOBAL_POLICY + ", \"a\";q=3;w=3600");
        assertThat(rejected.headers().allValues("RateLimit")).singleElement().asString()
                .startsWith("\"per-day\";r=996;t=").endsWith(", \"a\";r=0;t=" + retryAfter);
    }

    @Test
    void apiAndRoutePoliciesBothAppear() throws Exception {
        HttpResponse<String> first = get("/invoices", Map.of());
        get("/invoices", Map.of());
        HttpResponse<String> third = get("/invoices", Map.of());
        HttpResponse<String> rejected = get("/invoices", Map.of());

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("RateLimit-Policy")).hasValue(GLOBAL_POLICY
                + ", \"per-hour\";q=3;w=3600, \"per-hour-2\";q=10;w=3600, \"per-minute\";q=5;w=60");
        assertThat(items(first)).containsExactly("\"per-day\";r=999", "\"per-hour\";r=2", "\"per-hour-2\";r=9",
                "\"per-minute\";r=4");
        // The legacy fields describe the API's limit, the closest to exhaustion of the policies that enable them.
        assertThat(first.headers().firstValue("X-RateLimit-Limit")).hasValue("3");
        assertThat(first.headers().firstValue("X-RateLimit-Remaining")).hasValue("2");
        assertThat(third.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(items(rejected)).containsExactly("\"per-day\";r=996", "\"per-hour\";r=0");
        assertThat(rejected.headers().firstValue("X-RateLimit-Limit")).hasValue("3");
        assertThat(rejected.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
    }

    @Test
    void routeRejectionShowsApiItem() throws Exception {
        HttpResponse<String> admitted = get("/refunds", Map.of());
        HttpResponse<String> rejected = get("/refunds", Map.of());

        assertThat(admitted.statusCode()).isEqualTo(200);
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(rejected.headers().firstValue("RateLimit-Policy"))
                .hasValue(GLOBAL_POLICY + ", \"per-hour\";q=3;w=3600, \"per-hour-2\";q=1;w=3600");
        // The API's policy admitted and counted the request before the route's rejected it.
        assertThat(items(rejected)).containsExactly("\"per-day\";r=998", "\"per-hour\";r=1",
                "\"per-hour-2\";r=0");
        assertThat(rejected.headers().firstValue("X-RateLimit-Remaining")).hasValue("0");
        assertThat(rejected.headers().firstValue("X-RateLimit-Limit")).hasValue("1");
    }

    @Test
    void consumerAttachmentAddsItsItems() throws Exception {
        Map<String, String> quinn = Map.of("X-Test-Consumer", "quinn");
        HttpResponse<String> first = get("/attached", quinn);
        get("/attached", quinn);
        HttpResponse<String> rejected = get("/attached", quinn);
        HttpResponse<String> other = get("/attached", Map.of("X-Test-Consumer", "ursula"));

        assertThat(first.headers().firstValue("RateLimit-Policy"))
                .hasValue(GLOBAL_POLICY + ", \"per-hour\";q=5;w=3600, \"per-hour-2\";q=2;w=3600");
        assertThat(items(first)).containsExactly("\"per-day\";r=999", "\"per-hour\";r=4", "\"per-hour-2\";r=1");
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(items(rejected)).containsExactly("\"per-day\";r=997", "\"per-hour\";r=2",
                "\"per-hour-2\";r=0");
        assertThat(other.headers().firstValue("RateLimit-Policy"))
                .hasValue(GLOBAL_POLICY + ", \"per-hour\";q=5;w=3600");
    }

    @Test
    void tokenBucketQuotaIsItsBurst() throws Exception {
        HttpResponse<String> first = get("/bucket", Map.of());
        HttpResponse<String> second = get("/bucket", Map.of());
        HttpResponse<String> rejected = get("/bucket", Map.of());

        // 5 per minute refill a bucket of 2 in 24 s, one token every 12 s.
        assertThat(first.headers().firstValue("RateLimit-Policy"))
                .hasValue(GLOBAL_POLICY + ", \"bucket\";q=2;w=24");
        assertThat(items(first)).endsWith("\"bucket\";r=1");
        assertThat(first.headers().firstValue("X-RateLimit-Limit")).hasValue("2");
        assertThat(second.statusCode()).isEqualTo(200);
        assertThat(items(second)).endsWith("\"bucket\";r=0");
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(Long.parseLong(rejected.headers().firstValue("Retry-After").orElseThrow())).isBetween(1L, 12L);
    }

    @Test
    void resizedTokenBucketKeepsTakenTokens() throws Exception {
        HttpResponse<String> first = get("/resized", Map.of());
        // At 1000 per 10 s the first request's token is back after 10 ms, so the bucket is full when it shrinks.
        Thread.sleep(50);
        resizedLimit.put("max", 1);
        node.apply(config.build());
        HttpResponse<String> lowered = get("/resized", Map.of());
        resizedLimit.put("max", 1000);
        node.apply(config.build());
        HttpResponse<String> raised = get("/resized", Map.of());

        assertThat(items(first)).endsWith("\"bucket\";r=999");
        assertThat(lowered.statusCode()).isEqualTo(200);
        assertThat(items(lowered)).endsWith("\"bucket\";r=0");
        // The request under max 1 took one token of the 1000 after the raise, not 10 s of refill at 1 per 10 s.
        assertThat(raised.statusCode()).isEqualTo(200);
        assertThat(items(raised)).endsWith("\"bucket\";r=998");
    }

    @Test
    void rateLimitRejectionCarriesNoQuotaState() throws Exception {
        Map<String, String> ursula = Map.of("X-Test-Consumer", "ursula");
        HttpResponse<String> admitted = get("/quota", ursula);
        HttpResponse<String> rejected = get("/quota", ursula);

        assertThat(admitted.headers().firstValue("X-Quota-Remaining")).hasValue("4");
        // The rate limit runs first, so the quota policy neither counted the rejected call nor looked it up.
        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(rejected.headers().firstValue("RateLimit")).isPresent();
        assertThat(rejected.headers().firstValue("X-Quota-Remaining")).isEmpty();
    }

    /** Returns the items of the RateLimit field without their t parameter, which depends on the clock. */
    private static List<String> items(HttpResponse<String> response) {
        List<String> values = response.headers().allValues("RateLimit");
        assertThat(values).hasSize(1);
        List<String> items = new ArrayList<>();
        for (String item : values.get(0).split(", ")) {
            items.add(item.replaceFirst(";t=\\d+", ""));
        }
        return items;
    }

    private static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.CountingPolicyFactory;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Routes of an API that requires subscriptions admit only consumers with an active subscription, checked right
 * after authentication and before any other policy, whatever order the route lists its policies in.
 */
class SubscriptionEnforcementTest {

    private static final String CONSUMER = "X-Test-Consumer";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("orders");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "payments");
        config.resource("apis", "orders").put("team", "payments");
        config.resource("apis", "catalog").put("team", "payments").put("subscriptionRequired", false);
        for (String consumer : new String[] {"alice", "bob", "carol", "dave", "erin", "frank"}) {
            config.resource("consumers", consumer).put("team", "payments");
        }
        subscription(config, "alice-orders", "alice", "active");
        subscription(config, "bob-orders", "bob", "pending");
        subscription(config, "carol-orders", "carol", "revoked");
        subscription(config, "dave-orders", "dave", "active").put("expiresAt", "2020-01-01T00:00:00Z");
        subscription(config, "dave-orders-later", "dave", "rejected");

        // The counting policy comes first in the list but runs after authentication and the subscription check.
        ObjectNode orders = config.route("orders", "app", "/orders").put("api", "orders");
        orders.putArray("policies").addObject().put("name", "count").putObject("config")
                .put("counter", "subscription-orders");
        orders.withArray("policies").addObject().put("name", "header-auth");
        ObjectNode catalog = config.route("catalog", "app", "/catalog").put("api", "catalog");
        catalog.putArray("policies").addObject().put("name", "header-auth").putObject("config")
                .put("optional", true);
        config.route("orders-open", "app", "/orders-open").put("api", "orders");
        ArrayNode optional = config.route("orders-optional", "app", "/orders-optional").put("api", "orders")
                .putArray("policies");
        optional.addObject().put("name", "key-auth").putObject("config").put("optional", true);
        optional.addObject().put("name", "basic-auth").putObject("config").put("optional", true)
                .put("realm", "partners");
        optional.addObject().put("name", "hmac").putObject("config").put("optional", true);
        node.apply(config.build());
    }

    private static ObjectNode subscription(Configs config, String name, String consumer, String status) {
        return config.resource("subscriptions", name).put("consumer", consumer).put("api", "orders")
                .put("status", status);
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void activeSubscriptionIsAdmitted() {
        HttpResponse<String> response = get(node, "/orders/echo", CONSUMER, "alice");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = json(response);
        assertThat(echo.at("/headers/x-policy-trace/0").asText()).isEqualTo("subscription-orders");
    }

    @Test
    void missingCredentialGets401FromAuthentication() {
        HttpResponse<String> response = get(node, "/orders/echo");

        assertProblem(response, 401, "unauthorized");
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Test");
    }

    @Test
    void unknownConsumerGets401() {
        assertProblem(get(node, "/orders/echo", CONSUMER, "mallory"), 401, "unauthorized");
    }

    @Test
    void consumerWithoutSubscriptionGets403() {
        JsonNode problem = assertProblem(get(node, "/orders/echo", CONSUMER, "erin"), 403, "subscription-required");

        assertThat(problem.path("detail").asText())
                .isEqualTo("consumer 'erin' has no active subscription to the API 'orders'");
    }

    @Test
    void pendingSubscriptionGets403() {
        assertProblem(get(node, "/orders/echo", CONSUMER, "bob"), 403, "subscription-required");
    }

    @Test
    void revokedSubscriptionGets403() {
        assertProblem(get(node, "/orders/echo", CONSUMER, "carol"), 403, "subscription-required");
    }

    @Test
    void expiredSubscriptionGets403() {
        assertProblem(get(node, "/orders/echo", CONSUMER, "dave"), 403, "subscription-required");
    }

    @Test
    void rejectedCallersReachNoLaterPolicy() {
        int before = CountingPolicyFactory.count("subscription-orders");
        int upstreamBefore = upstream.requests();

        for (String consumer : new String[] {"erin", "bob", "carol", "dave"}) {
            assertThat(get(node, "/orders/echo", CONSUMER, consumer).statusCode()).isEqualTo(403);
        }
        assertThat(get(node, "/orders/echo").statusCode()).isEqualTo(401);

        assertThat(CountingPolicyFactory.count("subscription-orders")).isEqualTo(before);
        assertThat(upstream.requests()).isEqualTo(upstreamBefore);
    }

    @Test
    void apiWithoutSubscriptionRequirementAdmitsEveryone() {
        assertThat(get(node, "/catalog/echo").statusCode()).isEqualTo(200);
        assertThat(get(node, "/catalog/echo", CONSUMER, "erin").statusCode()).isEqualTo(200);
    }

    @Test
    void routeWithoutAuthenticationGets401() {
        JsonNode problem = assertProblem(get(node, "/orders-open/echo", CONSUMER, "alice"), 401, "unauthorized");

        assertThat(problem.path("detail").asText()).contains("requires an authenticated consumer");
    }

    @Test
    void routeWithoutAuthenticationSendsChallenge() {
        HttpResponse<String> response = get(node, "/orders-open/echo");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().allValues("WWW-Authenticate")).containsExactly("Bearer realm=\"portico\"");
    }

    @Test
    void optionalAuthenticationSendsEveryChallenge() {
        HttpResponse<String> response = get(node, "/orders-optional/echo");

        assertProblem(response, 401, "unauthorized");
        assertThat(response.headers().allValues("WWW-Authenticate")).containsExactly(
                "ApiKey realm=\"portico\"",
                "Basic realm=\"partners\", charset=\"UTF-8\"",
                "HMAC-SHA256 realm=\"portico\", headers=\"x-date\"");
    }

    @Test
    void workflowDecisionsTakeEffectAtOnce() {
        ObjectNode request = Json.MAPPER.createObjectNode().put("consumer", "frank");
        JsonNode pending = node.admin("POST", "/admin/v1/apis/orders/subscriptions", request, 201);
        String name = pending.path("name").asText();
        assertThat(pending.path("status").asText()).isEqualTo("pending");
        assertProblem(get(node, "/orders/echo", CONSUMER, "frank"), 403, "subscription-required");

        node.admin("POST", "/admin/v1/subscriptions/" + name + "/approve", null, 200);
        assertThat(get(node, "/orders/echo", CONSUMER, "frank").statusCode()).isEqualTo(200);

        ObjectNode reason = Json.MAPPER.createObjectNode().put("reason", "contract ended");
        JsonNode revoked = node.admin("POST", "/admin/v1/subscriptions/" + name + "/revoke", reason, 200);
        assertThat(revoked.path("status").asText()).isEqualTo("revoked");
        assertProblem(get(node, "/orders/echo", CONSUMER, "frank"), 403, "subscription-required");
        assertThat(Instant.parse(revoked.at("/history/2/at").asText())).isBeforeOrEqualTo(Instant.now());
    }
}

package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The subscription workflow of the admin API: request, approve, reject, revoke, history and lists. */
class SubscriptionWorkflowTest {

    private static final String BASE = "/admin/v1";

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        Configs config = Configs.document();
        config.resource("teams", "payments");
        config.resource("apis", "orders").put("team", "payments").put("approval", "manual");
        config.resource("apis", "catalog").put("team", "payments").put("approval", "auto");
        String[] consumers = {"ann", "ben", "cat", "dan", "eve", "fay", "gus", "hal", "ida", "jon", "kim"};
        for (String consumer : consumers) {
            config.resource("consumers", consumer).put("team", "payments");
        }
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static ObjectNode body(String... fields) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        for (int i = 0; i + 1 < fields.length; i += 2) {
            body.put(fields[i], fields[i + 1]);
        }
        return body;
    }

    private static JsonNode request(String api, String consumer, int status) {
        return node.admin("POST", BASE + "/apis/" + api + "/subscriptions", body("consumer", consumer), status);
    }

    private static List<String> names(JsonNode list) {
        List<String> names = new ArrayList<>();
        list.path("items").forEach(item -> names.add(item.path("name").asText()));
        return names;
    }

    @Test
    void manualApprovalLeavesRequestPending() {
        HttpResponse<String> response = node.adminRaw("POST", BASE + "/apis/orders/subscriptions",
                body("consumer", "ann", "reason", "needs order data"));

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(response.headers().firstValue("Location")).hasValue(BASE + "/subscriptions/ann.orders");
        assertThat(response.headers().firstValue("ETag")).isPresent();
        JsonNode subscription = node.admin("GET", BASE + "/subscriptions/ann.orders", null, 200);
        assertThat(subscription.path("status").asText()).isEqualTo("pending");
        assertThat(subscription.path("consumer").asText()).isEqualTo("ann");
        assertThat(subscription.path("api").asText()).isEqualTo("orders");
        assertThat(subscription.path("history")).hasSize(1);
        JsonNode requested = subscription.path("history").get(0);
        assertThat(requested.path("status").asText()).isEqualTo("pending");
        assertThat(requested.path("by").asText()).isEqualTo("admin-token");
        assertThat(requested.path("reason").asText()).isEqualTo("needs order data");
        assertThat(Instant.parse(requested.path("at").asText())).isBeforeOrEqualTo(Instant.now());
    }

    @Test
    void autoApprovalActivatesAtOnce() {
        JsonNode subscription = request("catalog", "ann", 201);

        assertThat(subscription.path("status").asText()).isEqualTo("active");
        assertThat(subscription.path("history")).hasSize(2);
        assertThat(subscription.at("/history/0/status").asText()).isEqualTo("pending");
        assertThat(subscription.at("/history/1/status").asText()).isEqualTo("active");
        assertThat(subscription.at("/history/1/by").asText()).isEqualTo("auto");
    }

    @Test
    void approveRecordsDecisionAndExpiry() {
        request("orders", "ben", 201);

        JsonNode approved = node.admin("POST", BASE + "/subscriptions/ben.orders/approve",
                body("reason", "contract signed", "expiresAt", "2030-01-01T00:00:00Z"), 200);

        assertThat(approved.path("status").asText()).isEqualTo("active");
        assertThat(approved.path("reason").asText()).isEqualTo("contract signed");
        assertThat(approved.path("expiresAt").asText()).isEqualTo("2030-01-01T00:00:00Z");
        assertThat(approved.at("/history/1/status").asText()).isEqualTo("active");
        assertThat(approved.at("/history/1/by").asText()).isEqualTo("admin-token");
        assertThat(approved.at("/history/1/reason").asText()).isEqualTo("contract signed");
    }

    @Test
    void approveNeedsNoBody() {
        request("orders", "cat", 201);

        JsonNode approved = node.admin("POST", BASE + "/subscriptions/cat.orders/approve", null, 200);

        assertThat(approved.path("status").asText()).isEqualTo("active");
        assertThat(approved.at("/history/1").has("reason")).isFalse();
    }

    @Test
    void rejectRequiresReason() {
        request("orders", "dan", 201);

        JsonNode problem = node.admin("POST", BASE + "/subscriptions/dan.orders/reject", null, 400);
        JsonNode rejected = node.admin("POST", BASE + "/subscriptions/dan.orders/reject",
                body("reason", "no contract"), 200);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("reason");
        assertThat(rejected.path("status").asText()).isEqualTo("rejected");
        assertThat(rejected.path("reason").asText()).isEqualTo("no contract");
    }

    @Test
    void revokeOnlyActiveSubscription() {
        request("orders", "eve", 201);

        JsonNode pendingRevoke = node.admin("POST", BASE + "/subscriptions/eve.orders/revoke",
                body("reason", "abuse"), 409);
        node.admin("POST", BASE + "/subscriptions/eve.orders/approve", null, 200);
        JsonNode revoked = node.admin("POST", BASE + "/subscriptions/eve.orders/revoke", body("reason", "abuse"), 200);
        JsonNode secondApproval = node.admin("POST", BASE + "/subscriptions/eve.orders/approve", null, 409);

        assertThat(pendingRevoke.path("detail").asText())
                .isEqualTo("subscriptions/eve.orders is pending; only an active subscription can be revoked");
        assertThat(revoked.path("status").asText()).isEqualTo("revoked");
        assertThat(revoked.path("history")).hasSize(3);
        assertThat(secondApproval.path("type").asText()).endsWith("/conflict");
    }

    @Test
    void requestAgainReopensAsPending() {
        request("catalog", "fay", 201);
        node.admin("POST", BASE + "/subscriptions/fay.catalog/revoke", body("reason", "unpaid"), 200);

        JsonNode reopened = request("catalog", "fay", 200);

        assertThat(reopened.path("name").asText()).isEqualTo("fay.catalog");
        assertThat(reopened.path("status").asText()).isEqualTo("pending");
        assertThat(reopened.path("history")).hasSize(4);
    }

    @Test
    void secondRequestConflicts() {
        request("orders", "gus", 201);

        JsonNode problem = request("orders", "gus", 409);

        assertThat(problem.path("detail").asText())
                .isEqualTo("consumer 'gus' already has the pending subscription 'gus.orders' to the API 'orders'");
    }

    @Test
    void directSecondOpenSubscriptionRejected() {
        request("orders", "jon", 201);
        ObjectNode second = body("consumer", "jon", "api", "orders", "status", "pending");

        JsonNode problem = node.admin("PUT", BASE + "/subscriptions/jon.orders.second", second, 400);

        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("status");
        assertThat(problem.at("/errors/0/message").asText()).contains("'jon'", "[jon.orders]", "'orders'");
        node.admin("GET", BASE + "/subscriptions/jon.orders.second", null, 404);
    }

    @Test
    void directSubscriptionBesideRejectedOneAccepted() {
        request("orders", "kim", 201);
        node.admin("POST", BASE + "/subscriptions/kim.orders/reject", body("reason", "no contract"), 200);
        ObjectNode second = body("consumer", "kim", "api", "orders", "status", "pending");

        JsonNode created = node.admin("PUT", BASE + "/subscriptions/kim.orders.second", second, 201);

        assertThat(created.path("status").asText()).isEqualTo("pending");
    }

    @Test
    void requestNamingUnknownConsumerIsRejected() {
        JsonNode problem = request("orders", "nobody", 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("consumer");
    }

    @Test
    void requestToUnknownApiIsNotFound() {
        request("nowhere", "ann", 404);
    }

    @Test
    void requestWithUnknownFieldIsRejected() {
        JsonNode problem = node.admin("POST", BASE + "/apis/orders/subscriptions",
                body("consumer", "hal", "status", "active"), 400);

        assertThat(problem.at("/errors/0/message").asText()).contains("unknown field 'status'");
    }

    @Test
    void requestTakesExplicitName() {
        JsonNode subscription = node.admin("POST", BASE + "/apis/orders/subscriptions",
                body("consumer", "hal", "name", "hal-orders-2027"), 201);

        assertThat(subscription.path("name").asText()).isEqualTo("hal-orders-2027");
    }

    @Test
    void decisionHonoursIfMatch() {
        request("orders", "ida", 201);

        HttpResponse<String> stale = node.adminRaw("POST", BASE + "/subscriptions/ida.orders/approve", null,
                Map.of("If-Match", "\"1\""));

        assertThat(stale.statusCode()).isEqualTo(412);
    }

    @Test
    void listsFilterByConsumerApiAndStatus() {
        request("orders", "cat", 409);
        JsonNode byConsumer = node.admin("GET", BASE + "/consumers/ann/subscriptions", null, 200);
        JsonNode byApi = node.admin("GET", BASE + "/apis/catalog/subscriptions", null, 200);
        JsonNode rejected = node.admin("GET", BASE + "/subscriptions?status=rejected", null, 200);
        JsonNode annPending = node.admin("GET", BASE + "/subscriptions?consumer=ann&status=pending", null, 200);
        JsonNode either = node.admin("GET", BASE + "/subscriptions?consumer=ann&consumer=ben", null, 200);

        assertThat(names(byConsumer)).contains("ann.orders", "ann.catalog").allMatch(name -> name.startsWith("ann."));
        assertThat(names(byApi)).contains("ann.catalog").allMatch(name -> name.endsWith(".catalog"));
        assertThat(names(rejected)).contains("dan.orders")
                .allSatisfy(name -> assertThat(name).doesNotStartWith("ann."));
        assertThat(names(annPending)).containsExactly("ann.orders");
        assertThat(names(either)).contains("ann.orders", "ben.orders")
                .allMatch(name -> name.startsWith("ann.") || name.startsWith("ben."));
    }

    @Test
    void listOfUnknownConsumerIsNotFound() {
        node.admin("GET", BASE + "/consumers/nobody/subscriptions", null, 404);
    }

    @Test
    void filterOnUnknownFieldIsRejected() {
        JsonNode problem = node.admin("GET", BASE + "/subscriptions?colour=red", null, 400);

        assertThat(problem.path("detail").asText()).contains("cannot filter subscriptions on 'colour'");
    }

    @Test
    void routesFilterByApi() {
        ObjectNode route = body("name", "orders-route", "service", "svc", "api", "orders");
        node.admin("POST", BASE + "/services", body("name", "svc").set("targets",
                Json.MAPPER.createArrayNode().add(body("host", "127.0.0.1").put("port", 9))), 201);
        node.admin("POST", BASE + "/routes", route, 201);

        JsonNode routes = node.admin("GET", BASE + "/routes?api=orders", null, 200);
        JsonNode none = node.admin("GET", BASE + "/routes?api=catalog", null, 200);

        assertThat(names(routes)).containsExactly("orders-route");
        assertThat(names(none)).isEmpty();
    }
}

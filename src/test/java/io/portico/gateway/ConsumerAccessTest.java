package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Consumers' allow and deny lists of routes and their allowed methods, checked after authentication. */
class ConsumerAccessTest {

    private static final String CONSUMER = "X-Test-Consumer";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("app");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "payments");
        config.resource("consumers", "free").put("team", "payments");
        config.resource("consumers", "reader").put("team", "payments").putObject("access").putArray("methods")
                .add("GET").add("head");
        ObjectNode partner = config.resource("consumers", "partner").put("team", "payments")
                .putObject("access").putObject("routes");
        partner.putArray("allow").add("orders-*");
        partner.putArray("deny").add("orders-admin");
        config.resource("consumers", "blocked").put("team", "payments").putObject("access").putObject("routes")
                .putArray("deny").add("*");
        // One global authentication policy covers every route; optional, so anonymous requests reach 'public'.
        config.resource("policies", "authentication").put("type", "header-auth").putObject("config")
                .put("optional", true);
        config.route("orders-list", "app", "/orders");
        config.route("orders-admin", "app", "/orders-admin");
        config.route("reports", "app", "/reports");
        config.route("public", "app", "/public");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void consumerWithoutAccessRulesReachesEveryRoute() {
        for (String path : new String[] {"/orders/echo", "/orders-admin/echo", "/reports/echo"}) {
            assertThat(get(node, path, CONSUMER, "free").statusCode()).as(path).isEqualTo(200);
        }
        assertThat(GatewayClient.send(node, "DELETE", "/orders/echo", CONSUMER, "free").statusCode()).isEqualTo(200);
    }

    @Test
    void methodOutsideListGets403() {
        JsonNode problem = assertProblem(GatewayClient.send(node, "DELETE", "/orders/echo", CONSUMER, "reader"),
                403, "forbidden");

        assertThat(problem.path("detail").asText()).isEqualTo("consumer 'reader' may not use the method DELETE");
        assertThat(get(node, "/orders/echo", CONSUMER, "reader").statusCode()).isEqualTo(200);
        assertThat(GatewayClient.send(node, "HEAD", "/orders/echo", CONSUMER, "reader").statusCode()).isEqualTo(200);
    }

    @Test
    void allowedRoutePatternAdmits() {
        assertThat(get(node, "/orders/echo", CONSUMER, "partner").statusCode()).isEqualTo(200);
    }

    @Test
    void denyWinsOverAllow() {
        JsonNode problem = assertProblem(get(node, "/orders-admin/echo", CONSUMER, "partner"), 403, "forbidden");

        assertThat(problem.path("detail").asText()).isEqualTo("consumer 'partner' may not call this route");
    }

    @Test
    void routeOutsideAllowListGets403() {
        assertProblem(get(node, "/reports/echo", CONSUMER, "partner"), 403, "forbidden");
    }

    @Test
    void denyAllBlocksEveryRoute() {
        int before = upstream.requests();

        for (String path : new String[] {"/orders/echo", "/reports/echo", "/public/echo"}) {
            assertProblem(get(node, path, CONSUMER, "blocked"), 403, "forbidden");
        }

        assertThat(upstream.requests()).isEqualTo(before);
    }

    @Test
    void anonymousRequestSkipsConsumerRules() {
        assertThat(get(node, "/public/echo").statusCode()).isEqualTo(200);
    }

    @Test
    void patternWithInnerWildcardIsRejected() {
        ObjectNode consumer = Json.MAPPER.createObjectNode().put("name", "odd").put("team", "payments");
        consumer.putObject("access").putObject("models").putArray("allow").add("open*/gpt");

        JsonNode problem = node.admin("POST", "/admin/v1/consumers", consumer, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("access.models.allow[0]");
    }

    @Test
    void unknownMethodIsRejected() {
        ObjectNode consumer = Json.MAPPER.createObjectNode().put("name", "odd").put("team", "payments");
        consumer.putObject("access").putArray("methods").add("FETCH");

        JsonNode problem = node.admin("POST", "/admin/v1/consumers", consumer, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("access.methods[0]");
    }
}

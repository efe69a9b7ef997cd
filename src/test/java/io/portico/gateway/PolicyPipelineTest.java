package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Policies named in routes run in the pipeline, and unknown or invalid ones are rejected when written. */
class PolicyPipelineTest {

    private static TestUpstream upstream;
    private static TestNode node;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("policies");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        ObjectNode stamped = config.route("stamped", "app", "/stamped");
        stamped.putArray("policies").addObject().put("name", "stamp").putObject("config").put("value", "s1");
        ObjectNode blocked = config.route("blocked", "app", "/blocked");
        blocked.putArray("policies").addObject().put("name", "stamp").putObject("config")
                .put("value", "s2").put("block", true);
        config.resource("teams", "payments");
        // Without authentication on these routes, an API that requires subscriptions would answer 401.
        ObjectNode api = config.resource("apis", "orders").put("team", "payments").put("subscriptionRequired", false);
        api.putArray("policies").addObject().put("name", "stamp").putObject("config").put("value", "api");
        config.route("api-only", "app", "/orders").put("api", "orders");
        ObjectNode both = config.route("api-and-route", "app", "/orders/special").put("api", "orders");
        both.putArray("policies").addObject().put("name", "stamp").putObject("config").put("value", "route");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void policyChangesRequestAndResponse() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/stamped"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("headers").get("x-stamp").get(0).asText()).isEqualTo("s1");
        assertThat(response.headers().firstValue("X-Stamp")).hasValue("s1");
    }

    @Test
    void policyEndsRequestBeforeUpstream() throws Exception {
        int before = upstream.requests();

        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/blocked"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(418);
        assertThat(upstream.requests()).isEqualTo(before);
    }

    @Test
    void apiPoliciesRunOnEachRouteOfTheApi() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/orders"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("X-Stamp")).hasValue("api");
    }

    @Test
    void routePoliciesRunAfterApiPolicies() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(
                URI.create(node.url() + "/orders/special")).build(), HttpResponse.BodyHandlers.ofString());

        JsonNode echo = Json.MAPPER.readTree(response.body());
        assertThat(echo.get("headers").get("x-stamp").get(0).asText()).isEqualTo("route");
    }

    @Test
    void routeNamingMissingApiIsRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "lost").put("service", "app").put("api", "nope");
        route.putArray("paths").add("/lost");

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("api");
    }

    @Test
    void unknownPolicyTypeIsRejected() {
        ObjectNode route = routeWithPolicy("nonexistent", Json.MAPPER.createObjectNode());

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].name");
        assertThat(problem.get("errors").get(0).get("message").asText()).contains("unknown policy type");
    }

    @Test
    void invalidPolicyConfigIsRejected() {
        ObjectNode route = routeWithPolicy("stamp", Json.MAPPER.createObjectNode().put("value", 5));

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].config.value");
    }

    private static ObjectNode routeWithPolicy(String policy, ObjectNode config) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "candidate").put("service", "app");
        route.putArray("paths").add("/candidate");
        route.putArray("policies").addObject().put("name", policy).set("config", config);
        return route;
    }
}

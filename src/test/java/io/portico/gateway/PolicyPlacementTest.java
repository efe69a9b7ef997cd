package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.FieldError;
import io.portico.declarative.DeclarativeDocument;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Policies that are valid on their own but not on a route they run on, such as {@code quota} with
 * {@code scope: api} on a route of no API: validation, the admin API and a real node reject them.
 */
class PolicyPlacementTest {

    private static TestUpstream upstream;
    private static TestNode node;
    private static long version;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("placement");
        node = TestNode.start();
        node.apply(base().build());
        version = node.portico().configVersion();
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    /** Returns a document with a service and a route of no API. */
    private static Configs base() {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("plain", "up", "/plain");
        return config;
    }

    private static ObjectNode apiQuota(ArrayNode policies) {
        ObjectNode quota = policies.addObject().put("name", "quota");
        quota.putObject("config").put("limit", 2).put("scope", "api");
        return quota;
    }

    @Test
    void applyRejectsApiQuotaOnRouteWithoutApi() {
        Configs config = base();
        ArrayNode policies = config.route("qapi", "up", "/qapi").putArray("policies");
        policies.addObject().put("name", "header-auth");
        apiQuota(policies);

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText())
                .isEqualTo("routes[1].policies[1].config.scope");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .contains("route 'qapi' belongs to no API");
        assertUnchanged();
    }

    @Test
    void diffRejectsApiQuotaOnRouteWithoutApi() {
        Configs config = base();
        apiQuota(config.route("qapi", "up", "/qapi").putArray("policies"));

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/diff", config.build());

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors").get(0).path("field").asText())
                .isEqualTo("routes[1].policies[0].config.scope");
    }

    @Test
    void routeWriteRejectsApiQuotaWithoutApi() {
        ObjectNode route = base().route("qapi", "up", "/qapi");
        apiQuota(route.putArray("policies"));

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("policies[0].config.scope");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/qapi", null).statusCode()).isEqualTo(404);
        assertUnchanged();
    }

    @Test
    void globalApiQuotaIsRejectedOnce() {
        Configs config = base();
        config.route("other", "up", "/other");
        ObjectNode attachment = config.resource("policies", "q").put("type", "quota");
        attachment.putObject("config").put("limit", 1000).put("scope", "api");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        JsonNode error = problem.path("errors").get(0);
        assertThat(error.path("field").asText()).isEqualTo("policies[0].config.scope");
        assertThat(error.path("message").asText()).contains("route 'other' belongs to no API")
                .contains("the same applies to 1 other route(s)");
        assertUnchanged();
    }

    @Test
    void apiQuotaOnRouteOfApiIsAccepted() {
        Configs config = base();
        config.resource("apis", "shop");
        ObjectNode route = config.route("qapi", "up", "/qapi").put("api", "shop");
        apiQuota(route.putArray("policies"));

        List<FieldError> errors = DeclarativeDocument.parseLiteral(config.build().toString()).validate();

        assertThat(errors).isEmpty();
    }

    @Test
    void offlineValidationRejectsApiQuotaWithoutApi() {
        Configs config = base();
        apiQuota(config.route("qapi", "up", "/qapi").putArray("policies"));

        List<FieldError> errors = DeclarativeDocument.parseLiteral(config.build().toString()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("routes[1].policies[0].config.scope");
    }

    @Test
    void tokenLimitOnRestRouteIsRejected() {
        ObjectNode route = base().route("rest", "up", "/rest");
        ObjectNode limit = route.putArray("policies").addObject().put("name", "token-limit");
        limit.putObject("config").putArray("limits").addObject().put("by", "consumer").put("requestsPerMinute", 2);

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("policies[0].name");
        assertThat(problem.path("errors").get(0).path("message").asText()).contains("route 'rest' has no ai section");
        assertUnchanged();
    }

    @Test
    void globalTokenLimitIsAcceptedWithRestRoutes() {
        Configs config = base();
        ObjectNode attachment = config.resource("policies", "tokens").put("type", "token-limit");
        attachment.putObject("config").putArray("limits").addObject().put("by", "consumer")
                .put("requestsPerMinute", 2);

        List<FieldError> errors = DeclarativeDocument.parseLiteral(config.build().toString()).validate();

        assertThat(errors).isEmpty();
    }

    @Test
    void tokenLimitRepeatingByIsRejected() {
        Configs config = base();
        ObjectNode attachment = config.resource("policies", "tokens").put("type", "token-limit");
        ArrayNode limits = attachment.putObject("config").putArray("limits");
        limits.addObject().put("by", "consumer").put("requestsPerMinute", 2);
        limits.addObject().put("by", "consumer").put("tokensPerMinute", 2000);

        List<FieldError> errors = DeclarativeDocument.parseLiteral(config.build().toString()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("policies[0].config.limits[1].by");
        assertThat(errors.get(0).message()).contains("as in limits[0]");
    }

    private static void assertUnchanged() {
        assertThat(node.portico().configVersion()).isEqualTo(version);
        assertThat(get(node, "/plain").statusCode()).isEqualTo(200);
    }
}

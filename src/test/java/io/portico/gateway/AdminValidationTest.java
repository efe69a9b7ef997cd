package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Validation, references and optimistic concurrency of the admin API of a real node. */
class AdminValidationTest {

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("admin");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("used", upstream.port());
        config.service("versioned", upstream.port());
        config.route("user", "used", "/used").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void routeToMissingServiceIs400NamingService() {
        ObjectNode route = JsonNodeFactory.instance.objectNode().put("name", "orphan").put("service", "missing");
        route.putArray("paths").add("/orphan");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("service");
        assertThat(problem.path("errors").get(0).path("message").asText()).contains("'missing'");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/orphan", null).statusCode()).isEqualTo(404);
        assertProblem(get(node, "/orphan"), 404, "route-not-found");
    }

    @Test
    void regexPathWithSemicolonIs400NamingField() {
        ObjectNode route = JsonNodeFactory.instance.objectNode().put("name", "parameters").put("service", "used");
        route.putArray("paths").add("/fine").add("~^/a;b");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("paths[1]");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .contains("must not contain ';'").contains("without the ;parameters");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/parameters", null).statusCode()).isEqualTo(404);
    }

    @Test
    void spacedDurationIs400NamingField() {
        ObjectNode service = JsonNodeFactory.instance.objectNode().put("name", "spaced");
        service.putArray("targets").addObject().put("host", "127.0.0.1").put("port", upstream.port());
        service.putObject("timeouts").put("connect", " 5s");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/services", service);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("timeouts.connect");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .isEqualTo("invalid value ' 5s': expected a duration such as 250ms, 5s, 2m or 1h, or a whole "
                        + "number of milliseconds, at most 365 days");
        assertThat(node.adminRaw("GET", "/admin/v1/services/spaced", null).statusCode()).isEqualTo(404);
    }

    @Test
    void policyDurationErrorNamesAcceptedForms() {
        ObjectNode route = JsonNodeFactory.instance.objectNode().put("name", "windowed").put("service", "used");
        route.putArray("paths").add("/windowed");
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "rate-limit").putObject("config").putArray("limits").addObject()
                .put("name", "per-minute").put("max", 10).put("window", "1 minute");
        policies.addObject().put("name", "concurrency-limit").putObject("config").put("max", 4)
                .put("queue", 2).put("queueTimeout", "500");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(2);
        assertThat(problem.path("errors").get(0).path("field").asText())
                .isEqualTo("policies[0].config.limits[0].window");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .isEqualTo("invalid duration '1 minute': expected a duration such as 250ms, 5s, 2m or 1h, or a whole"
                        + " number of milliseconds such as 1500, at most 365 days");
        assertThat(problem.path("errors").get(1).path("field").asText())
                .isEqualTo("policies[1].config.queueTimeout");
        assertThat(problem.path("errors").get(1).path("message").asText())
                .isEqualTo("invalid duration '500': a whole number of milliseconds must be a JSON number, such as 500"
                        + " without quotes, and a string needs a unit, such as '500ms'");
    }

    @Test
    void deletingServiceInUseIs409() {
        HttpResponse<String> response = node.adminRaw("DELETE", "/admin/v1/services/used", null);

        JsonNode problem = assertProblem(response, 409, "conflict");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("routes/user.service");
        assertThat(node.adminRaw("GET", "/admin/v1/services/used", null).statusCode()).isEqualTo(200);
        assertThat(get(node, "/used/echo").statusCode()).isEqualTo(200);
    }

    @Test
    void staleIfMatchIs412() {
        HttpResponse<String> read = node.adminRaw("GET", "/admin/v1/services/versioned", null);
        String firstEtag = read.headers().firstValue("ETag").orElseThrow();
        ObjectNode spec = (ObjectNode) json(read);
        spec.withArray("targets").addObject().put("host", "127.0.0.1").put("port", upstream.port() + 1);
        HttpResponse<String> updated = node.adminRaw("PUT", "/admin/v1/services/versioned", spec,
                Map.of("If-Match", firstEtag));
        assertThat(updated.statusCode()).isEqualTo(200);
        String secondEtag = updated.headers().firstValue("ETag").orElseThrow();
        assertThat(secondEtag).isNotEqualTo(firstEtag);

        ObjectNode stale = (ObjectNode) json(read);
        HttpResponse<String> put = node.adminRaw("PUT", "/admin/v1/services/versioned", stale,
                Map.of("If-Match", firstEtag));
        HttpResponse<String> delete = node.adminRaw("DELETE", "/admin/v1/services/versioned", null,
                Map.of("If-Match", firstEtag));

        assertProblem(put, 412, "precondition-failed");
        assertProblem(delete, 412, "precondition-failed");
        HttpResponse<String> current = node.adminRaw("GET", "/admin/v1/services/versioned", null);
        assertThat(current.headers().firstValue("ETag")).hasValue(secondEtag);
        assertThat(json(current).path("targets")).hasSize(2);
    }
}

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
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin API of a real node compiles each change with the node's own data plane before storing it, so that a
 * configuration that validation accepts but the gateway cannot compile is rejected with 400 rather than stored.
 * The {@code uncompilable} test policy passes validation and fails to compile.
 */
class CompileCheckTest {

    private static TestUpstream upstream;
    private static TestNode node;
    private static long storeVersion;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("compile");
        node = TestNode.start();
        node.apply(base().build());
        storeVersion = node.portico().store().version();
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    private static Configs base() {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("plain", "up", "/plain");
        return config;
    }

    @Test
    void applyOfUncompilableRouteIs400() {
        Configs config = base();
        config.route("broken", "up", "/broken").putArray("policies").addObject().put("name", "uncompilable");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText())
                .isEqualTo("routes[1].policies[0].config.reason");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .isEqualTo("is rejected by the data plane only");
        assertUnchanged();
    }

    @Test
    void zeroKeepAliveIs400() {
        ObjectNode service = Json.MAPPER.createObjectNode().put("name", "idle");
        service.putArray("targets").addObject().put("host", "127.0.0.1").put("port", upstream.port());
        service.putObject("pool").put("keepAlive", "0s");

        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/services", service);
        Configs config = base();
        config.service("idle", upstream.port()).putObject("pool").put("keepAlive", "0s");
        HttpResponse<String> applied = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        JsonNode problem = assertProblem(created, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("pool.keepAlive");
        problem = assertProblem(applied, 400, "invalid-configuration");
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("services[1].pool.keepAlive");
        assertUnchanged();
    }

    @Test
    void connectTimeoutAboveIntRangeServes() {
        Configs config = base();
        config.service("patient", upstream.port()).putObject("timeouts").put("connect", "720h");
        config.route("patient", "patient", "/patient").put("stripPrefix", true);
        node.apply(config.build());
        try {
            assertThat(get(node, "/patient/echo").statusCode()).isEqualTo(200);
        } finally {
            node.apply(base().build());
            storeVersion = node.portico().store().version();
        }
    }

    @Test
    void diffOfUncompilableRouteIs400() {
        Configs config = base();
        config.route("broken", "up", "/broken").putArray("policies").addObject().put("name", "uncompilable");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/diff", config.build());

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors").get(0).path("field").asText())
                .isEqualTo("routes[1].policies[0].config.reason");
    }

    @Test
    void routeWriteOfUncompilablePolicyIs400() {
        ObjectNode route = base().route("broken", "up", "/broken");
        route.putArray("policies").addObject().put("name", "uncompilable");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes", route);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("policies[0].config.reason");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/broken", null).statusCode()).isEqualTo(404);
        assertUnchanged();
    }

    @Test
    void globalAttachmentThatCrashesIs400NamingIt() {
        ObjectNode attachment = base().resource("policies", "crashing").put("type", "uncompilable");
        attachment.putObject("config").put("crash", true);

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/policies", attachment);

        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("config");
        assertThat(problem.path("errors").get(0).path("message").asText())
                .contains("could not be compiled into a 'uncompilable' policy")
                .contains("test factory crashed");
        assertUnchanged();
    }

    private static void assertUnchanged() {
        assertThat(node.portico().store().version()).isEqualTo(storeVersion);
        assertThat(get(node, "/plain").statusCode()).isEqualTo(200);
    }
}

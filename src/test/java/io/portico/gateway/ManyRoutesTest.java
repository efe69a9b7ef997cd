package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Ten thousand routes applied in one declarative document, then served by a real node. */
class ManyRoutesTest {

    private static final int ROUTES = 10_000;
    /** Maximum wait for the apply. It only bounds a hang, because the time depends on the machine's load. */
    private static final Duration APPLY_TIMEOUT = Duration.ofMinutes(5);

    private static TestUpstream upstream;
    private static TestNode node;
    private static JsonNode report;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("many");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("many", upstream.port());
        for (int i = 0; i < ROUTES; i++) {
            ObjectNode route = config.route("r" + i, "many", "/api/r" + i);
            route.put("stripPrefix", true);
            route.putObject("requestHeaders").putObject("set").put("X-Route", "r" + i);
        }
        report = node.apply(config.build(), APPLY_TIMEOUT);
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void applyCreatesEveryRoute() {
        assertThat(report.path("created")).hasSize(ROUTES + 1);
        JsonNode status = node.admin("GET", "/admin/v1/status", null, 200);
        assertThat(status.path("resources").path("routes").asInt()).isEqualTo(ROUTES);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 10, 4_999, 5_000, 9_998, 9_999})
    void routeIsProxiedToItsUpstream(int index) {
        HttpResponse<String> response = get(node, "/api/r" + index + "/items?page=2");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode echo = json(response);
        assertThat(echo.path("uri").asText()).isEqualTo("/items?page=2");
        assertThat(echo.path("headers").path("x-route").get(0).asText()).isEqualTo("r" + index);
    }

    @Test
    void pathBeyondLastRouteIsNotFound() {
        assertProblem(get(node, "/api/r" + ROUTES), 404, "route-not-found");
    }
}

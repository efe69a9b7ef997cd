package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The admin routes that take a fixed set of query parameters reject any other one, and a repeated one, with 400,
 * as resource lists do, so that a misspelt filter is not ignored. The cache purge is tested with the cache policy.
 */
class AdminQueryParametersTest {

    private static final String AUDIT_FILTERS = "kind, name, actor, operation, team, since, until";

    private static TestNode node;

    /** A request with one unknown parameter, and the parameters that the error must list. */
    private record Rejected(String path, String parameter, String accepted) {
    }

    @BeforeAll
    static void start() {
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void unknownParametersAreRejected() throws Exception {
        List<Rejected> cases = List.of(
                new Rejected("/admin/v1/quotas?consumr=acme", "consumr", "consumer"),
                new Rejected("/admin/v1/budgets?consumer=acme", "consumer", "subject"),
                new Rejected("/admin/v1/audit?kinds=routes", "kinds", AUDIT_FILTERS + ", limit, cursor"),
                new Rejected("/admin/v1/audit/export?limit=10", "limit", AUDIT_FILTERS),
                new Rejected("/admin/v1/config?formt=yaml", "formt", "format"));
        for (Rejected rejected : cases) {
            String path = rejected.path();

            HttpResponse<String> response = node.adminRaw("GET", path, null);

            assertThat(response.statusCode()).as(path).isEqualTo(400);
            assertThat(response.headers().firstValue("content-type")).as(path).contains("application/problem+json");
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.path("type").asText()).as(path).isEqualTo("https://portico.dev/problems/bad-request");
            assertThat(problem.path("detail").asText()).as(path).isEqualTo("unknown query parameter '"
                    + rejected.parameter() + "'; GET " + path.substring(0, path.indexOf('?')) + " takes "
                    + rejected.accepted());
        }
    }

    @Test
    void repeatedParameterIsRejected() throws Exception {
        HttpResponse<String> response = node.adminRaw("GET", "/admin/v1/quotas?consumer=acme&consumer=globex", null);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(response.body()).path("detail").asText())
                .isEqualTo("query parameter 'consumer' is given 2 times; give it once");
    }

    @Test
    void knownParametersAreAccepted() {
        List<String> paths = List.of("/admin/v1/quotas?consumer=acme", "/admin/v1/budgets?subject=acme",
                "/admin/v1/audit?kind=routes&limit=5&cursor=100", "/admin/v1/audit/export?kind=routes&team=payments",
                "/admin/v1/config?format=yaml");
        for (String path : paths) {
            HttpResponse<String> response = node.adminRaw("GET", path, null);

            assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
        }
    }
}

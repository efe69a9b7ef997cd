package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Conditions;
import io.portico.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which quota counters each admin role reads through {@code GET /admin/v1/quotas}. */
class QuotaReadAccessTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start();
        int closed = ClosedPorts.reserve();
        node.apply((ObjectNode) Json.MAPPER.readTree("""
                {"teams": [{"name": "red"}, {"name": "blue"}],
                 "services": [{"name": "gone", "targets": [{"host": "127.0.0.1", "port": %d}]}],
                 "routes": [{"name": "metered", "paths": ["/metered"], "service": "gone",
                   "policies": [{"name": "key-auth"}, {"name": "quota", "config": {"limit": 10, "period": "day"}}]}],
                 "consumers": [{"name": "red-app", "team": "red"}, {"name": "blue-app", "team": "blue"}],
                 "credentials": [
                   {"name": "red-key", "consumer": "red-app", "type": "key-auth", "key": "red-secret-key-0123"},
                   {"name": "blue-key", "consumer": "blue-app", "type": "key-auth", "key": "blue-secret-key-0123"}]}
                """.formatted(closed)));
        // Each call ends with 502 from the closed port and stays counted, since the upstream may have received it.
        call("red-secret-key-0123");
        call("blue-secret-key-0123");
        Conditions.eventually("both consumers have a counter", () -> consumers(read(null)).size() == 2);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void developerReadsOwnTeamOnly() {
        String token = userWithToken("dev", "developer", "red");

        List<String> seen = consumers(read(token));

        assertThat(seen).containsExactly("red-app");
    }

    @Test
    void teamViewerReadsOwnTeamOnly() {
        String token = userWithToken("vera", "viewer", "blue");

        List<String> seen = consumers(read(token));

        assertThat(seen).containsExactly("blue-app");
    }

    @Test
    void platformAdminReadsEveryTeam() {
        List<String> seen = consumers(read(null));

        assertThat(seen).containsExactlyInAnyOrder("red-app", "blue-app");
    }

    @Test
    void filterOfOtherTeamIsEmpty() {
        String token = userWithToken("tara", "team-admin", "red");

        JsonNode body = read(token, "?consumer=blue-app");

        assertThat(consumers(body)).isEmpty();
    }

    private static String userWithToken(String name, String role, String team) {
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", name).put("role", role).put("team", team);
        node.admin("POST", "/admin/v1/users", user, 201);
        return node.admin("POST", "/admin/v1/users/" + name + "/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();
    }

    private static JsonNode read(String token) {
        return read(token, "");
    }

    /** Reads the quotas with {@code token}, or with the node's admin token when it is null. */
    private static JsonNode read(String token, String query) {
        if (token == null) {
            return node.admin("GET", "/admin/v1/quotas" + query, null, 200);
        }
        try {
            HttpResponse<String> response = HTTP.send(HttpRequest.newBuilder(
                    URI.create(node.adminUrl() + "/admin/v1/quotas" + query))
                    .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            return Json.MAPPER.readTree(response.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> consumers(JsonNode body) {
        List<String> names = new ArrayList<>();
        body.path("quotas").forEach(quota -> names.add(quota.path("consumer").asText()));
        return names;
    }

    private static void call(String key) {
        try {
            HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/metered")).header("apikey", key).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

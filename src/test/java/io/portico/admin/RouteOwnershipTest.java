package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Team admins on a real node may not create routes that take requests away from another team's routes.
 */
class RouteOwnershipTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestNode node;
    private static String payments;
    private static String other;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        node.apply(json("""
                {"teams": [{"name": "payments"}, {"name": "other"}],
                 "services": [
                   {"name": "payments-svc", "team": "payments", "targets": [{"host": "127.0.0.1", "port": 8081}]},
                   {"name": "other-svc", "team": "other", "targets": [{"host": "127.0.0.1", "port": 8082}]}],
                 "routes": [
                   {"name": "orders", "team": "payments", "paths": ["/orders"], "service": "payments-svc"},
                   {"name": "shop", "team": "payments", "hosts": ["shop.example.com"], "paths": ["/carts"],
                    "methods": ["GET"], "service": "payments-svc"},
                   {"name": "token", "team": "payments", "hosts": ["auth.example.com"], "paths": ["/oauth"],
                    "oauth": {"issuer": "https://auth.example.com/payments"}}]}
                """));
        payments = userWithToken("pat", "payments");
        other = userWithToken("otto", "other");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void hijackingRoutesAreRejected() {
        for (String route : new String[] {
                "{\"name\": \"h1\", \"paths\": [\"=/orders\"], \"service\": \"other-svc\"}",
                "{\"name\": \"h2\", \"paths\": [\"/\"], \"service\": \"other-svc\"}",
                "{\"name\": \"h3\", \"paths\": [\"/orders\"], \"priority\": 100, \"service\": \"other-svc\"}",
                "{\"name\": \"h4\", \"service\": \"other-svc\"}",
                "{\"name\": \"h5\", \"paths\": [\"~^/ord\"], \"service\": \"other-svc\"}",
                "{\"name\": \"h6\", \"hosts\": [\"*.example.com\"], \"paths\": [\"/carts/{id}\"],"
                        + " \"service\": \"other-svc\"}"}) {
            HttpResponse<String> response = request("POST", "/admin/v1/routes", route, other);

            assertThat(response.statusCode()).as(route).isEqualTo(409);
            assertThat(response.headers().firstValue("content-type")).as(route)
                    .hasValue("application/problem+json");
            assertThat(response.body()).as(route).contains("a route of another team").doesNotContain("payments");
        }
    }

    @Test
    void changingARouteIntoAHijackIsRejected() {
        HttpResponse<String> created = request("POST", "/admin/v1/routes",
                "{\"name\": \"reports\", \"paths\": [\"/reports\"], \"service\": \"other-svc\"}", other);
        assertThat(created.statusCode()).isEqualTo(201);

        HttpResponse<String> patched = request("PATCH", "/admin/v1/routes/reports",
                "{\"paths\": [\"/orders/export\"]}", other);
        HttpResponse<String> replaced = request("PUT", "/admin/v1/routes/reports",
                "{\"paths\": [\"/\"], \"service\": \"other-svc\"}", other, "If-Match", created.headers()
                        .firstValue("etag").orElseThrow());

        assertThat(patched.statusCode()).isEqualTo(409);
        assertThat(replaced.statusCode()).isEqualTo(409);
        assertThat(node.portico().store().get("routes", "reports").orElseThrow().spec().path("paths").get(0).asText())
                .isEqualTo("/reports");
    }

    @Test
    void anotherTeamsIssuerIsRejected() {
        HttpResponse<String> response = request("POST", "/admin/v1/routes", """
                {"name": "fake-auth", "hosts": ["fake.example.org"], "paths": ["/oauth"],
                 "oauth": {"issuer": "https://auth.example.com/payments"}}""", other);

        assertThat(response.statusCode()).isEqualTo(409);
        assertThat(response.body()).contains("uses the OAuth issuer of a route of another team");
    }

    @Test
    void overlapWithinOneTeamIsAccepted() {
        HttpResponse<String> response = request("POST", "/admin/v1/routes",
                "{\"name\": \"order-health\", \"paths\": [\"=/orders/health\"], \"service\": \"payments-svc\"}",
                payments);

        assertThat(response.statusCode()).isEqualTo(201);
    }

    @Test
    void platformAdminOverlapIsAccepted() {
        HttpResponse<String> response = request("POST", "/admin/v1/routes",
                "{\"name\": \"maintenance\", \"team\": \"other\", \"paths\": [\"=/orders\"],"
                        + " \"service\": \"other-svc\"}", TestNode.TOKEN);

        assertThat(response.statusCode()).isEqualTo(201);
    }

    @Test
    void disjointRoutesOfTwoTeamsAreAccepted() {
        HttpResponse<String> otherHost = request("POST", "/admin/v1/routes",
                "{\"name\": \"other-carts\", \"hosts\": [\"other.example.com\"], \"paths\": [\"/carts\"],"
                        + " \"service\": \"other-svc\"}", other);
        HttpResponse<String> otherPath = request("POST", "/admin/v1/routes",
                "{\"name\": \"other-b\", \"paths\": [\"/b\"], \"service\": \"other-svc\"}", other);
        HttpResponse<String> otherMethod = request("POST", "/admin/v1/routes",
                "{\"name\": \"other-shop\", \"hosts\": [\"shop.example.com\"], \"paths\": [\"/carts\"],"
                        + " \"methods\": [\"POST\"], \"service\": \"other-svc\"}", other);
        HttpResponse<String> ownIssuer = request("POST", "/admin/v1/routes", """
                {"name": "other-auth", "hosts": ["auth.example.org"], "paths": ["/oauth"],
                 "oauth": {"issuer": "https://auth.example.org/other"}}""", other);

        assertThat(otherHost.statusCode()).as(otherHost.body()).isEqualTo(201);
        assertThat(otherPath.statusCode()).as(otherPath.body()).isEqualTo(201);
        assertThat(otherMethod.statusCode()).as(otherMethod.body()).isEqualTo(201);
        assertThat(ownIssuer.statusCode()).as(ownIssuer.body()).isEqualTo(201);
    }

    @Test
    void sharedIssuerKeySettingsAreValidated() {
        HttpResponse<String> response = request("POST", "/admin/v1/routes", """
                {"name": "fast-token", "team": "payments", "hosts": ["auth.example.net"], "paths": ["/oauth"],
                 "oauth": {"issuer": "https://auth.example.com/payments", "keyRotation": "30m",
                           "keyPublication": "10m"}}""", TestNode.TOKEN);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("oauth.keyPublication").contains("shortest keyRotation (PT30M)");
    }

    private static String userWithToken(String name, String team) {
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", name).put("role", "team-admin").put("team", team);
        node.admin("POST", "/admin/v1/users", user, 201);
        return node.admin("POST", "/admin/v1/users/" + name + "/tokens", json("{}"), 201).path("token").asText();
    }

    private static HttpResponse<String> request(String method, String path, String body, String token,
                                                String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.adminUrl() + path))
                .timeout(Duration.ofSeconds(30))
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", method.equals("PATCH") ? "application/merge-patch+json" : "application/json")
                .header("Authorization", "Bearer " + token);
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        try {
            return HTTP.send(builder.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}

package io.portico.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import io.portico.config.Json;
import io.portico.config.ResourceKinds;
import io.portico.testing.Conditions;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.text.ParseException;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two teams' authorization servers on one node: each issuer has its own signing keys and rotation. */
class IssuerSigningKeysTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        node = TestNode.start();
        node.apply((ObjectNode) Json.MAPPER.readTree("""
                {"teams": [{"name": "payments"}, {"name": "other"}],
                 "routes": [{"name": "payments-oauth", "team": "payments", "paths": ["/payments/oauth"],
                   "oauth": {"issuer": "https://auth.test/payments", "keyRotation": "720h"}}]}
                """));
        Conditions.eventually("the payments issuer has a key", () -> !keyIds("/payments/oauth").isEmpty());
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void shortRotationOfAnotherIssuerKeepsKeys() throws Exception {
        List<String> before = keyIds("/payments/oauth");
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", "otto").put("role", "team-admin")
                .put("team", "other");
        node.admin("POST", "/admin/v1/users", user, 201);
        String token = node.admin("POST", "/admin/v1/users/otto/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();

        HttpResponse<String> created = CLIENT.send(HttpRequest.newBuilder(URI.create(node.adminUrl()
                        + "/admin/v1/routes"))
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"name": "other-oauth", "paths": ["/other/oauth"],
                         "oauth": {"issuer": "https://auth.test/other", "keyRotation": "1m", "keyPublication": "10s"}}
                        """)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        Conditions.eventually("the other issuer has a key", () -> !keyIds("/other/oauth").isEmpty());

        assertThat(keyIds("/payments/oauth")).isEqualTo(before);
        assertThat(keyIds("/other/oauth")).doesNotContainAnyElementsOf(before);
        for (String keyId : before) {
            assertThat(node.portico().store().get(ResourceKinds.SIGNING_KEYS.name(), keyId).orElseThrow().spec()
                    .has("retiredAt")).as(keyId).isFalse();
        }
    }

    private static List<String> keyIds(String base) {
        try {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + base
                    + "/jwks.json")).build(), HttpResponse.BodyHandlers.ofString());
            return JWKSet.parse(response.body()).getKeys().stream().map(JWK::getKeyID).toList();
        } catch (IOException | ParseException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package io.portico.policy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.TestNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Invalid jwt, oauth-introspection and oauth route settings are rejected when written; secrets are masked. */
class AuthPolicyConfigTest {

    private static final String SECRET = "0123456789abcdef0123456789abcdef";
    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        node.admin("POST", "/admin/v1/services", Json.MAPPER.createObjectNode().put("name", "app")
                .set("targets", Json.MAPPER.createArrayNode().add(Json.MAPPER.createObjectNode()
                        .put("host", "127.0.0.1").put("port", 9))), 201);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static ObjectNode route(String name, String policy, ObjectNode config) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", name).put("service", "app");
        route.putArray("paths").add("/" + name);
        route.putArray("policies").addObject().put("name", policy).set("config", config);
        return route;
    }

    /** Writes a route with a jwt policy of {@code config} and returns the fields the admin API rejected. */
    private static List<String> rejectedFields(String policy, ObjectNode config) {
        JsonNode problem = node.admin("POST", "/admin/v1/routes", route("candidate", policy, config), 400);
        List<String> fields = new ArrayList<>();
        problem.get("errors").forEach(error -> fields.add(error.get("field").asText()));
        return fields;
    }

    private static ObjectNode jwt(String... algorithms) {
        ObjectNode config = Json.MAPPER.createObjectNode();
        var list = config.putArray("algorithms");
        for (String algorithm : algorithms) {
            list.add(algorithm);
        }
        return config;
    }

    @Test
    void noneAlgorithmIsRejected() {
        ObjectNode config = jwt("none");
        config.putArray("keys").addObject().put("secret", SECRET);

        assertThat(rejectedFields("jwt", config)).contains("policies[0].config.algorithms[0]");
    }

    @Test
    void keysRequireAlgorithms() {
        ObjectNode config = Json.MAPPER.createObjectNode();
        config.putArray("keys").addObject().put("secret", SECRET);

        assertThat(rejectedFields("jwt", config)).contains("policies[0].config.algorithms");
    }

    @Test
    void keyNoListedAlgorithmCanUseIsRejected() {
        ObjectNode config = jwt("RS256");
        config.putArray("keys").addObject().put("secret", SECRET);

        assertThat(rejectedFields("jwt", config)).contains("policies[0].config.keys[0]");
    }

    @Test
    void shortHmacSecretIsRejected() {
        ObjectNode config = jwt("HS256");
        config.putArray("keys").addObject().put("secret", "too-short");

        assertThat(rejectedFields("jwt", config)).contains("policies[0].config.keys[0]");
    }

    @Test
    void privateJwkIsRejected() throws Exception {
        TestTokens.TestKey key = TestTokens.rsa("k");
        com.nimbusds.jose.jwk.RSAKey full = new com.nimbusds.jose.jwk.RSAKey.Builder(key.publicJwk().toRSAKey())
                .privateKey(key.pair().getPrivate()).build();
        ObjectNode config = jwt("RS256");
        config.putArray("keys").addObject().set("jwk", Json.MAPPER.readTree(full.toJSONString()));

        assertThat(rejectedFields("jwt", config)).contains("policies[0].config.keys[0].jwk");
    }

    @Test
    void invalidUrlsAndSkewAreRejected() {
        ObjectNode config = jwt("RS256").put("jwksUrl", "file:///etc/passwd").put("clockSkew", "10m");

        assertThat(rejectedFields("jwt", config))
                .contains("policies[0].config.jwksUrl", "policies[0].config.clockSkew");
    }

    @Test
    void introspectionRequiresEndpointAndClient() {
        assertThat(rejectedFields("oauth-introspection", Json.MAPPER.createObjectNode())).contains(
                "policies[0].config.introspectionUrl", "policies[0].config.clientId",
                "policies[0].config.clientSecret");
    }

    @Test
    void oauthRouteSettingsAreChecked() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "oauth").put("service", "app");
        route.putArray("paths").add("/oauth");
        route.putObject("oauth").put("algorithm", "HS256").put("tokenTtl", "48h");

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        List<String> fields = new ArrayList<>();
        problem.get("errors").forEach(error -> fields.add(error.get("field").asText()));
        assertThat(fields).contains("service", "oauth.issuer", "oauth.algorithm", "oauth.tokenTtl");
    }

    @Test
    void policySecretsAreMaskedInResponses() {
        ObjectNode jwt = jwt("HS256");
        jwt.putArray("keys").addObject().put("secret", SECRET);
        node.admin("POST", "/admin/v1/routes", route("masked-jwt", "jwt", jwt), 201);
        ObjectNode introspection = Json.MAPPER.createObjectNode().put("introspectionUrl", "https://as.test/introspect")
                .put("clientId", "portico").put("clientSecret", "introspection-secret");
        node.admin("POST", "/admin/v1/routes", route("masked-introspection", "oauth-introspection", introspection),
                201);

        String first = node.admin("GET", "/admin/v1/routes/masked-jwt", null, 200).toString();
        String second = node.admin("GET", "/admin/v1/routes/masked-introspection", null, 200).toString();
        String export = node.adminRaw("GET", "/admin/v1/config", null).body();

        assertThat(first).doesNotContain(SECRET).contains("secret:sha256:");
        assertThat(second).doesNotContain("introspection-secret").contains("secret:sha256:");
        assertThat(export).doesNotContain(SECRET).doesNotContain("introspection-secret");
    }
}

package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Secrets in the configuration of named policies (kind {@code policies}) on a real node: every way the admin API
 * shows a policy masks them, and a masked document applies again without losing them. Each secret field of a policy
 * configuration has its own policy here.
 */
class PolicySecretsTest {

    private static final String CLIENT_SECRET = "introspection-client-secret-0123";
    private static final String HS_SECRET = "jwt-hs256-shared-secret-0123456789abcdef";
    private static final String JWK_SECRET = "jwt-jwk-oct-shared-secret-0123456789abcd";
    private static final String PATCHED_SECRET = "introspection-client-secret-patched";
    private static final List<String> SECRETS = List.of(CLIENT_SECRET, HS_SECRET, JWK_SECRET, PATCHED_SECRET,
            base64Url(JWK_SECRET));

    private static TestNode node;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        node.admin("POST", "/admin/v1/policies", introspection("introspection", CLIENT_SECRET), 201);
        ObjectNode hs = jwt("jwt-secret");
        ((ArrayNode) hs.with("config").putArray("keys")).addObject().put("kid", "text").put("secret", HS_SECRET);
        node.admin("POST", "/admin/v1/policies", hs, 201);
        ObjectNode jwk = jwt("jwt-jwk");
        ((ArrayNode) jwk.with("config").putArray("keys")).addObject().put("kid", "jwk").putObject("jwk")
                .put("kty", "oct").put("k", base64Url(JWK_SECRET));
        node.admin("POST", "/admin/v1/policies", jwk, 201);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    private static ObjectNode introspection(String name, String secret) {
        ObjectNode policy = Json.MAPPER.createObjectNode().put("name", name).put("type", "oauth-introspection");
        policy.putObject("config").put("introspectionUrl", "https://as.test/introspect").put("clientId", "portico")
                .put("clientSecret", secret);
        return policy;
    }

    private static ObjectNode jwt(String name) {
        ObjectNode policy = Json.MAPPER.createObjectNode().put("name", name).put("type", "jwt");
        policy.putObject("config").putArray("algorithms").add("HS256");
        return policy;
    }

    private static String base64Url(String text) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsMaskEachSecretField() {
        JsonNode introspection = node.admin("GET", "/admin/v1/policies/introspection", null, 200);
        JsonNode hs = node.admin("GET", "/admin/v1/policies/jwt-secret", null, 200);
        JsonNode jwk = node.admin("GET", "/admin/v1/policies/jwt-jwk", null, 200);
        String list = node.adminRaw("GET", "/admin/v1/policies", null).body();

        assertThat(introspection.at("/config/clientSecret").asText()).isEqualTo(Secrets.hint(CLIENT_SECRET));
        assertThat(hs.at("/config/keys/0/secret").asText()).isEqualTo(Secrets.hint(HS_SECRET));
        assertThat(jwk.at("/config/keys/0/jwk/k").asText()).isEqualTo(Secrets.hint(base64Url(JWK_SECRET)));
        assertThat(jwk.at("/config/keys/0/jwk/kty").asText()).isEqualTo("oct");
        assertNoSecret("list", list);
    }

    @Test
    void writesRespondMasked() {
        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/policies",
                introspection("written", CLIENT_SECRET));
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putObject("config").put("clientSecret", PATCHED_SECRET);
        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/policies/written", patch);

        assertThat(created.statusCode()).isEqualTo(201);
        assertNoSecret("create", created.body());
        assertThat(patched.statusCode()).isEqualTo(200);
        assertNoSecret("patch", patched.body());
        assertThat(patched.body()).contains(Secrets.hint(PATCHED_SECRET));
    }

    @Test
    void exportMasksSecrets() {
        String yaml = node.adminRaw("GET", "/admin/v1/config", null).body();
        String json = node.adminRaw("GET", "/admin/v1/config", null, Map.of("Accept", "application/json")).body();

        assertNoSecret("YAML export", yaml);
        assertNoSecret("JSON export", json);
        assertThat(json).contains(Secrets.hint(CLIENT_SECRET), Secrets.hint(HS_SECRET),
                Secrets.hint(base64Url(JWK_SECRET)));
    }

    @Test
    void auditLogMasksSecrets() {
        node.admin("POST", "/admin/v1/policies", introspection("audited", CLIENT_SECRET), 201);
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putObject("config").put("clientSecret", PATCHED_SECRET);
        node.admin("PATCH", "/admin/v1/policies/audited", patch, 200);

        String entries = node.adminRaw("GET", "/admin/v1/audit?kind=policies&limit=1000", null).body();
        String export = node.adminRaw("GET", "/admin/v1/audit/export?kind=policies", null).body();

        assertThat(entries).contains("\"introspection\"", "\"jwt-secret\"", "\"jwt-jwk\"", "\"audited\"");
        assertNoSecret("audit entries", entries);
        assertNoSecret("audit export", export);
        assertThat(entries).contains(Secrets.hint(CLIENT_SECRET), Secrets.hint(HS_SECRET),
                Secrets.hint(PATCHED_SECRET));
    }

    @Test
    void rejectedSecretIsNotEchoed() {
        ObjectNode weak = jwt("weak");
        ((ArrayNode) weak.with("config").putArray("keys")).addObject().put("secret", "short-hs-secret");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/policies", weak);

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).contains("config.keys[0].secret").doesNotContain("short-hs-secret");
    }

    @Test
    void maskedExportAppliesAgain() throws Exception {
        String text = node.adminRaw("GET", "/admin/v1/config", null, Map.of("Accept", "application/json")).body();

        JsonNode report = node.admin("POST", "/admin/v1/config/apply", Json.MAPPER.readTree(text), 200);

        assertThat(report.path("updated")).isEmpty();
        ObjectNode stored = node.portico().store().get("policies", "jwt-secret").orElseThrow().spec();
        assertThat(stored.at("/config/keys/0/secret").asText()).isEqualTo(HS_SECRET);
        ObjectNode introspection = node.portico().store().get("policies", "introspection").orElseThrow().spec();
        assertThat(introspection.at("/config/clientSecret").asText()).isEqualTo(CLIENT_SECRET);
    }

    private static void assertNoSecret(String where, String body) {
        for (String secret : SECRETS) {
            assertThat(body).as(where).doesNotContain(secret);
        }
    }
}

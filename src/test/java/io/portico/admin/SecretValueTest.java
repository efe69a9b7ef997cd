package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.CredentialSecrets;
import io.portico.config.Json;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Secret values never come back from the admin API of a real node: list filters cannot compare a guess with a
 * stored secret, and validation errors about a secret field never quote its value.
 */
class SecretValueTest {

    private static final String HMAC_SECRET = "hmac-secret-key-0123456789abcdef";
    private static final String API_KEY = "pk_guessable-key-0123456789";

    private static TestNode node;
    private static String viewer;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        Configs config = Configs.document();
        config.resource("teams", "shop");
        config.resource("consumers", "app").put("team", "shop");
        config.resource("credentials", "app-hmac").put("consumer", "app").put("type", "hmac")
                .put("accessKey", "app-access").put("secretKey", HMAC_SECRET);
        config.resource("credentials", "app-key").put("consumer", "app").put("type", "key-auth")
                .put("key", API_KEY);
        node.apply(config.build());
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", "vera").put("role", "viewer")
                .put("team", "shop");
        node.admin("POST", "/admin/v1/users", user, 201);
        viewer = node.admin("POST", "/admin/v1/users/vera/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void viewerCannotFilterOnSecretKey() {
        HttpResponse<String> response = get("/admin/v1/credentials?secretKey=" + encode(HMAC_SECRET), viewer);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(detail(response)).contains("'secretKey'").contains("contains a secret");
        assertThat(response.body()).doesNotContain("app-hmac");
    }

    @Test
    void keyHashFilterIsRejected() {
        String path = "/admin/v1/credentials?keyHash=" + CredentialSecrets.sha256Hex(API_KEY);

        HttpResponse<String> asViewer = get(path, viewer);
        HttpResponse<String> asAdmin = get(path, TestNode.TOKEN);

        assertThat(asViewer.statusCode()).as(asViewer.body()).isEqualTo(400);
        assertThat(asAdmin.statusCode()).as(asAdmin.body()).isEqualTo(400);
        assertThat(detail(asAdmin)).contains("'keyHash'");
    }

    @Test
    void everySecretFieldIsRejectedAsFilter() {
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            for (String secret : kind.secretFields()) {
                String field = secret.split("[.\\[]", 2)[0];
                HttpResponse<String> response = get("/admin/v1/" + kind.name() + "?" + field + "=x", TestNode.TOKEN);

                assertThat(response.statusCode()).as(kind.name() + "?" + field).isEqualTo(400);
                assertThat(detail(response)).as(kind.name() + "?" + field).contains("contains a secret");
            }
        }
    }

    @Test
    void otherFiltersStillMatch() {
        HttpResponse<String> response = get("/admin/v1/credentials?consumer=app&type=hmac", viewer);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response.body()).path("items")).hasSize(1);
        assertThat(json(response.body()).at("/items/0/name").asText()).isEqualTo("app-hmac");
    }

    @Test
    void wrongTypedSecretIsNotQuoted() {
        ObjectNode credential = Json.MAPPER.createObjectNode().put("name", "app-login").put("consumer", "app")
                .put("type", "basic-auth").put("username", "app-login").put("password", 9876543210123L);
        ObjectNode patch = Json.MAPPER.createObjectNode().put("secretKey", 1234567890123456789L);

        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/credentials", credential);
        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/credentials/app-hmac", patch);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("has the wrong type: expected a string").doesNotContain("9876543210123");
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(patched.body()).contains("secretKey").doesNotContain("1234567890123456789");
    }

    @Test
    void wrongTypedPlainFieldIsQuoted() {
        ObjectNode credential = Json.MAPPER.createObjectNode().put("name", "app-other").put("consumer", "app")
                .put("type", "basic-auth").put("username", 4711).put("password", "a password");

        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/credentials", credential);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("invalid value '4711'");
    }

    private static HttpResponse<String> get(String path, String token) {
        return node.adminRequest("GET", path, null, "Authorization", "Bearer " + token);
    }

    private static String detail(HttpResponse<String> response) {
        return json(response.body()).path("detail").asText();
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static JsonNode json(String text) {
        try {
            return Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}

package io.portico.admin;

import static io.portico.policy.auth.AuthTestNode.object;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.policy.auth.AuthTestNode;
import io.portico.testing.Configs;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Credential secrets through every write path of a real node: they are stored as hashes, never returned, still
 * accepted by the gateway, and applying the same document twice changes nothing.
 */
class CredentialApiTest {

    private static AuthTestNode auth;

    @BeforeAll
    static void start() {
        auth = AuthTestNode.start(Map.of());
        auth.route("keyed", "/keyed", "key-auth");
        auth.route("basic", "/basic", "basic-auth");
        auth.apply();
    }

    @AfterAll
    static void stop() {
        auth.close();
    }

    private static int keyed(String key) {
        return auth.get("/keyed/echo", "apikey", key).statusCode();
    }

    private static ObjectNode keyCredential(String name, String key) {
        return object().put("name", name).put("consumer", "alice").put("type", "key-auth").put("key", key);
    }

    @Test
    void keyWrittenByPostIsHashedAndAccepted() {
        String key = "my-own-key-0123456789-post";

        JsonNode created = auth.node().admin("POST", "/admin/v1/credentials", keyCredential("posted", key), 201);

        assertThat(created.has("key")).isFalse();
        assertThat(created.path("keyHash").asText()).startsWith("secret:sha256:");
        assertThat(created.path("keyHint").asText()).isEqualTo("my-own...");
        assertThat(keyed(key)).isEqualTo(200);
    }

    @Test
    void keyWrittenByPutAndPatchIsHashedAndAccepted() {
        String first = "my-own-key-0123456789-put";
        String second = "my-own-key-0123456789-patched";

        JsonNode put = auth.node().admin("PUT", "/admin/v1/credentials/put-key", keyCredential("put-key", first), 201);
        JsonNode patched = auth.patch("credentials", "put-key", object().put("key", second));

        assertThat(put.has("key")).isFalse();
        assertThat(patched.has("key")).isFalse();
        assertThat(keyed(first)).isEqualTo(401);
        assertThat(keyed(second)).isEqualTo(200);
    }

    @Test
    void exportShowsNoSecretAndNoHash() {
        String key = "my-own-key-0123456789-export";
        auth.node().admin("POST", "/admin/v1/credentials", keyCredential("exported", key), 201);
        auth.createCredential("alice", object().put("type", "basic-auth").put("username", "exported-user")
                .put("password", "exported password"));

        String export = auth.node().adminRaw("GET", "/admin/v1/config", null).body();

        assertThat(export).doesNotContain(key).doesNotContain("exported password").doesNotContain("$2a$");
        assertThat(export).contains("\"keyHash\" : \"secret:sha256:");
    }

    @Test
    void duplicateKeyIsRejected() {
        String key = "my-own-key-0123456789-twice";
        auth.node().admin("POST", "/admin/v1/credentials", keyCredential("first-copy", key), 201);

        JsonNode problem = auth.node().admin("POST", "/admin/v1/credentials", keyCredential("second-copy", key), 400);

        assertThat(problem.toString()).contains("has the same API key as credentials/first-copy");
    }

    @Test
    void shortKeyIsRejected() {
        JsonNode problem = auth.node().admin("POST", "/admin/v1/credentials", keyCredential("short", "abc"), 400);

        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("key");
    }

    @Test
    void credentialOfMissingConsumerIsNotFound() {
        JsonNode problem = auth.node().admin("POST", "/admin/v1/consumers/ghost/credentials",
                object().put("type", "key-auth"), 404);

        assertThat(problem.path("detail").asText()).contains("consumers/ghost");
    }

    @Test
    void ownKeyOnGeneratingRouteIsRejected() {
        JsonNode problem = auth.node().admin("POST", "/admin/v1/consumers/alice/credentials",
                object().put("type", "key-auth").put("key", "my-own-key-0123456789-own"), 400);

        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("key");
    }

    @Test
    void rotationOfOtherTypesIsRejected() {
        JsonNode basic = auth.createCredential("alice", object().put("type", "basic-auth")
                .put("username", "not-rotated"));

        auth.node().admin("POST", "/admin/v1/credentials/" + basic.path("name").asText() + "/rotate", null, 400);
        auth.node().admin("POST", "/admin/v1/credentials/missing/rotate", null, 404);
    }

    @Test
    void rotationWithInvalidOverlapIsRejected() {
        JsonNode key = auth.createCredential("alice", object().put("type", "key-auth"));

        JsonNode problem = auth.node().admin("POST", "/admin/v1/credentials/" + key.path("name").asText()
                + "/rotate", object().put("overlap", "soon"), 400);

        assertThat(problem.path("errors").get(0).path("field").asText()).isEqualTo("overlap");
    }

    @Test
    void applyingSecretsTwiceChangesNothing() {
        Configs config = Configs.document();
        config.service("other", 9);
        config.resource("teams", "ops");
        config.resource("consumers", "frank").put("team", "ops");
        config.resource("credentials", "frank-key").put("consumer", "frank").put("type", "key-auth")
                .put("key", "frank-key-0123456789-applied");
        config.resource("credentials", "frank-basic").put("consumer", "frank").put("type", "basic-auth")
                .put("username", "frank").put("password", "frank password");
        try (AuthTestNode other = AuthTestNode.start(Map.of())) {
            other.node().apply(config.build());

            JsonNode second = other.node().apply(config.build());

            assertThat(second.path("updated")).isEmpty();
            assertThat(second.path("created")).isEmpty();
            JsonNode stored = other.node().admin("GET", "/admin/v1/credentials/frank-basic", null, 200);
            assertThat(stored.has("password")).isFalse();
            assertThat(stored.path("passwordHash").asText()).startsWith("secret:sha256:");
        }
    }

    @Test
    void appliedPasswordIsAcceptedByTheGateway() {
        JsonNode created = auth.createCredential("alice", object().put("type", "basic-auth")
                .put("username", "applied-user").put("password", "applied password"));

        HttpResponse<String> response = auth.get("/basic/echo", "Authorization", "Basic " + Base64.getEncoder()
                .encodeToString("applied-user:applied password".getBytes(StandardCharsets.UTF_8)));

        assertThat(created.has("password")).isFalse();
        assertThat(response.statusCode()).isEqualTo(200);
    }
}

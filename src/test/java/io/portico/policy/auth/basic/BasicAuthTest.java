package io.portico.policy.auth.basic;

import static io.portico.policy.auth.AuthTestNode.object;
import static io.portico.policy.auth.AuthTestNode.upstreamHeader;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.policy.auth.AuthTestNode;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The basic-auth policy on a real node, with bcrypt password hashes written through the admin API. */
class BasicAuthTest {

    private static AuthTestNode auth;

    @BeforeAll
    static void start() {
        auth = AuthTestNode.start(Map.of());
        auth.route("basic", "/basic", "basic-auth").put("realm", "orders");
        auth.route("kept", "/kept", "basic-auth").put("keepCredential", true);
        auth.apply();
    }

    @AfterAll
    static void stop() {
        auth.close();
    }

    private static String basic(String username, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((username + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
    }

    private static JsonNode credential(String username, String password) {
        return auth.createCredential("alice", object().put("type", "basic-auth").put("username", username)
                .put("password", password));
    }

    @Test
    void validPasswordReachesUpstreamWithIdentity() {
        JsonNode created = credential("alice-valid", "correct horse battery");

        HttpResponse<String> first = auth.get("/basic/echo", "Authorization", basic("alice-valid",
                "correct horse battery"), "X-Consumer-Name", "mallory");
        HttpResponse<String> remembered = auth.get("/basic/echo", "Authorization", basic("alice-valid",
                "correct horse battery"));

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(first, "x-consumer-name")).isEqualTo("alice");
        assertThat(upstreamHeader(first, "x-credential-name")).isEqualTo(created.path("name").asText());
        assertThat(upstreamHeader(first, "x-authenticated-method")).isEqualTo("basic-auth");
        assertThat(upstreamHeader(first, "authorization")).isNull();
        assertThat(remembered.statusCode()).isEqualTo(200);
    }

    @Test
    void passwordIsStoredAsBcryptHash() {
        JsonNode created = credential("alice-stored", "stored secret 1");

        JsonNode stored = auth.node().admin("GET", "/admin/v1/credentials/" + created.path("name").asText(), null,
                200);

        assertThat(created.has("password")).isFalse();
        assertThat(stored.has("password")).isFalse();
        assertThat(stored.path("passwordHash").asText()).startsWith("secret:sha256:");
        assertThat(auth.node().adminRaw("GET", "/admin/v1/config", null).body()).doesNotContain("stored secret 1");
    }

    @Test
    void generatedPasswordIsReturnedOnce() {
        JsonNode created = auth.createCredential("alice", object().put("type", "basic-auth")
                .put("username", "alice-generated"));

        String password = created.path("password").asText();

        assertThat(password).hasSizeGreaterThanOrEqualTo(40);
        assertThat(auth.get("/basic/echo", "Authorization", basic("alice-generated", password)).statusCode())
                .isEqualTo(200);
    }

    @Test
    void missingCredentialsAreChallenged() {
        HttpResponse<String> response = auth.get("/basic/echo");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .hasValue("Basic realm=\"orders\", charset=\"UTF-8\"");
    }

    @Test
    void wrongPasswordAndUnknownUserGetTheSameAnswer() {
        credential("alice-wrong", "right password");

        HttpResponse<String> wrong = auth.get("/basic/echo", "Authorization", basic("alice-wrong", "wrong one"));
        HttpResponse<String> unknown = auth.get("/basic/echo", "Authorization", basic("nobody", "right password"));

        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(unknown.statusCode()).isEqualTo(401);
        assertThat(wrong.body().replaceAll("urn:request:[0-9a-f]+", ""))
                .isEqualTo(unknown.body().replaceAll("urn:request:[0-9a-f]+", ""));
        assertThat(wrong.body()).doesNotContain("wrong one");
    }

    @Test
    void malformedHeaderIsRejected() {
        HttpResponse<String> response = auth.get("/basic/echo", "Authorization", "Basic !!!not-base64");

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void expiredCredentialIsRejected() {
        auth.createCredential("alice", object().put("type", "basic-auth").put("username", "alice-expired")
                .put("password", "expired password").put("expiresAt", Instant.now().minusSeconds(1).toString()));

        assertThat(auth.get("/basic/echo", "Authorization", basic("alice-expired", "expired password"))
                .statusCode()).isEqualTo(401);
    }

    @Test
    void disabledCredentialIsRejectedEvenWhenRemembered() {
        JsonNode created = credential("alice-disabled", "soon disabled");
        String header = basic("alice-disabled", "soon disabled");
        int before = auth.get("/basic/echo", "Authorization", header).statusCode();

        auth.patch("credentials", created.path("name").asText(), object().put("disabled", true));

        assertThat(before).isEqualTo(200);
        assertThat(auth.get("/basic/echo", "Authorization", header).statusCode()).isEqualTo(401);
    }

    @Test
    void disabledConsumerIsRejected() {
        auth.node().admin("POST", "/admin/v1/consumers", object().put("name", "carol").put("team", "payments"), 201);
        auth.createCredential("carol", object().put("type", "basic-auth").put("username", "carol")
                .put("password", "carol password"));
        String header = basic("carol", "carol password");
        int before = auth.get("/basic/echo", "Authorization", header).statusCode();

        auth.patch("consumers", "carol", object().put("disabled", true));

        assertThat(before).isEqualTo(200);
        assertThat(auth.get("/basic/echo", "Authorization", header).statusCode()).isEqualTo(401);
    }

    @Test
    void changedPasswordRejectsTheOldOne() {
        JsonNode created = credential("alice-changed", "first password");
        int before = auth.get("/basic/echo", "Authorization", basic("alice-changed", "first password")).statusCode();

        auth.patch("credentials", created.path("name").asText(), object().put("password", "second password"));

        assertThat(before).isEqualTo(200);
        assertThat(auth.get("/basic/echo", "Authorization", basic("alice-changed", "first password"))
                .statusCode()).isEqualTo(401);
        assertThat(auth.get("/basic/echo", "Authorization", basic("alice-changed", "second password"))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void deletedCredentialIsRevoked() {
        JsonNode created = credential("alice-deleted", "deleted password");
        String header = basic("alice-deleted", "deleted password");
        int before = auth.get("/basic/echo", "Authorization", header).statusCode();

        auth.node().admin("DELETE", "/admin/v1/credentials/" + created.path("name").asText(), null, 204);

        assertThat(before).isEqualTo(200);
        assertThat(auth.get("/basic/echo", "Authorization", header).statusCode()).isEqualTo(401);
    }

    @Test
    void keepCredentialForwardsAuthorization() {
        credential("alice-kept", "kept password");
        String header = basic("alice-kept", "kept password");

        HttpResponse<String> response = auth.get("/kept/echo", "Authorization", header);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "authorization")).isEqualTo(header);
    }

    @Test
    void bodyOfRequestSurvivesThePasswordCheck() {
        credential("alice-body", "body password");
        byte[] body = new byte[256 * 1024];
        Arrays.fill(body, (byte) 'x');

        HttpResponse<String> response = AuthTestNode.send(HttpRequest.newBuilder(
                URI.create(auth.node().url() + "/basic/echo")).POST(HttpRequest.BodyPublishers.ofByteArray(body)),
                "Authorization", basic("alice-body", "body password"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(AuthTestNode.echo(response).path("bodyLength").asLong()).isEqualTo(body.length);
    }
}

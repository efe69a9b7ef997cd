package io.portico.policy.auth.key;

import static io.portico.policy.auth.AuthTestNode.echo;
import static io.portico.policy.auth.AuthTestNode.object;
import static io.portico.policy.auth.AuthTestNode.upstreamHeader;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.policy.auth.AuthTestNode;
import io.portico.testing.Conditions;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The key-auth policy on a real node in front of a real upstream, with keys created through the admin API. */
class KeyAuthTest {

    private static AuthTestNode auth;

    @BeforeAll
    static void start() {
        auth = AuthTestNode.start(Map.of("identityHeaders.labels.tier", "X-Consumer-Tier",
                "identityHeaders.labels.note", "X-Consumer-Note"));
        auth.route("keyed", "/keyed", "key-auth");
        auth.route("by-query", "/by-query", "key-auth").put("query", "key");
        auth.route("kept", "/kept", "key-auth").put("keepCredential", true);
        auth.route("optional", "/optional", "key-auth").put("optional", true);
        auth.config().resource("apis", "billing").put("team", "payments").put("approval", "auto");
        auth.config().route("billing", "app", "/billing").put("api", "billing").putArray("policies").addObject()
                .put("name", "key-auth");
        auth.apply();
    }

    @AfterAll
    static void stop() {
        auth.close();
    }

    private static String newKey() {
        return newKey(object().put("type", "key-auth")).path("key").asText();
    }

    private static JsonNode newKey(ObjectNode body) {
        return auth.createCredential("alice", body);
    }

    @Test
    void validKeyReachesUpstreamWithIdentity() {
        JsonNode created = newKey(object().put("type", "key-auth"));
        String key = created.path("key").asText();

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", key, "X-Consumer-Name", "mallory",
                "X-Credential-Name", "forged");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "x-consumer-name")).isEqualTo("alice");
        assertThat(upstreamHeader(response, "x-consumer-team")).isEqualTo("payments");
        assertThat(upstreamHeader(response, "x-credential-name")).isEqualTo(created.path("name").asText());
        assertThat(upstreamHeader(response, "x-authenticated-method")).isEqualTo("key-auth");
        assertThat(upstreamHeader(response, "apikey")).isNull();
        assertThat(echo(response).path("headers").path("x-consumer-name")).hasSize(1);
    }

    @Test
    void underscoreFormsOfGatewayHeadersAreDropped() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", key, "X_Consumer_Name", "admin",
                "x_consumer_team", "ops", "X_CREDENTIAL_NAME", "forged", "X_Authenticated-Method", "none",
                "X_Consumer_Tier", "platinum", "X_Forwarded_For", "10.0.0.1", "X_Forwarded_Host", "evil.example",
                "X_Request_Id", "forged-id", "X_Custom_Note", "kept");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode headers = echo(response).path("headers");
        for (String name : List.of("x_consumer_name", "x_consumer_team", "x_credential_name",
                "x_authenticated-method", "x_consumer_tier", "x_forwarded_for", "x_forwarded_host", "x_request_id")) {
            assertThat(headers.has(name)).as(name).isFalse();
        }
        assertThat(upstreamHeader(response, "x-consumer-name")).isEqualTo("alice");
        assertThat(upstreamHeader(response, "x-consumer-tier")).isEqualTo("gold");
        assertThat(upstreamHeader(response, "x_custom_note")).isEqualTo("kept");
    }

    @Test
    void labelHeadersSkipControlCharacters() {
        ObjectNode consumer = object().put("name", "erin").put("team", "payments");
        consumer.putObject("labels").put("tier", "silver").put("note", "line\r\nX-Injected: yes");
        auth.node().admin("POST", "/admin/v1/consumers", consumer, 201);
        String key = auth.createCredential("erin", object().put("type", "key-auth")).path("key").asText();

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", key, "X-Consumer-Note", "forged");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "x-consumer-tier")).isEqualTo("silver");
        assertThat(upstreamHeader(response, "x-consumer-note")).isNull();
        assertThat(upstreamHeader(response, "x-injected")).isNull();
    }

    @Test
    void generatedKeyIsReturnedOnceAndStoredAsHash() {
        JsonNode created = newKey(object().put("type", "key-auth"));
        String key = created.path("key").asText();

        JsonNode stored = auth.node().admin("GET", "/admin/v1/credentials/" + created.path("name").asText(), null,
                200);
        String export = auth.node().adminRaw("GET", "/admin/v1/config", null).body();

        assertThat(key).startsWith("pk_").hasSize(46);
        assertThat(stored.has("key")).isFalse();
        assertThat(stored.path("keyHash").asText()).startsWith("secret:sha256:");
        assertThat(stored.path("keyHint").asText()).isEqualTo(key.substring(0, 7) + "...");
        assertThat(export).doesNotContain(key).doesNotContain(key.substring(10));
    }

    @Test
    void bearerKeyIsAcceptedAndRemoved() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/keyed/echo", "Authorization", "Bearer " + key);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "authorization")).isNull();
        assertThat(upstreamHeader(response, "x-consumer-name")).isEqualTo("alice");
    }

    @Test
    void queryKeyIsAcceptedAndRemovedFromUri() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/by-query/echo?a=1&key=" + key + "&b=2");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(echo(response).path("uri").asText()).isEqualTo("/by-query/echo?a=1&b=2");
    }

    @Test
    void queryNameIsCaseSensitive() {
        String key = newKey();
        int before = auth.upstreamRequests();

        HttpResponse<String> response = auth.get("/by-query/echo?KEY=" + key);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(auth.upstreamRequests()).isEqualTo(before);
    }

    @Test
    void repeatedQueryKeyIsRemovedEverywhere() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/by-query/echo?key=" + key + "&KEY=x&k%65y=" + key + "&a=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(echo(response).path("uri").asText()).isEqualTo("/by-query/echo?KEY=x&a=1");
    }

    @Test
    void otherKeysAreRemovedWhenHeaderAuthenticates() {
        String key = newKey();
        String other = newKey();

        HttpResponse<String> response = auth.get("/by-query/echo?key=" + other + "&a=1&k%65y=" + key,
                "apikey", key, "Authorization", "Bearer " + other);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(echo(response).path("uri").asText()).isEqualTo("/by-query/echo?a=1");
        assertThat(upstreamHeader(response, "apikey")).isNull();
        assertThat(upstreamHeader(response, "authorization")).isNull();
    }

    @Test
    void otherAuthorizationIsKeptWhenHeaderAuthenticates() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", key, "Authorization", "Bearer eyJ.a.b");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "authorization")).isEqualTo("Bearer eyJ.a.b");
    }

    @Test
    void keepCredentialForwardsKey() {
        String key = newKey();

        HttpResponse<String> response = auth.get("/kept/echo", "apikey", key);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "apikey")).isEqualTo(key);
    }

    @Test
    void missingKeyIsRejectedWithChallenge() {
        int before = auth.upstreamRequests();

        HttpResponse<String> response = auth.get("/keyed/echo");

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("ApiKey realm=\"portico\"");
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(echo(response).path("type").asText()).isEqualTo("https://portico.dev/problems/unauthorized");
        assertThat(auth.upstreamRequests()).isEqualTo(before);
    }

    @Test
    void wrongKeyIsRejectedWithoutEchoingIt() {
        newKey();
        String wrong = "pk_" + "x".repeat(43);

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", wrong);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain(wrong).contains("the credentials are not valid");
    }

    @Test
    void expiredKeyIsRejected() {
        String key = newKey(object().put("type", "key-auth").put("expiresAt", Instant.now().minusSeconds(60)
                .toString())).path("key").asText();

        HttpResponse<String> response = auth.get("/keyed/echo", "apikey", key);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("the credentials are not valid");
    }

    @Test
    void disabledKeyIsRejectedUntilEnabled() {
        JsonNode created = newKey(object().put("type", "key-auth"));
        String name = created.path("name").asText();
        String key = created.path("key").asText();

        auth.patch("credentials", name, object().put("disabled", true));
        int disabled = auth.get("/keyed/echo", "apikey", key).statusCode();
        auth.patch("credentials", name, object().put("disabled", false));
        int enabled = auth.get("/keyed/echo", "apikey", key).statusCode();

        assertThat(disabled).isEqualTo(401);
        assertThat(enabled).isEqualTo(200);
    }

    @Test
    void disabledConsumerRejectsAllItsKeys() {
        auth.node().admin("POST", "/admin/v1/consumers", object().put("name", "bob").put("team", "payments"), 201);
        String first = auth.createCredential("bob", object().put("type", "key-auth")).path("key").asText();
        String second = auth.createCredential("bob", object().put("type", "key-auth")).path("key").asText();

        auth.patch("consumers", "bob", object().put("disabled", true));

        assertThat(auth.get("/keyed/echo", "apikey", first).statusCode()).isEqualTo(401);
        assertThat(auth.get("/keyed/echo", "apikey", second).statusCode()).isEqualTo(401);
    }

    @Test
    void rotatedKeyWorksUntilOverlapEnds() {
        JsonNode created = newKey(object().put("type", "key-auth"));
        String oldKey = created.path("key").asText();

        JsonNode rotated = auth.node().admin("POST", "/admin/v1/credentials/" + created.path("name").asText()
                + "/rotate", object().put("overlap", "2s"), 201);
        String newKey = rotated.path("key").asText();

        assertThat(rotated.path("name").asText()).isEqualTo(created.path("name").asText() + "-r2");
        assertThat(rotated.path("previous").path("name").asText()).isEqualTo(created.path("name").asText());
        assertThat(newKey).startsWith("pk_").isNotEqualTo(oldKey);
        assertThat(auth.get("/keyed/echo", "apikey", oldKey).statusCode()).isEqualTo(200);
        assertThat(auth.get("/keyed/echo", "apikey", newKey).statusCode()).isEqualTo(200);
        Conditions.eventually("the old key expires", () ->
                auth.get("/keyed/echo", "apikey", oldKey).statusCode() == 401);
        assertThat(auth.get("/keyed/echo", "apikey", newKey).statusCode()).isEqualTo(200);
    }

    @Test
    void deletedKeyIsRevoked() {
        JsonNode created = newKey(object().put("type", "key-auth"));
        String key = created.path("key").asText();
        int before = auth.get("/keyed/echo", "apikey", key).statusCode();

        auth.node().admin("DELETE", "/admin/v1/credentials/" + created.path("name").asText(), null, 204);

        assertThat(before).isEqualTo(200);
        assertThat(auth.get("/keyed/echo", "apikey", key).statusCode()).isEqualTo(401);
    }

    @Test
    void forgedIdentityHeadersAreRemovedOnOpenRoutes() {
        HttpResponse<String> response = auth.get("/open/echo", "X-Consumer-Name", "mallory",
                "X-Consumer-Team", "admins", "X-Credential-Name", "forged", "X-Authenticated-Method", "key-auth");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "x-consumer-name")).isNull();
        assertThat(upstreamHeader(response, "x-consumer-team")).isNull();
        assertThat(upstreamHeader(response, "x-credential-name")).isNull();
        assertThat(upstreamHeader(response, "x-authenticated-method")).isNull();
    }

    @Test
    void subscriptionCheckRunsAfterKeyAuth() {
        auth.node().admin("POST", "/admin/v1/consumers", object().put("name", "grace").put("team", "payments"), 201);
        String key = auth.createCredential("grace", object().put("type", "key-auth")).path("key").asText();
        int withoutKey = auth.get("/billing/echo").statusCode();
        int withoutSubscription = auth.get("/billing/echo", "apikey", key).statusCode();

        auth.node().admin("POST", "/admin/v1/subscriptions", object().put("name", "grace-billing")
                .put("consumer", "grace").put("api", "billing").put("status", "active"), 201);

        assertThat(withoutKey).isEqualTo(401);
        assertThat(withoutSubscription).isEqualTo(403);
        assertThat(auth.get("/billing/echo", "apikey", key).statusCode()).isEqualTo(200);
    }

    @Test
    void optionalPassesRequestWithoutKey() {
        String key = newKey();

        HttpResponse<String> anonymous = auth.get("/optional/echo");
        HttpResponse<String> identified = auth.get("/optional/echo", "apikey", key);
        HttpResponse<String> wrong = auth.get("/optional/echo", "apikey", "pk_wrong-key-0123456789");

        assertThat(anonymous.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(anonymous, "x-consumer-name")).isNull();
        assertThat(upstreamHeader(identified, "x-consumer-name")).isEqualTo("alice");
        assertThat(wrong.statusCode()).isEqualTo(401);
    }
}

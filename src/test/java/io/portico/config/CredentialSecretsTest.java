package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Generated secrets and the stored form of credentials. */
class CredentialSecretsTest {

    @Test
    void generatedKeysHavePrefixAndDiffer() {
        String first = CredentialSecrets.generateKey();
        String second = CredentialSecrets.generateKey();

        assertThat(first).startsWith("pk_").hasSize(46).matches("pk_[A-Za-z0-9_-]{43}");
        assertThat(first).isNotEqualTo(second);
    }

    @Test
    void keyIsStoredAsHashAndHint() {
        ObjectNode written = Json.MAPPER.createObjectNode().put("name", "k").put("consumer", "c")
                .put("type", "key-auth").put("key", "pk_abcdefghijklmnop");

        ObjectNode stored = ResourceKinds.CREDENTIALS.storedForm(written, null);

        assertThat(stored.has("key")).isFalse();
        assertThat(stored.get("keyHash").asText()).isEqualTo(CredentialSecrets.sha256Hex("pk_abcdefghijklmnop"));
        assertThat(stored.get("keyHint").asText()).isEqualTo("pk_a...");
        assertThat(written.has("key")).isTrue();
    }

    @Test
    void passwordIsStoredAsBcryptThatVerifies() {
        ObjectNode written = Json.MAPPER.createObjectNode().put("name", "b").put("consumer", "c")
                .put("type", "basic-auth").put("username", "u").put("password", "s3cret password");

        ObjectNode stored = ResourceKinds.CREDENTIALS.storedForm(written, null);

        String hash = stored.get("passwordHash").asText();
        assertThat(stored.has("password")).isFalse();
        assertThat(hash).startsWith("$2a$12$");
        assertThat(CredentialSecrets.verifyPassword("s3cret password", hash)).isTrue();
        assertThat(CredentialSecrets.verifyPassword("other password", hash)).isFalse();
    }

    @Test
    void samePasswordKeepsStoredHash() {
        ObjectNode written = Json.MAPPER.createObjectNode().put("name", "b").put("consumer", "c")
                .put("type", "basic-auth").put("username", "u").put("password", "kept password");
        ObjectNode stored = ResourceKinds.CREDENTIALS.storedForm(written, null);

        ObjectNode again = ResourceKinds.CREDENTIALS.storedForm(written, stored);
        ObjectNode changed = ResourceKinds.CREDENTIALS.storedForm(written.deepCopy().put("password", "new one"),
                stored);

        assertThat(again).isEqualTo(stored);
        assertThat(changed.get("passwordHash")).isNotEqualTo(stored.get("passwordHash"));
    }

    @Test
    void clientSecretIsStoredAsHash() {
        ObjectNode written = Json.MAPPER.createObjectNode().put("name", "o").put("consumer", "c")
                .put("type", "oauth-client").put("clientId", "app").put("clientSecret", "client secret value");

        ObjectNode stored = ResourceKinds.CREDENTIALS.storedForm(written, null);

        assertThat(stored.has("clientSecret")).isFalse();
        assertThat(CredentialSecrets.verifyPassword("client secret value", stored.get("clientSecretHash").asText()))
                .isTrue();
    }

    @Test
    void malformedHashOrLongPasswordNeverVerifies() {
        String hash = CredentialSecrets.hashPassword("short");

        assertThat(CredentialSecrets.verifyPassword("short", "not a hash")).isFalse();
        assertThat(CredentialSecrets.verifyPassword("x".repeat(100), hash)).isFalse();
    }

    @Test
    void duplicateLookupValuesAreReported() {
        Resource first = credential("a", "{\"name\":\"a\",\"consumer\":\"c\",\"type\":\"mtls\","
                + "\"subject\":\"CN=orders, O=Example\"}");
        Resource second = credential("b", "{\"name\":\"b\",\"consumer\":\"c\",\"type\":\"mtls\","
                + "\"subject\":\"cn=Orders,o=example\"}");
        Resource consumer = new Resource("consumers", "c", (ObjectNode) read("{\"name\":\"c\",\"team\":\"t\"}"), 1,
                Instant.now());
        Resource team = new Resource("teams", "t", (ObjectNode) read("{\"name\":\"t\"}"), 1, Instant.now());

        List<FieldError> errors = ConfigSnapshot.of(1, List.of(first, second, consumer, team)).danglingReferences();

        assertThat(errors).extracting(FieldError::field)
                .containsExactlyInAnyOrder("credentials/a.subject", "credentials/b.subject");
    }

    @Test
    void jwtIssuerAndSubjectPairIsUnique() {
        Resource exact = credential("a", "{\"name\":\"a\",\"consumer\":\"c\",\"type\":\"jwt\","
                + "\"issuer\":\"https://idp.test\",\"subject\":\"svc\"}");
        Resource copy = credential("b", "{\"name\":\"b\",\"consumer\":\"c\",\"type\":\"jwt\","
                + "\"issuer\":\"https://idp.test\",\"subject\":\"svc\"}");
        Resource issuerOnly = credential("c", "{\"name\":\"c\",\"consumer\":\"c\",\"type\":\"jwt\","
                + "\"issuer\":\"https://idp.test\"}");
        Resource subjectOnly = credential("d", "{\"name\":\"d\",\"consumer\":\"c\",\"type\":\"jwt\","
                + "\"subject\":\"svc\"}");
        Resource consumer = new Resource("consumers", "c", (ObjectNode) read("{\"name\":\"c\",\"team\":\"t\"}"), 1,
                Instant.now());
        Resource team = new Resource("teams", "t", (ObjectNode) read("{\"name\":\"t\"}"), 1, Instant.now());

        List<FieldError> errors = ConfigSnapshot.of(1, List.of(exact, copy, issuerOnly, subjectOnly, consumer, team))
                .danglingReferences();

        assertThat(errors).extracting(FieldError::field)
                .containsExactlyInAnyOrder("credentials/a.issuer", "credentials/b.issuer");
    }

    private static Resource credential(String name, String json) {
        return new Resource("credentials", name, (ObjectNode) read(json), 1, Instant.now());
    }

    private static JsonNode read(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

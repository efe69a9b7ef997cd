package io.portico.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.SecretFields;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKey;
import io.portico.store.crypto.SecretCipher;
import io.portico.testing.TestKeys;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Secret fields in the database: encrypted at rest, decrypted on read, re-encrypted on rotation. */
class SecretsAtRestTest {

    private static final String API_KEY = "sk-live-0123456789abcdefghij";
    private static final String SECOND_KEY = "sk-live-second-9876543210zyx";
    private static final MasterKey KEY = MasterKey.decode(TestKeys.MASTER_KEY, "test key");
    private static final MasterKey OTHER = MasterKey.decode(TestKeys.OTHER_KEY, "other test key");

    @TempDir
    Path data;

    @Test
    void rawRowHoldsNoClearSecret() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider(API_KEY, SECOND_KEY))));
        }

        String raw = rawSpec("providers", "openai");
        ObjectNode stored = Json.MAPPER.readValue(raw, ObjectNode.class);

        assertThat(raw).doesNotContain(API_KEY).doesNotContain(SECOND_KEY).doesNotContain("sk-live");
        assertThat(stored.at("/keys/0/key").asText()).startsWith(SecretCipher.PREFIX + KEY.id() + ":");
        assertThat(stored.at("/keys/1/key").asText()).startsWith(SecretCipher.PREFIX + KEY.id() + ":");
        assertThat(stored.path("baseUrl").asText()).isEqualTo("http://127.0.0.1:1/v1");
    }

    @Test
    void policySecretsAreEncrypted() throws Exception {
        ObjectNode policy = Json.MAPPER.createObjectNode().put("name", "tokens").put("type", "jwt");
        ObjectNode config = policy.putObject("config").put("clientSecret", "introspection-client-secret");
        config.putArray("keys").addObject().put("secret", "jwt-hs256-shared-secret-0123456789")
                .putObject("jwk").put("kty", "oct").put("k", "and-a-jwk-key-value-0123456789");
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("policies", "tokens", policy)));

            assertThat(store.get("policies", "tokens").orElseThrow().spec()).isEqualTo(policy);
        }

        String raw = rawSpec("policies", "tokens");
        ObjectNode stored = Json.MAPPER.readValue(raw, ObjectNode.class);

        assertThat(raw).doesNotContain("introspection-client-secret").doesNotContain("jwt-hs256-shared-secret")
                .doesNotContain("and-a-jwk-key-value");
        for (String pointer : List.of("/config/clientSecret", "/config/keys/0/secret", "/config/keys/0/jwk/k")) {
            assertThat(stored.at(pointer).asText()).as(pointer).startsWith(SecretCipher.PREFIX + KEY.id() + ":");
        }
    }

    @Test
    void credentialHeaderValuesAreEncrypted() throws Exception {
        ObjectNode provider = provider(API_KEY);
        provider.putObject("headers").put("X-Org-Token", "org-token-secret-1234").put("X-Trace", "visible-trace");
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "orders").put("service", "app");
        route.putObject("requestHeaders").putObject("set").put("Authorization", "Bearer route-token-4711");
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider),
                    Change.create("routes", "orders", route)));

            assertThat(store.get("providers", "openai").orElseThrow().spec()).isEqualTo(provider);
            assertThat(store.get("routes", "orders").orElseThrow().spec()).isEqualTo(route);
        }

        ObjectNode storedProvider = Json.MAPPER.readValue(rawSpec("providers", "openai"), ObjectNode.class);
        ObjectNode storedRoute = Json.MAPPER.readValue(rawSpec("routes", "orders"), ObjectNode.class);

        assertThat(storedProvider.toString() + storedRoute).doesNotContain("org-token-secret-1234")
                .doesNotContain("route-token-4711");
        assertThat(storedProvider.at("/headers/X-Org-Token").asText()).startsWith(SecretCipher.PREFIX + KEY.id());
        assertThat(storedProvider.at("/headers/X-Trace").asText()).isEqualTo("visible-trace");
        assertThat(storedRoute.at("/requestHeaders/set/Authorization").asText())
                .startsWith(SecretCipher.PREFIX + KEY.id());
    }

    @Test
    void olderAuditEntriesMaskedOnRead() throws Exception {
        ObjectNode provider = provider(API_KEY);
        provider.putObject("headers").put("X-Org-Token", "org-token-secret-1234");
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider)));
        }
        // An entry as a version that did not mask header values wrote it: the key masked, the header in clear.
        ObjectNode recorded = provider.deepCopy();
        ((ObjectNode) recorded.withArray("keys").get(0)).put("key", SecretFields.hint(API_KEY));
        updateRawAudit(recorded.toString());

        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            ObjectNode after = store.audit(AuditQuery.all(10)).get(0).after();

            assertThat(after.at("/headers/X-Org-Token").asText())
                    .isEqualTo(SecretFields.hint("org-token-secret-1234"));
            assertThat(after.at("/keys/0/key").asText()).isEqualTo(SecretFields.hint(API_KEY));
        }
    }

    @Test
    void secretsRoundTrip() {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider(API_KEY, SECOND_KEY))));
        }

        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            ObjectNode spec = store.get("providers", "openai").orElseThrow().spec();
            assertThat(spec).isEqualTo(provider(API_KEY, SECOND_KEY));
            assertThat(store.read().resources().get(0).spec()).isEqualTo(spec);
            assertThat(store.list("providers").get(0).spec()).isEqualTo(spec);
        }
    }

    @Test
    void equalSecretsEncryptDifferently() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider(API_KEY, API_KEY))));
        }

        ObjectNode stored = Json.MAPPER.readValue(rawSpec("providers", "openai"), ObjectNode.class);

        assertThat(stored.at("/keys/0/key").asText()).isNotEqualTo(stored.at("/keys/1/key").asText());
    }

    @Test
    void wrongKeyFailsOnOpen() {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider(API_KEY))));
        }

        assertThatThrownBy(() -> JdbcConfigStore.embedded(data, Keyring.of(OTHER)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("encrypted with master key " + KEY.id())
                .hasMessageContaining(OTHER.id())
                .hasMessageContaining("PORTICO_MASTER_KEY")
                .hasMessageNotContaining(API_KEY);
    }

    @Test
    void wrongKeyFailsOnEmptyStoreToo() {
        JdbcConfigStore.embedded(data, Keyring.of(KEY)).close();

        assertThatThrownBy(() -> JdbcConfigStore.embedded(data, Keyring.of(OTHER)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("encrypted with master key " + KEY.id());
    }

    @Test
    void rotationKeepsOldValuesReadable() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "old", provider(API_KEY))));
        }
        assertThat(keyIdOf(rawSpec("providers", "old"))).isEqualTo(KEY.id());

        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, new Keyring(OTHER, List.of(KEY)))) {
            store.commit(List.of(Change.create("providers", "new", provider(SECOND_KEY))));

            assertThat(store.get("providers", "old").orElseThrow().spec()).isEqualTo(provider(API_KEY));
            assertThat(store.get("providers", "new").orElseThrow().spec()).isEqualTo(provider(SECOND_KEY));
        }

        assertThat(keyIdOf(rawSpec("providers", "new"))).isEqualTo(OTHER.id());
        assertThat(keyIdOf(rawSpec("providers", "old"))).as("re-encrypted on open").isEqualTo(OTHER.id());
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(OTHER))) {
            assertThat(store.get("providers", "old").orElseThrow().spec()).isEqualTo(provider(API_KEY));
        }
    }

    @Test
    void oldValuesNeedTheOldKey() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "old", provider(API_KEY))));
        }
        // A value under KEY that the rotation did not reach, as when it was written by a node still on KEY.
        String underOldKey = rawSpec("providers", "old");
        JdbcConfigStore.embedded(data, new Keyring(OTHER, List.of(KEY))).close();
        updateRawSpec("providers", "old", underOldKey);

        assertThatThrownBy(() -> JdbcConfigStore.embedded(data, Keyring.of(OTHER)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("encrypted with master key(s) [" + KEY.id() + "]")
                .hasMessageContaining("PORTICO_DECRYPTION_KEYS");
    }

    @Test
    void clearTextRowsAreEncryptedOnOpen() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "legacy", provider(SECOND_KEY))));
        }
        updateRawSpec("providers", "legacy", provider(API_KEY).toString());
        long revision = revisionOf("providers", "legacy");

        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            assertThat(store.get("providers", "legacy").orElseThrow().spec()).isEqualTo(provider(API_KEY));
        }

        assertThat(rawSpec("providers", "legacy")).doesNotContain(API_KEY);
        assertThat(keyIdOf(rawSpec("providers", "legacy"))).isEqualTo(KEY.id());
        assertThat(revisionOf("providers", "legacy")).as("revision unchanged").isEqualTo(revision);
    }

    @Test
    void valueMovedToAnotherResourceDoesNotDecrypt() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "a", provider(API_KEY)),
                    Change.create("providers", "b", provider(SECOND_KEY))));
        }
        updateRawSpec("providers", "b", rawSpec("providers", "a"));

        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            assertThatThrownBy(() -> store.get("providers", "b"))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("providers/b.keys[0].key")
                    .hasMessageContaining("does not authenticate")
                    .hasMessageNotContaining(API_KEY);
        }
    }

    @Test
    void auditLogMasksSecrets() throws Exception {
        try (JdbcConfigStore store = JdbcConfigStore.embedded(data, Keyring.of(KEY))) {
            store.commit(List.of(Change.create("providers", "openai", provider(API_KEY))));
            store.commit(List.of(Change.update("providers", "openai", provider(SECOND_KEY), null)));

            List<AuditEntry> entries = store.audit(AuditQuery.all(10));

            assertThat(entries).hasSize(2);
            assertThat(entries.get(0).before().at("/keys/0/key").asText()).startsWith("secret:sha256:");
            assertThat(entries.get(0).after().at("/keys/0/key").asText()).startsWith("secret:sha256:");
            assertThat(entries.toString()).doesNotContain(API_KEY).doesNotContain(SECOND_KEY);
        }
        assertThat(rawAuditText()).doesNotContain(API_KEY).doesNotContain(SECOND_KEY);
    }

    private static ObjectNode provider(String... keys) {
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "openai").put("type", "openai")
                .put("baseUrl", "http://127.0.0.1:1/v1");
        for (String key : keys) {
            spec.withArray("keys").addObject().put("key", key);
        }
        return spec;
    }

    private static String keyIdOf(String rawSpec) throws Exception {
        String value = Json.MAPPER.readTree(rawSpec).at("/keys/0/key").asText();
        return SecretCipher.keyIdOf(value).orElseThrow();
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:h2:file:" + data.toAbsolutePath().resolve("portico"), "sa", "");
    }

    private String rawSpec(String kind, String name) throws SQLException {
        return rawColumn("spec", kind, name);
    }

    private long revisionOf(String kind, String name) throws SQLException {
        return Long.parseLong(rawColumn("revision", kind, name));
    }

    private String rawColumn(String column, String kind, String name) throws SQLException {
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement(
                     "SELECT " + column + " FROM resources WHERE kind = ? AND name = ?")) {
            statement.setString(1, kind);
            statement.setString(2, name);
            try (ResultSet rows = statement.executeQuery()) {
                assertThat(rows.next()).as(kind + "/" + name + " stored").isTrue();
                return rows.getString(1);
            }
        }
    }

    private void updateRawSpec(String kind, String name, String spec) throws SQLException {
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement(
                     "UPDATE resources SET spec = ? WHERE kind = ? AND name = ?")) {
            statement.setString(1, spec);
            statement.setString(2, kind);
            statement.setString(3, name);
            assertThat(statement.executeUpdate()).isEqualTo(1);
        }
    }

    private void updateRawAudit(String afterSpec) throws SQLException {
        try (Connection connection = connect();
             PreparedStatement statement = connection.prepareStatement("UPDATE audit_log SET after_spec = ?")) {
            statement.setString(1, afterSpec);
            assertThat(statement.executeUpdate()).isEqualTo(1);
        }
    }

    private String rawAuditText() throws SQLException {
        StringBuilder text = new StringBuilder();
        try (Connection connection = connect();
             ResultSet rows = connection.createStatement().executeQuery(
                     "SELECT before_spec, after_spec FROM audit_log")) {
            while (rows.next()) {
                text.append(rows.getString(1)).append(rows.getString(2));
            }
        }
        return text.toString();
    }
}

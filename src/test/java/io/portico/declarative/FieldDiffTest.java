package io.portico.declarative;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.portico.config.Json;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import java.util.List;
import org.junit.jupiter.api.Test;

class FieldDiffTest {

    private static final String SERVICE = """
            {"name": "web", "targets": [{"host": "10.0.0.1", "port": 80}], "timeouts": {"read": "30s"}}""";
    private static final String ROUTE = """
            {"name": "api", "service": "web", "paths": ["/a", "/b"], "policies": [{"name": "jwt", "config": {
              "algorithms": ["HS256"], "keys": [{"kid": "one", "secret": "first-hs256-secret-0123456789abcdef"}]}}]}""";
    private static final String PROVIDER = """
            {"name": "openai", "type": "openai", "keys": [{"key": "sk-first-0123"}],
             "headers": {"Authorization": "Bearer header-token-0123", "X-Trace": "one"}}""";

    @Test
    void nestedFieldShowsOldAndNew() {
        List<FieldChange> changes = diff(ResourceKinds.SERVICES, SERVICE, SERVICE.replace("30s", "10s"));

        assertThat(changes).containsExactly(FieldChange.replace("timeouts.read", text("30s"), text("10s"), false));
    }

    @Test
    void defaultsWrittenOutAreNoChange() {
        String withDefaults = """
                {"name": "web", "protocol": "http", "targets": [{"host": "10.0.0.1", "port": 80, "weight": 100}],
                 "timeouts": {"connect": "5000ms", "read": "30s"}}""";

        assertThat(diff(ResourceKinds.SERVICES, withDefaults, SERVICE)).isEmpty();
    }

    @Test
    void removedFieldWithDefaultShowsDefault() {
        String withRetries = SERVICE.replace("}}", "}, \"retries\": {\"attempts\": 5}}");

        List<FieldChange> changes = diff(ResourceKinds.SERVICES, withRetries, SERVICE);

        assertThat(changes).containsExactly(FieldChange.replace("retries.attempts", json("5"), json("2"), false));
    }

    @Test
    void appendedElementIsOneAdd() {
        String twoTargets = SERVICE.replace("80}]", "80}, {\"host\": \"10.0.0.2\", \"port\": 80}]");

        List<FieldChange> changes = diff(ResourceKinds.SERVICES, SERVICE, twoTargets);

        assertThat(changes).containsExactly(FieldChange.add("targets[1]",
                json("{\"host\": \"10.0.0.2\", \"port\": 80, \"weight\": 100}"), false));
    }

    @Test
    void changedElementFieldIsOneReplace() {
        List<FieldChange> changes = diff(ResourceKinds.SERVICES, SERVICE, SERVICE.replace("80", "8080"));

        assertThat(changes).containsExactly(FieldChange.replace("targets[0].port", json("80"), json("8080"), false));
    }

    @Test
    void insertedElementHasNewIndex() {
        List<FieldChange> changes = diff(ResourceKinds.ROUTES, ROUTE, ROUTE.replace("\"/a\",", "\"/a\", \"/c\","));

        assertThat(changes).containsExactly(FieldChange.add("paths[1]", text("/c"), false));
    }

    @Test
    void removedElementHasStoredIndex() {
        String three = ROUTE.replace("\"/a\",", "\"/a\", \"/c\",");

        List<FieldChange> changes = diff(ResourceKinds.ROUTES, three, ROUTE);

        assertThat(changes).containsExactly(FieldChange.remove("paths[1]", text("/c"), false));
    }

    @Test
    void changedListElementsPairByPosition() {
        List<FieldChange> changes = diff(ResourceKinds.ROUTES, ROUTE,
                ROUTE.replace("[\"/a\", \"/b\"]", "[\"/x\", \"/y\", \"/z\"]"));

        assertThat(changes).containsExactly(
                FieldChange.replace("paths[0]", text("/a"), text("/x"), false),
                FieldChange.replace("paths[1]", text("/b"), text("/y"), false),
                FieldChange.add("paths[2]", text("/z"), false));
    }

    @Test
    void changedSecretShowsOnlyHints() {
        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, PROVIDER,
                PROVIDER.replace("sk-first-0123", "sk-second-4567"));

        assertThat(changes).containsExactly(FieldChange.replace("keys[0].key", text(Secrets.hint("sk-first-0123")),
                text(Secrets.hint("sk-second-4567")), true));
    }

    @Test
    void credentialHeaderIsSecret() {
        String changed = PROVIDER.replace("header-token-0123", "header-token-4567").replace("one", "two");

        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, PROVIDER, changed);

        assertThat(changes).containsExactly(
                FieldChange.replace("headers.Authorization", text(Secrets.hint("Bearer header-token-0123")),
                        text(Secrets.hint("Bearer header-token-4567")), true),
                FieldChange.replace("headers.X-Trace", text("one"), text("two"), false));
    }

    @Test
    void mapChangesAreInKeyOrder() {
        String many = PROVIDER.replace("\"X-Trace\": \"one\"",
                "\"X-Trace\": \"one\", \"X-Team\": \"one\", \"OpenAI-Project\": \"one\", \"A-Tag\": \"one\","
                        + " \"Z-Tag\": \"one\", \"M-Tag\": \"one\"");

        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, many, many.replace("\"one\"", "\"two\""));

        assertThat(changes).extracting(FieldChange::path).containsExactly("headers.A-Tag", "headers.M-Tag",
                "headers.OpenAI-Project", "headers.X-Team", "headers.X-Trace", "headers.Z-Tag");
    }

    @Test
    void removedSecretShowsHint() {
        String withoutHeader = PROVIDER.replace("\"Authorization\": \"Bearer header-token-0123\", ", "");

        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, PROVIDER, withoutHeader);

        assertThat(changes).containsExactly(FieldChange.remove("headers.Authorization",
                text(Secrets.hint("Bearer header-token-0123")), true));
    }

    @Test
    void addedElementMasksSecretsInside() {
        String twoKeys = PROVIDER.replace("{\"key\": \"sk-first-0123\"}",
                "{\"key\": \"sk-first-0123\"}, {\"key\": \"sk-added-8910\", \"label\": \"spare\"}");

        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, PROVIDER, twoKeys);

        assertThat(changes).containsExactly(FieldChange.add("keys[1]", json("{\"key\": \""
                + Secrets.hint("sk-added-8910") + "\", \"weight\": 1, \"label\": \"spare\"}"), false));
    }

    @Test
    void secretsInNestedListsAreMasked() {
        String changed = ROUTE.replace("first-hs256-secret-0123456789abcdef", "changed-hs256-secret-0123456789abcd")
                .replace("}]}}]}", "}, {\"kid\": \"two\", \"secret\": \"added-hs256-secret-0123456789abcdef\"}]}}]}");

        List<FieldChange> changes = diff(ResourceKinds.ROUTES, ROUTE, changed);

        assertThat(changes).containsExactly(
                FieldChange.replace("policies[0].config.keys[0].secret",
                        text(Secrets.hint("first-hs256-secret-0123456789abcdef")),
                        text(Secrets.hint("changed-hs256-secret-0123456789abcd")), true),
                FieldChange.add("policies[0].config.keys[1]", json("{\"kid\": \"two\", \"secret\": \""
                        + Secrets.hint("added-hs256-secret-0123456789abcdef") + "\"}"), false));
        assertThat(changes.toString()).doesNotContain("hs256-secret");
    }

    @Test
    void unusualFieldNameIsQuotedInPath() {
        String dotted = PROVIDER.replace("X-Trace", "X.Trace");

        List<FieldChange> changes = diff(ResourceKinds.PROVIDERS, dotted, dotted.replace("one", "two"));

        assertThat(changes).extracting(FieldChange::path).containsExactly("headers[\"X.Trace\"]");
    }

    @Test
    void teamChangeIsAChange() {
        String owned = SERVICE.replace("}}", "}, \"team\": \"payments\"}");

        List<FieldChange> changes = diff(ResourceKinds.SERVICES, owned, owned.replace("payments", "billing"));

        assertThat(changes).containsExactly(FieldChange.replace("team", text("payments"), text("billing"), false));
    }

    @Test
    void createdListsTopLevelFieldsMasked() {
        List<FieldChange> changes = FieldDiff.created(ResourceKinds.PROVIDERS, spec(PROVIDER));

        assertThat(changes).extracting(FieldChange::path).containsExactly("type", "keys", "headers");
        assertThat(changes.get(1).newValue()).isEqualTo(json("[{\"key\": \"" + Secrets.hint("sk-first-0123")
                + "\"}]"));
        assertThat(changes.get(2).newValue().path("Authorization").asText())
                .isEqualTo(Secrets.hint("Bearer header-token-0123"));
        assertThat(changes.toString()).doesNotContain("sk-first", "header-token");
    }

    @Test
    void createdMarksTopLevelSecret() {
        ObjectNode certificate = Json.MAPPER.createObjectNode().put("name", "tls").put("certificate", "PEM")
                .put("key", "private-key-text");

        List<FieldChange> changes = FieldDiff.created(ResourceKinds.CERTIFICATES, certificate);

        assertThat(changes).containsExactly(FieldChange.add("certificate", text("PEM"), false),
                FieldChange.add("key", text(Secrets.hint("private-key-text")), true));
    }

    @Test
    void jsonFormRoundTrips() {
        FieldChange secret = FieldChange.replace("keys[0].key", text("secret:sha256:00000000"),
                text("secret:sha256:11111111"), true);
        FieldChange added = FieldChange.add("paths[1]", text("/c"), false);
        FieldChange removed = FieldChange.remove("retries", json("{\"attempts\": 3}"), false);

        for (FieldChange change : List.of(secret, added, removed)) {
            assertThat(FieldChange.fromJson(change.toJson())).isEqualTo(change);
        }
        assertThat(secret.toJson()).isEqualTo(json("{\"op\": \"replace\", \"path\": \"keys[0].key\","
                + " \"old\": \"secret:sha256:00000000\", \"new\": \"secret:sha256:11111111\", \"secret\": true}"));
        assertThat(added.toJson().has("old")).isFalse();
        assertThat(removed.toJson().has("new")).isFalse();
    }

    private static List<FieldChange> diff(ResourceKind<?> kind, String stored, String desired) {
        return FieldDiff.between(kind, spec(stored), spec(desired));
    }

    private static ObjectNode spec(String json) {
        return (ObjectNode) json(json);
    }

    private static JsonNode json(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new IllegalArgumentException(json, e);
        }
    }

    private static TextNode text(String text) {
        return TextNode.valueOf(text);
    }
}

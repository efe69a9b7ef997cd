package io.portico.declarative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import io.portico.store.Change;
import io.portico.testing.Specs;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiffTest {

    private static final String KEY = Specs.KEY;

    @Test
    void defaultsWrittenOutAreNoChange() throws Exception {
        Resource stored = resource("services", "{\"name\":\"web\",\"protocol\":\"http\",\"targets\":"
                + "[{\"host\":\"a\",\"port\":1,\"weight\":100}],\"timeouts\":{\"connect\":\"5000ms\"}}", 3);
        DeclarativeDocument document = yaml("services:\n  - {name: web, targets: [{host: a, port: 1}]}\n");

        Diff diff = Diff.between(document, List.of(stored));

        assertThat(diff.report().unchanged()).isEqualTo(1);
        assertThat(diff.changes()).isEmpty();
    }

    @Test
    void changesCarryExpectedRevisionsInOrder() throws Exception {
        List<Resource> stored = List.of(
                resource("services", "{\"name\":\"old\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 4),
                resource("services", "{\"name\":\"web\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 5),
                resource("routes", "{\"name\":\"gone\",\"service\":\"old\"}", 6),
                resource("plugins", "{\"name\":\"unknown-kind\"}", 7));
        DeclarativeDocument document = yaml("services:\n  - {name: web, targets: [{host: b, port: 1}]}\n"
                + "routes:\n  - {name: api, service: web}\n");

        Diff diff = Diff.between(document, stored);

        assertThat(diff.report().created()).containsExactly("routes/api");
        assertThat(diff.report().updated()).containsExactly("services/web");
        assertThat(diff.report().deleted()).containsExactly("routes/gone", "services/old");
        assertThat(diff.changes()).extracting(Change::operation, Change::kind, Change::name, Change::expectedRevision)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(Change.Operation.UPDATE, "services", "web", 5L),
                        org.assertj.core.groups.Tuple.tuple(Change.Operation.CREATE, "routes", "api", null),
                        org.assertj.core.groups.Tuple.tuple(Change.Operation.DELETE, "routes", "gone", 6L),
                        org.assertj.core.groups.Tuple.tuple(Change.Operation.DELETE, "services", "old", 4L));
    }

    @Test
    void matchingHintIsNoChange() throws Exception {
        Resource stored = resource("certificates", certificate(KEY), 2);
        DeclarativeDocument document = DeclarativeDocument.export(List.of(stored));

        Diff diff = Diff.between(document, List.of(stored));

        assertThat(diff.report().unchanged()).isEqualTo(1);
    }

    @Test
    void unknownHintIsRejected() throws Exception {
        Resource stored = resource("certificates", certificate(KEY), 2);
        DeclarativeDocument document = DeclarativeDocument.parseLiteral("{\"certificates\": ["
                + certificate(Secrets.hint("another")) + "]}");

        assertThatThrownBy(() -> Diff.between(document, List.of(stored)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("certificates[0].key");
    }

    @Test
    void exportMasksAndSorts() throws Exception {
        DeclarativeDocument document = DeclarativeDocument.export(List.of(
                resource("certificates", certificate(KEY), 2),
                resource("services", "{\"name\":\"b\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 1),
                resource("services", "{\"name\":\"a\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 1)));

        ObjectNode json = document.toJson();

        assertThat(json.path("services").path(0).path("name").asText()).isEqualTo("a");
        assertThat(json.path("certificates").path(0).path("key").asText()).isEqualTo(Secrets.hint(KEY));
        assertThat(json.toString()).doesNotContain("abc");
    }

    @Test
    void teamChangeIsUpdate() throws Exception {
        Resource stored = resource("services", "{\"name\":\"web\",\"team\":\"payments\",\"targets\":"
                + "[{\"host\":\"a\",\"port\":1}]}", 3);
        DeclarativeDocument document = yaml("services:\n  - {name: web, team: billing,"
                + " targets: [{host: a, port: 1}]}\n");

        Diff diff = Diff.between(document, List.of(stored));

        assertThat(diff.report().updated()).containsExactly("services/web");
        assertThat(diff.report().fieldsOf("services/web")).extracting(FieldChange::path).containsExactly("team");
        assertThat(diff.changes()).hasSize(1);
    }

    @Test
    void reportListsFieldsOfCreatedAndUpdated() throws Exception {
        List<Resource> stored = List.of(
                resource("services", "{\"name\":\"web\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 1),
                resource("services", "{\"name\":\"old\",\"targets\":[{\"host\":\"a\",\"port\":1}]}", 2));
        DeclarativeDocument document = yaml("""
                services:
                  - {name: web, targets: [{host: a, port: 2}]}
                routes:
                  - {name: api, service: web, paths: [/api]}
                """);

        ChangeReport report = Diff.between(document, stored).report();

        assertThat(report.fieldsOf("services/web")).containsExactly(FieldChange.replace("targets[0].port",
                Json.MAPPER.getNodeFactory().numberNode(1), Json.MAPPER.getNodeFactory().numberNode(2), false));
        assertThat(report.fieldsOf("routes/api")).extracting(FieldChange::path).containsExactly("service", "paths");
        assertThat(report.fieldsOf("services/old")).isEmpty();
        assertThat(ChangeReport.fromJson(report.toJson())).isEqualTo(report);
    }

    @Test
    void changedApiKeyShowsOnlyHashHints() throws Exception {
        ObjectNode written = (ObjectNode) Json.MAPPER.readTree("{\"name\":\"k\",\"consumer\":\"app\","
                + "\"type\":\"key-auth\",\"key\":\"first-api-key-0123\"}");
        ObjectNode storedSpec = ResourceKinds.CREDENTIALS.storedForm(written, null);
        Resource stored = new Resource("credentials", "k", storedSpec, 4, Instant.EPOCH);
        DeclarativeDocument document = yaml("credentials:\n  - {name: k, consumer: app, type: key-auth,"
                + " key: second-api-key-4567}\n");

        ChangeReport report = Diff.between(document, List.of(stored)).report();

        List<FieldChange> fields = report.fieldsOf("credentials/k");
        assertThat(fields).extracting(FieldChange::path).containsExactly("keyHash", "keyHint");
        assertThat(fields.get(0).secret()).isTrue();
        assertThat(fields.get(0).oldValue().asText()).isEqualTo(Secrets.hint(storedSpec.get("keyHash").asText()));
        assertThat(fields.get(0).newValue().asText()).startsWith(Secrets.HINT_PREFIX);
        assertThat(report.toJson().toString()).doesNotContain("first-api-key-0123", "second-api-key-4567",
                storedSpec.get("keyHash").asText());
    }

    private static String certificate(String key) {
        return "{\"name\":\"tls\",\"certificate\":" + Json.MAPPER.createObjectNode().textNode(Specs.CERTIFICATE)
                + ",\"key\":" + Json.MAPPER.createObjectNode().textNode(key) + "}";
    }

    private static DeclarativeDocument yaml(String text) {
        return DeclarativeDocument.parse(text, Map.of());
    }

    private static Resource resource(String kind, String json, long revision) throws Exception {
        ObjectNode spec = (ObjectNode) Json.MAPPER.readTree(json);
        return new Resource(kind, spec.path("name").asText(), spec, revision, Instant.EPOCH);
    }
}

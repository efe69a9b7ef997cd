package io.portico.declarative;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.FieldError;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.config.ResourceKinds;
import io.portico.config.ValidationException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DeclarativeDocumentTest {

    private static final String SERVICE = """
            services:
              - name: web
                targets:
                  - host: ${UPSTREAM_HOST}
                    port: ${UPSTREAM_PORT}
            """;

    @Test
    void substitutesEnvironmentVariables() {
        DeclarativeDocument document = DeclarativeDocument.parse(SERVICE,
                Map.of("UPSTREAM_HOST", "10.0.0.5", "UPSTREAM_PORT", "8443"));

        var target = document.resources(ResourceKinds.SERVICES).get(0).path("targets").path(0);
        assertThat(target.path("host").asText()).isEqualTo("10.0.0.5");
        assertThat(document.validate()).isEmpty();
    }

    @Test
    void booleanLikeWordsStayText() {
        String yaml = "routes:\n  - name: r\n    service: s\n    requestHeaders: {set: {X-Country: NO, X-Flag: on}}\n";

        DeclarativeDocument document = DeclarativeDocument.parse(yaml, Map.of());

        var set = document.resources(ResourceKinds.ROUTES).get(0).path("requestHeaders").path("set");
        assertThat(set.path("X-Country").isTextual()).isTrue();
        assertThat(set.path("X-Country").asText()).isEqualTo("NO");
        assertThat(set.path("X-Flag").asText()).isEqualTo("on");
    }

    @Test
    void missingVariableIsNamedWithField() {
        assertThatThrownBy(() -> DeclarativeDocument.parse(SERVICE, Map.of("UPSTREAM_PORT", "1")))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors()).containsExactly(
                        new FieldError("services[0].targets[0].host",
                                "refers to environment variable UPSTREAM_HOST, which is not set")));
    }

    @Test
    void doubleDollarEscapesReference() {
        String yaml = "routes:\n  - name: r\n    service: s\n"
                + "    rewrite: {regex: '^/(.*)', replacement: '$${KEEP}/$1'}\n";

        DeclarativeDocument document = DeclarativeDocument.parse(yaml, Map.of("KEEP", "no"));

        String replacement = document.resources(ResourceKinds.ROUTES).get(0).path("rewrite").path("replacement")
                .asText();
        assertThat(replacement).isEqualTo("${KEEP}/$1");
    }

    @Test
    void malformedReferencesAreReported() {
        String yaml = "services:\n  - name: 'a${'\n  - name: '${1X}'\n";

        assertThatThrownBy(() -> DeclarativeDocument.parse(yaml, Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactly("services[0].name", "services[1].name"));
    }

    @Test
    void duplicateKeyIsNamedWithoutValue() {
        String yaml = "services:\n  - name: web\n    name: s3cr3t-looking-value\n";

        assertThatThrownBy(() -> DeclarativeDocument.parse(yaml, Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("duplicate key 'name'")
                .hasMessageNotContaining("s3cr3t");
    }

    @Test
    void severalDocumentsAreRejected() {
        String yaml = """
                format: 1
                services: []
                ---
                routes: []
                """;

        assertThatThrownBy(() -> DeclarativeDocument.parse(yaml, Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.errors()).hasSize(1);
                    assertThat(e.errors().get(0).message())
                            .startsWith("the text contains 2 YAML documents, the second starting at line 3.");
                });
    }

    @Test
    void documentCountSkipsEmptyDocuments() {
        String yaml = "services: []\n---\n---\n# nothing here\n---\nroutes: []\n---\n";

        assertThatThrownBy(() -> DeclarativeDocument.parseLiteral(yaml))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("contains 4 YAML documents, the second starting at line 2.");
    }

    @Test
    void trailingDocumentMarkersAreAccepted() {
        for (String yaml : List.of("services: []\n---\n", "services: []\n...\n", "---\nservices: []\n...\n",
                "services: []\n---\n# comment\n")) {
            assertThat(DeclarativeDocument.parseLiteral(yaml).size()).as(yaml).isZero();
        }
    }

    @Test
    void documentAfterEndMarkerIsRejected() {
        assertThatThrownBy(() -> DeclarativeDocument.parseLiteral("services: []\n...\n--- ~\n"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("contains 2 YAML documents, the second starting at line 3.");
    }

    @Test
    void jsonAfterDocumentIsRejected() {
        assertThatThrownBy(() -> DeclarativeDocument.parseLiteral("{\"services\": []} {\"routes\": []}"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("not valid JSON at line 1");
    }

    @Test
    void jsonWithTrailingContentIsRejected() {
        String json = "{\"services\": [{\"name\": \"web\", \"targets\": [{\"host\": \"a\", \"port\": 1}]}]}";

        for (String trailing : List.of(" garbage ] }", "\n{\"routes\": []}", " 1")) {
            assertThatThrownBy(() -> DeclarativeDocument.parse(json + trailing, Map.of())).as(trailing)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("not valid JSON")
                    .hasMessageContaining("content follows the end of the JSON value");
        }
        assertThat(DeclarativeDocument.parse(json + " \n", Map.of()).size()).isEqualTo(1);
    }

    @Test
    void aliasesAreExpanded() {
        String yaml = """
                services:
                  - name: a1
                    targets: &targets [{host: 127.0.0.1, port: 8081}]
                    timeouts: &timeouts {connect: 1s, read: 2s}
                    retries: {attempts: &attempts 3}
                  - name: a2
                    targets: *targets
                    timeouts: *timeouts
                    retries: {attempts: *attempts}
                """;

        DeclarativeDocument document = DeclarativeDocument.parse(yaml, Map.of());

        var second = document.resources(ResourceKinds.SERVICES).get(1);
        assertThat(document.validate()).isEmpty();
        assertThat(second.path("targets").path(0).path("port").asInt()).isEqualTo(8081);
        assertThat(second.path("timeouts").path("read").asText()).isEqualTo("2s");
        assertThat(second.path("retries").path("attempts").asInt()).isEqualTo(3);
        var first = document.resources(ResourceKinds.SERVICES).get(0);
        assertThat(second.path("timeouts")).as("each alias is a copy").isNotSameAs(first.path("timeouts"));
    }

    @Test
    void emptyValueReadsAsNull() {
        String empty = """
                routes:
                services:
                  - name:
                    targets:
                    timeouts:
                  - name: ''
                    targets: [{host: 127.0.0.1, port: 8081}]
                """;
        String absent = """
                services:
                  - {}
                  - name: ''
                    targets: [{host: 127.0.0.1, port: 8081}]
                """;

        DeclarativeDocument document = DeclarativeDocument.parse(empty, Map.of());
        List<FieldError> errors = document.validate();

        assertThat(document.resources(ResourceKinds.ROUTES)).isEmpty();
        assertThat(errors).isEqualTo(DeclarativeDocument.parse(absent, Map.of()).validate());
        assertThat(errors).extracting(FieldError::field)
                .contains("services[0].name", "services[0].targets", "services[1].name")
                .doesNotContain("services[0].timeouts");
        assertThat(errors).filteredOn(error -> error.field().equals("services[0].name"))
                .extracting(FieldError::message).containsExactly("is required");
    }

    @Test
    void emptyTextSurvivesYamlRoundTrip() {
        ObjectNode spec = Json.MAPPER.createObjectNode().put("name", "web").put("description", "");
        Resource resource = new Resource(ResourceKinds.SERVICES.name(), "web", spec, 1, Instant.EPOCH);

        String yaml = DeclarativeDocument.export(List.of(resource)).toText(DocumentFormat.YAML);
        DeclarativeDocument read = DeclarativeDocument.parse(yaml, Map.of());

        JsonNode description = read.resources(ResourceKinds.SERVICES).get(0).get("description");
        assertThat(description.isTextual()).as(yaml).isTrue();
        assertThat(description.asText()).isEmpty();
    }

    @Test
    void mergeKeyIsUnknownField() {
        String yaml = """
                services:
                  - name: a1
                    targets: [{host: 127.0.0.1, port: 8081}]
                    timeouts: &timeouts {connect: 1s}
                  - name: a2
                    targets: [{host: 127.0.0.1, port: 8081}]
                    timeouts:
                      <<: *timeouts
                      read: 2s
                """;

        List<FieldError> errors = DeclarativeDocument.parse(yaml, Map.of()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("services[1].timeouts.<<");
        assertThat(errors).extracting(FieldError::message).containsExactly("unknown field '<<'");
    }

    @Test
    void aliasWithoutEarlierAnchorIsRejected() {
        String undefined = "services:\n  - name: a\n    targets: *shared\n";
        String recursive = "services: &all [*all]\n";

        assertThatThrownBy(() -> DeclarativeDocument.parse(undefined, Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("line 3")
                .hasMessageContaining("the alias *shared refers to no anchor &shared before it");
        assertThatThrownBy(() -> DeclarativeDocument.parse(recursive, Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("the alias *all refers to no anchor &all before it");
    }

    @Test
    void aliasBombIsRejected() {
        StringBuilder yaml = new StringBuilder("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (int level = 1; level < 10; level++) {
            String previous = "*l" + (level - 1);
            yaml.append("l").append(level).append(": &l").append(level).append(" [")
                    .append(String.join(", ", Collections.nCopies(10, previous))).append("]\n");
        }

        assertThatThrownBy(() -> DeclarativeDocument.parse(yaml.toString(), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("the aliases add more than 1000000 values to the document");
    }

    @Test
    void validationStoppedAtCapIsReported() {
        StringBuilder yaml = new StringBuilder("services:\n  - name: s\n    targets: [{host: h, port: 80}]\n");
        for (int i = 0; i < 25; i++) {
            yaml.append("    unknown").append(i).append(": 1\n");
        }

        List<FieldError> errors = DeclarativeDocument.parse(yaml.toString(), Map.of()).validate();

        assertThat(errors).hasSize(21);
        assertThat(errors.get(20).field()).isEqualTo("services[0]");
        assertThat(errors.get(20).message()).isEqualTo("checking stopped after 20 invalid fields, so other fields"
                + " may be invalid as well");
    }

    @Test
    void literalParseKeepsReferences() {
        DeclarativeDocument document = DeclarativeDocument.parseLiteral(SERVICE);

        assertThat(document.resources(ResourceKinds.SERVICES).get(0).path("targets").path(0).path("host").asText())
                .isEqualTo("${UPSTREAM_HOST}");
    }

    @Test
    void invalidFieldsAreNamedByPosition() {
        String yaml = """
                services:
                  - name: web
                    targets: [{host: a, port: 1}]
                routes:
                  - name: ok
                    service: web
                  - name: bad
                    service: web
                    paths: [/a, "nope"]
                """;

        List<FieldError> errors = DeclarativeDocument.parse(yaml, Map.of()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("routes[1].paths[1]");
    }

    @Test
    void duplicateNamesAreReported() {
        String yaml = "services:\n  - {name: web, targets: [{host: a, port: 1}]}\n"
                + "  - {name: web, targets: [{host: b, port: 2}]}\n";

        List<FieldError> errors = DeclarativeDocument.parse(yaml, Map.of()).validate();

        assertThat(errors).containsExactly(new FieldError("services[1].name",
                "duplicates the name 'web' of services[0]"));
    }

    @Test
    void danglingReferenceIsNamedByPosition() {
        String yaml = "services:\n  - {name: web, targets: [{host: a, port: 1}]}\n"
                + "routes:\n  - {name: a, service: web}\n  - {name: api.v1, service: missing}\n";

        List<FieldError> errors = DeclarativeDocument.parse(yaml, Map.of()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("routes[1].service");
    }

    @Test
    void structureErrorsAreReported() {
        assertThatThrownBy(() -> DeclarativeDocument.parse("servics: []\nformat: 2\nroutes: {}\n", Map.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.errors())
                        .extracting(FieldError::field).containsExactlyInAnyOrder("servics", "format", "routes"));
        assertThatThrownBy(() -> DeclarativeDocument.parse("", Map.of())).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> DeclarativeDocument.parse("- a\n- b\n", Map.of()))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> DeclarativeDocument.parse("services: [\n", Map.of()))
                .hasMessageContaining("line");
    }

    @Test
    void duplicateKeysAreRejected() {
        assertThatThrownBy(() -> DeclarativeDocument.parse("services: []\nservices: []\n", Map.of()))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void jsonAndYamlParseAlike() {
        String json = "{\"format\": 1, \"services\": [{\"name\": \"web\","
                + " \"targets\": [{\"host\": \"a\", \"port\": 1}]}]}";
        String yaml = "format: 1\nservices:\n  - name: web\n    targets:\n      - host: a\n        port: 1\n";

        assertThat(DeclarativeDocument.parse(json, Map.of()).toJson())
                .isEqualTo(DeclarativeDocument.parse(yaml, Map.of()).toJson());
    }

    @Test
    void yamlOutputParsesBack() {
        String yaml = "certificates:\n  - name: tls\n    certificate: |\n      -----BEGIN CERTIFICATE-----\n"
                + "      MIIB\n      -----END CERTIFICATE-----\n    key: \"123\"\n";
        DeclarativeDocument document = DeclarativeDocument.parse(yaml, Map.of());

        String written = document.toText(DocumentFormat.YAML);

        assertThat(written).contains("certificate: |");
        assertThat(DeclarativeDocument.parseLiteral(written).toJson()).isEqualTo(document.toJson());
    }

    @Test
    void substitutionSafeTextParsesBackAsStored() {
        List<String> values = List.of("${A}", "$${A}", "$$${A}", "${", "${A", "a${A}b${B}c", "$", "$$", "a$b", "{}");
        for (DocumentFormat format : DocumentFormat.values()) {
            for (String value : values) {
                ObjectNode exported = Json.MAPPER.createObjectNode();
                exported.putArray("teams").addObject().put("name", "t").put("description", value);

                String text = DeclarativeDocument.toSubstitutionSafeText(exported, format);
                DeclarativeDocument read = DeclarativeDocument.parse(text, Map.of("A", "leak", "B", "leak"));

                assertThat(read.resources(ResourceKinds.TEAMS).get(0).path("description").asText())
                        .as(format + " " + value).isEqualTo(value);
                assertThat(exported.at("/teams/0/description").asText()).as("the argument is unchanged")
                        .isEqualTo(value);
            }
        }
    }

    @Test
    void yamlOutputQuotesNonTextScalars() {
        List<String> texts = List.of("1e3", "1.0e+3", "+.5e1", "1e-3", "6.02e23", ".inf", "-.Inf", "+.INF", ".NaN",
                ".nan", "0x1F", "0o17", "017", "0b101", "+1", "-1", "1_000", "1:20", "190:20:30", "1.5", "010", "~",
                "null", "Null", "NULL", "true", "True", "FALSE", "yes", "Yes", "no", "NO", "on", "On", "off", "OFF",
                "y", "n", "Y", "N", "=", "<<", "2026-01-01", "2026-01-01T00:00:00Z", "*alias", "&anchor", "!tag",
                "!!str x", "%directive", "@at", "`tick", "---", "...", "- item", "? key", "key: value", "a #b", "#c",
                " leading", "trailing ", "[x", "{x", "'q", "\"q", "|", ">", ",", "tab\there", "cr\rhere", "");
        for (String text : texts) {
            assertThat(yamlRoundTrip(text)).as(text).isEqualTo(text);
        }
    }

    @Test
    void yamlOutputKeepsEveryShortText() {
        String alphabet = "01eExXoO._+-:~nNyYtTfF<=*&!|>#%@'\" ,[]{}?i ";
        List<String> texts = new ArrayList<>();
        for (int a = 0; a < alphabet.length(); a++) {
            texts.add(alphabet.substring(a, a + 1));
            for (int b = 0; b < alphabet.length(); b++) {
                texts.add("" + alphabet.charAt(a) + alphabet.charAt(b));
                for (int c = 0; c < alphabet.length(); c++) {
                    texts.add("" + alphabet.charAt(a) + alphabet.charAt(b) + alphabet.charAt(c));
                }
            }
        }
        ObjectNode exported = Json.MAPPER.createObjectNode();
        ArrayNode teams = exported.putArray("teams");
        texts.forEach(text -> teams.addObject().put("name", "t").put("description", text));

        String yaml = DeclarativeDocument.parseLiteral(exported.toString()).toText(DocumentFormat.YAML);
        List<ObjectNode> read = DeclarativeDocument.parseLiteral(yaml).resources(ResourceKinds.TEAMS);

        assertThat(read).hasSameSizeAs(texts);
        for (int i = 0; i < texts.size(); i++) {
            assertThat(read.get(i).path("description").asText()).as(texts.get(i)).isEqualTo(texts.get(i));
        }
    }

    @Test
    void maskedSecretPassesOfflineValidation() {
        String yaml = "certificates:\n  - name: tls\n    certificate: '-----BEGIN CERTIFICATE-----'\n"
                + "    key: " + Secrets.hint("k") + "\n";

        assertThat(DeclarativeDocument.parse(yaml, Map.of()).validate()).isEmpty();
    }

    /** Writes {@code text} as a team's description and a label's key and value, and reads the YAML back. */
    private static String yamlRoundTrip(String text) {
        ObjectNode exported = Json.MAPPER.createObjectNode();
        exported.putArray("teams").addObject().put("name", "t").put("description", text);
        exported.putArray("consumers").addObject().put("name", "c").putObject("labels").put(text, text);

        String yaml = DeclarativeDocument.parseLiteral(exported.toString()).toText(DocumentFormat.YAML);
        DeclarativeDocument read = DeclarativeDocument.parseLiteral(yaml);

        JsonNode labels = read.resources(ResourceKinds.CONSUMERS).get(0).path("labels");
        assertThat(labels.path(text).asText()).as("label " + text).isEqualTo(text);
        return read.resources(ResourceKinds.TEAMS).get(0).path("description").asText();
    }
}

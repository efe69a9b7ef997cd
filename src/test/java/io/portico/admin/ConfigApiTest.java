package io.portico.admin;

import static io.portico.admin.ResourceApiTest.assertProblem;
import static io.portico.admin.ResourceApiTest.errorFields;
import static io.portico.testing.AdminFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.problem.ProblemType;
import io.portico.store.Change;
import io.portico.testing.AdminFixture;
import io.portico.testing.Specs;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ConfigApiTest {

    private static final String DOCUMENT = """
            {"services": [%s], "routes": [%s], "certificates": [%s]}
            """.formatted(Specs.service("web"), Specs.route("api", "web"), Specs.certificate("tls", Specs.KEY));

    private AdminFixture admin;

    @BeforeEach
    void start() {
        admin = AdminFixture.start();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void applyCreatesEverythingInOneCommit() {
        HttpResponse<String> response = admin.post("/admin/v1/config/apply", DOCUMENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode report = json(response);
        assertThat(texts(report.path("created"))).containsExactly("services/web", "routes/api", "certificates/tls");
        assertThat(report.path("updated")).isEmpty();
        assertThat(report.path("deleted")).isEmpty();
        assertThat(report.path("unchanged").asInt()).isZero();
        assertThat(admin.store().commits()).isEqualTo(1);
        assertThat(admin.snapshots().current().routes()).containsKey("api");
    }

    @Test
    void applyIsIdempotent() {
        admin.post("/admin/v1/config/apply", DOCUMENT);

        HttpResponse<String> response = admin.post("/admin/v1/config/apply", DOCUMENT);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode second = json(response);

        assertThat(second.path("created")).isEmpty();
        assertThat(second.path("updated")).isEmpty();
        assertThat(second.path("deleted")).isEmpty();
        assertThat(second.path("unchanged").asInt()).isEqualTo(3);
        assertThat(admin.store().commits()).isEqualTo(1);
    }

    @Test
    void applyUpdatesAndDeletes() {
        admin.post("/admin/v1/config/apply", DOCUMENT);
        String changed = """
                {"services": [{"name": "web", "targets": [{"host": "127.0.0.1", "port": 9000}]}]}
                """;

        JsonNode report = json(admin.post("/admin/v1/config/apply", changed));

        assertThat(texts(report.path("updated"))).containsExactly("services/web");
        assertThat(texts(report.path("deleted"))).containsExactly("certificates/tls", "routes/api");
        assertThat(admin.store().read().resources()).hasSize(1);
    }

    @Test
    void applyRejectsInvalidDocument() {
        String invalid = """
                {"services": [%s], "routes": [{"name": "api", "paths": ["api"], "service": "web"}]}
                """.formatted(Specs.service("web"));

        HttpResponse<String> response = admin.post("/admin/v1/config/apply", invalid);

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("routes[0].paths[0]");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void applyRejectsTrailingContent() {
        HttpResponse<String> response = admin.post("/admin/v1/config/apply", DOCUMENT + "{\"routes\": []}");

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(response.body()).contains("content follows the end of the JSON value");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void applyRejectsDanglingReference() {
        String dangling = "{\"routes\": [" + Specs.route("api", "missing") + "]}";

        HttpResponse<String> response = admin.post("/admin/v1/config/apply", dangling);

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("routes[0].service");
    }

    @Test
    void concurrentChangeFailsApply() {
        admin.post("/admin/v1/config/apply", DOCUMENT);
        String changed = DOCUMENT.replace("8081", "9000");
        admin.store().beforeNextCommit(() -> admin.store().commit(List.of(Change.update("services", "web",
                Json.MAPPER.createObjectNode().put("name", "web"), null))));

        HttpResponse<String> response = admin.post("/admin/v1/config/apply", changed);

        assertProblem(response, ProblemType.PRECONDITION_FAILED);
        assertThat(admin.store().commits()).isEqualTo(2);
    }

    @Test
    void diffWritesNothing() {
        HttpResponse<String> response = admin.post("/admin/v1/config/diff", DOCUMENT);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(texts(json(response).path("created"))).hasSize(3);
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void exportThenApplyChangesNothing() {
        admin.post("/admin/v1/config/apply", DOCUMENT);
        HttpResponse<String> exported = admin.get("/admin/v1/config");

        assertThat(exported.headers().firstValue("Content-Type")).hasValue("application/json");
        String keyLine = Specs.KEY.lines().skip(1).findFirst().orElseThrow();
        assertThat(exported.body()).doesNotContain(keyLine).contains(Secrets.hint(Specs.KEY));
        HttpResponse<String> applied = admin.post("/admin/v1/config/apply", exported.body());

        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(200);
        JsonNode report = json(applied);
        assertThat(report.path("unchanged").asInt()).isEqualTo(3);

        assertThat(report.path("created")).isEmpty();
        assertThat(report.path("updated")).isEmpty();
        assertThat(report.path("deleted")).isEmpty();
        assertThat(admin.store().get("certificates", "tls").orElseThrow().spec().path("key").asText())
                .isEqualTo(Specs.KEY);
    }

    @Test
    void yamlExportRoundTrips() {
        admin.post("/admin/v1/config/apply", DOCUMENT);

        HttpResponse<String> byAccept = admin.get("/admin/v1/config", "Accept", "application/yaml");
        HttpResponse<String> byQuery = admin.get("/admin/v1/config?format=yaml");
        JsonNode report = json(admin.post("/admin/v1/config/apply", byAccept.body(),
                "Content-Type", "application/yaml"));

        assertThat(byAccept.headers().firstValue("Content-Type")).hasValue("application/yaml");
        assertThat(byAccept.body()).startsWith("format: 1").contains("services:").contains("- name: web");
        assertThat(byQuery.body()).isEqualTo(byAccept.body());
        assertThat(report.path("unchanged").asInt()).as(report + "\n" + byAccept.body()).isEqualTo(3);
        assertThat(report.path("updated")).isEmpty();
    }

    @Test
    void yamlDocumentApplies() {
        String yaml = """
                services:
                  - name: web
                    targets:
                      - host: 127.0.0.1
                        port: 8081
                """;

        HttpResponse<String> response = admin.post("/admin/v1/config/apply", yaml,
                "Content-Type", "application/yaml");

        assertThat(texts(json(response).path("created"))).containsExactly("services/web");
    }

    @Test
    void yamlAliasesAreExpanded() {
        String yaml = """
                services:
                  - name: a1
                    targets: &targets [{host: 127.0.0.1, port: 8081}]
                    timeouts: &timeouts {connect: 1s, read: 2s}
                  - name: a2
                    targets: *targets
                    timeouts: *timeouts
                """;

        HttpResponse<String> diff = admin.post("/admin/v1/config/diff", yaml, "Content-Type", "application/yaml");
        HttpResponse<String> apply = admin.post("/admin/v1/config/apply", yaml, "Content-Type", "application/yaml");

        assertThat(diff.statusCode()).as(diff.body()).isEqualTo(200);
        assertThat(texts(json(diff).path("created"))).containsExactly("services/a1", "services/a2");
        assertThat(apply.statusCode()).as(apply.body()).isEqualTo(200);
        JsonNode stored = admin.store().get("services", "a2").orElseThrow().spec();
        assertThat(stored.path("timeouts").path("read").asText()).isEqualTo("2s");
        assertThat(stored.path("targets").path(0).path("port").asInt()).isEqualTo(8081);
    }

    @Test
    void severalYamlDocumentsAreRejected() {
        admin.post("/admin/v1/config/apply", DOCUMENT);
        String yaml = """
                services: []
                ---
                routes: []
                """;

        for (String operation : List.of("diff", "apply")) {
            HttpResponse<String> response = admin.post("/admin/v1/config/" + operation, yaml,
                    "Content-Type", "application/yaml");

            assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
            assertThat(response.body()).contains("the text contains 2 YAML documents, the second starting at line 2");
        }
        assertThat(admin.store().get("services", "web")).isPresent();
    }

    @Test
    void serverTakesReferencesLiterally() {
        String document = "{\"services\": [{\"name\": \"web\","
                + " \"targets\": [{\"host\": \"web.internal\", \"port\": 1}],"
                + " \"healthCheck\": {\"active\": {\"path\": \"/${HOME}\"}}}]}";

        admin.post("/admin/v1/config/apply", document);

        JsonNode stored = admin.store().get("services", "web").orElseThrow().spec();
        assertThat(stored.path("healthCheck").path("active").path("path").asText()).isEqualTo("/${HOME}");
    }

    @Test
    void documentMustBeJsonOrYaml() {
        HttpResponse<String> response = admin.post("/admin/v1/config/apply", DOCUMENT, "Content-Type", "text/plain");

        assertProblem(response, ProblemType.UNSUPPORTED_MEDIA_TYPE);
    }

    @Test
    void statusReportsVersionsAndCounts() {
        admin.post("/admin/v1/config/apply", DOCUMENT);

        JsonNode status = json(admin.get("/admin/v1/status"));

        assertThat(status.path("porticoVersion").asText()).isNotEmpty();
        assertThat(status.path("configVersion").asLong()).isEqualTo(1);
        assertThat(status.path("storeVersion").asLong()).isEqualTo(1);
        assertThat(status.path("resources").path("services").asInt()).isEqualTo(1);
        assertThat(status.path("resources").path("routes").asInt()).isEqualTo(1);
        assertThat(status.path("resources").path("certificates").asInt()).isEqualTo(1);
    }

    private static List<String> texts(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText).toList();
    }
}

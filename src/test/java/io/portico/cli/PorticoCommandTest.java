package io.portico.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.admin.AdminToken;
import io.portico.config.HeaderValues;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.store.ConfigStore;
import io.portico.store.crypto.Keyring;
import io.portico.store.crypto.MasterKeys;
import io.portico.testing.AdminFixture;
import io.portico.testing.ClosedPorts;
import io.portico.testing.InMemoryConfigStore;
import io.portico.testing.Specs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestKeys;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PorticoCommandTest {

    private static final TestCertificates.Issued UPSTREAM_AUTHORITY = TestCertificates.authority("Payments CA");
    private static final TestCertificates.Issued UPSTREAM_CLIENT = TestCertificates.client(UPSTREAM_AUTHORITY,
            "portico");
    private static final Map<String, String> TLS_ENV = Map.of(
            "PORTICO_TLS_CERTIFICATE", Specs.CERTIFICATE, "PORTICO_TLS_KEY", Specs.KEY,
            "PAYMENTS_CA", UPSTREAM_AUTHORITY.certificatePem(),
            "PAYMENTS_CLIENT_CERTIFICATE", UPSTREAM_CLIENT.certificatePem(),
            "PAYMENTS_CLIENT_KEY", UPSTREAM_CLIENT.privateKeyPem());
    private static final String DOCUMENT = """
            services:
              - name: web
                targets: [{host: 127.0.0.1, port: 8081}]
            routes:
              - name: api
                paths: [/api]
                service: web
            """;

    private static final String FIRST_HS_SECRET = "first-hs256-secret-0123456789abcdef";
    private static final String CHANGED_HS_SECRET = "changed-hs256-secret-0123456789abcd";
    private static final String ADDED_HS_SECRET = "added-hs256-secret-0123456789abcdef";
    /** A service and a route with a credential header and a policy whose list of keys contains secrets. */
    private static final String FIELDS_DOCUMENT = """
            services:
              - name: web
                targets: [{host: 127.0.0.1, port: 8081}]
                timeouts: {read: 30s}
            routes:
              - name: api
                paths: [/api]
                service: web
                requestHeaders:
                  set: {Authorization: Bearer route-token-4711}
                policies:
                  - name: jwt
                    config:
                      algorithms: [HS256]
                      keys: [{kid: one, secret: %s}]
            """.formatted(FIRST_HS_SECRET);

    @TempDir
    Path dir;

    private AdminFixture admin;
    private final TestStoreFactory stores = new TestStoreFactory();

    @BeforeEach
    void start() {
        admin = AdminFixture.start();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void exampleFileIsValid() {
        Run run = run(TLS_ENV, "validate", "-f", "examples/portico.yaml");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out())
                .contains("is valid: teams: 0, services: 3, providers: 0, models: 0, apis: 0, routes: 4,"
                        + " certificates: 1,");
    }

    @Test
    void validateNamesUnsetVariables() {
        Run run = run(Map.of(), "validate", "-f", "examples/portico.yaml");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("certificates[0].certificate: refers to environment variable"
                + " PORTICO_TLS_CERTIFICATE, which is not set");
        assertThat(run.err()).contains("certificates[0].key");
    }

    @Test
    void validateListsEveryError() throws Exception {
        Path file = write("bad.yaml", """
                services:
                  - name: web
                    targets: []
                routes:
                  - name: api
                    paths: [api]
                    service: web
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("services[0].targets: must list at least one target");
        assertThat(run.err()).contains("routes[0].paths[0]: must start with");
    }

    @Test
    void validateListsWrongTypedElement() throws Exception {
        Path file = write("elements.yaml", """
                services:
                  - name: web
                    targets: [{host: 127.0.0.1, port: 8081}]
                routes:
                  - name: api
                    paths: [api]
                    methods: [GET, 5]
                    bogus: 1
                    service: web
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("routes[0].methods[1]: invalid value '5': expected a string");
        assertThat(run.err()).contains("routes[0].bogus: unknown field 'bogus'");
        assertThat(run.err()).contains("routes[0].paths[0]: must start with");
    }

    @Test
    void validateExpandsAliases() throws Exception {
        Path file = write("aliases.yaml", """
                services:
                  - name: a1
                    targets: [{host: 127.0.0.1, port: 8081}]
                    timeouts: &to {connect: 1s, read: 2s}
                  - name: a2
                    targets: [{host: 127.0.0.1, port: 8081}]
                    timeouts: *to
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).as(run.err()).isEqualTo(ExitCodes.OK);
    }

    @Test
    void validateRejectsSpacedAndHexDurations() throws Exception {
        Path file = write("durations.yaml", """
                services:
                  - name: web
                    targets: [{host: 127.0.0.1, port: 8081}]
                    timeouts: {connect: ' 5s', read: 0x10}
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        String expected = "expected a duration such as 250ms, 5s, 2m or 1h, or a whole number of milliseconds, "
                + "at most 365 days";
        assertThat(run.err()).contains("services[0].timeouts.connect: invalid value ' 5s': " + expected);
        assertThat(run.err()).contains("services[0].timeouts.read: invalid value '0x10': " + expected);
    }

    @Test
    void validateRejectsControlCharacterInHeaderValue() throws Exception {
        Path file = write("control.yaml", """
                services:
                  - name: web
                    targets: [{host: 127.0.0.1, port: 8081}]
                routes:
                  - name: api
                    paths: [/api]
                    service: web
                    requestHeaders: {set: {X-A: "a\\x01b"}}
                    responseHeaders: {add: {X-R: "a\\tb"}}
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("routes[0].requestHeaders.set.X-A: " + HeaderValues.INVALID);
        assertThat(run.err()).doesNotContain("responseHeaders");
    }

    @Test
    void validateNeverQuotesSecretValues() throws Exception {
        Path file = write("secrets.yaml", """
                teams: [{name: shop}]
                consumers: [{name: app, team: shop}]
                credentials:
                  - {name: app-login, consumer: app, type: basic-auth, username: app, password: 9876543210123}
                  - {name: app-key, consumer: app, type: key-auth, key: [5550001112223334]}
                services:
                  - name: web
                    protocol: https
                    targets: [{host: 127.0.0.1, port: 8443}]
                    tls: {clientCertificate: cert, clientKey: 4242424242424242}
                """);

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("credentials[0].password: has the wrong type: expected a string")
                .contains("credentials[1].key: has the wrong type: expected a string")
                .contains("services[0].tls.clientKey: has the wrong type: expected a string");
        assertThat(run.err()).doesNotContain("9876543210123").doesNotContain("5550001112223334")
                .doesNotContain("4242424242424242");
    }

    @Test
    void validateRejectsTrailingJson() throws Exception {
        Path file = write("trail.json", "{\"services\": []} garbage ] }\n");

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("content follows the end of the JSON value");
    }

    @Test
    void validateReportsMissingFile() {
        Run run = run(Map.of(), "validate", "-f", dir.resolve("none.yaml").toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("cannot read " + dir.resolve("none.yaml") + ": no such file");
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void validateReportsInvalidUtf8() throws Exception {
        Path file = dir.resolve("latin1.yaml");
        Files.write(file, new byte[] {'s', 'e', 'r', 'v', 'i', 'c', 'e', 's', ':', ' ', (byte) 0xff, '\n'});

        Run run = run(Map.of(), "validate", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("the text is not valid UTF-8");
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void applyReadsStandardInput() {
        Run diff = runWithInput(DOCUMENT, "diff", "-f", "-", "--admin-url", admin.baseUrl(), "--token",
                AdminFixture.TOKEN);
        Run applied = runWithInput(DOCUMENT, "apply", "-f", "-", "--admin-url", admin.baseUrl(), "--token",
                AdminFixture.TOKEN);
        Run invalid = runWithInput("services: [{name: web}]", "validate", "-f", "-");

        assertThat(diff.exitCode()).as(diff.err()).isZero();
        assertThat(diff.out()).contains("services/web");
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        assertThat(applied.out()).contains("Applied: 2 created");
        assertThat(invalid.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(invalid.err()).contains("the standard input is invalid");
    }

    @Test
    void applyPrintsChangesAndIsIdempotent() throws Exception {
        Path file = write("portico.yaml", DOCUMENT);

        Run first = remote("apply", "-f", file.toString());
        Run second = remote("apply", "-f", file.toString());

        assertThat(first.exitCode()).as(first.err()).isZero();
        assertThat(first.out()).contains("created services/web", "created routes/api",
                "Applied: 2 created, 0 updated, 0 deleted, 0 unchanged.");
        assertThat(second.out()).isEqualToIgnoringNewLines("Applied: 0 created, 0 updated, 0 deleted, 2 unchanged.");
        assertThat(admin.store().commits()).isEqualTo(1);
    }

    @Test
    void applyReportsUpdatesAndDeletes() throws Exception {
        remote("apply", "-f", write("first.yaml", DOCUMENT).toString());
        Path changed = write("second.yaml", "services:\n  - {name: web, targets: [{host: 127.0.0.1, port: 9}]}\n");

        Run run = remote("apply", "-f", changed.toString());

        assertThat(run.out()).contains("updated services/web", "deleted routes/api",
                "Applied: 0 created, 1 updated, 1 deleted, 0 unchanged.");
    }

    @Test
    void dryRunWritesNothing() throws Exception {
        Run run = remote("apply", "--dry-run", "-f", write("portico.yaml", DOCUMENT).toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("+ services/web", "+ routes/api", "Nothing was written.");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void diffShowsPlannedChanges() throws Exception {
        remote("apply", "-f", write("first.yaml", DOCUMENT).toString());
        Path changed = write("second.yaml", "services:\n  - {name: web, targets: [{host: 127.0.0.1, port: 9}]}\n");

        Run run = remote("diff", "-f", changed.toString());

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("~ services/web", "- routes/api",
                "0 to create, 1 to update, 1 to delete, 0 unchanged.");
        assertThat(admin.store().commits()).isEqualTo(1);
    }

    @Test
    void diffShowsChangedFields() throws Exception {
        remote("apply", "-f", write("first.yaml", FIELDS_DOCUMENT).toString());
        Path changed = write("second.yaml", changedFieldsDocument());

        Run run = remote("diff", "-f", changed.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(String.join(System.lineSeparator(),
                "~ services/web",
                "    + targets[1]: {host: 127.0.0.2, port: 8082, weight: 100}",
                "    ~ timeouts.read: 30s -> 10s",
                "~ routes/api"));
        assertThat(run.out()).contains(
                "    ~ requestHeaders.set.Authorization: " + Secrets.hint("Bearer route-token-4711") + " -> "
                        + Secrets.hint("Bearer route-token-4712"),
                "    ~ policies[0].config.keys[0].secret: " + Secrets.hint(FIRST_HS_SECRET) + " -> "
                        + Secrets.hint(CHANGED_HS_SECRET),
                "    + policies[0].config.keys[1]: {kid: two, secret: " + Secrets.hint(ADDED_HS_SECRET) + "}",
                "0 to create, 2 to update, 0 to delete, 0 unchanged. Nothing was written.");
        assertNoSecret(run);
        assertThat(admin.store().commits()).isEqualTo(1);
    }

    @Test
    void diffPrintsJsonReport() throws Exception {
        remote("apply", "-f", write("first.yaml", FIELDS_DOCUMENT).toString());
        Path changed = write("second.yaml", changedFieldsDocument());

        Run run = remote("diff", "--format", "json", "-f", changed.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(run.out());
        assertThat(report.path("updated")).hasSize(2);
        JsonNode service = report.path("fields").path("services/web");
        assertThat(service.get(0)).isEqualTo(Json.MAPPER.readTree("""
                {"op": "add", "path": "targets[1]", "new": {"host": "127.0.0.2", "port": 8082, "weight": 100}}"""));
        assertThat(service.get(1)).isEqualTo(Json.MAPPER.readTree("""
                {"op": "replace", "path": "timeouts.read", "old": "30s", "new": "10s"}"""));
        JsonNode header = report.path("fields").path("routes/api").get(0);
        assertThat(header.path("path").asText()).isEqualTo("requestHeaders.set.Authorization");
        assertThat(header.path("secret").asBoolean()).isTrue();
        assertThat(header.path("old").asText()).isEqualTo(Secrets.hint("Bearer route-token-4711"));
        assertThat(header.path("new").asText()).isEqualTo(Secrets.hint("Bearer route-token-4712"));
        assertNoSecret(run);
    }

    @Test
    void dryRunListsFieldsOfCreatedResources() throws Exception {
        Run run = remote("apply", "--dry-run", "-f", write("portico.yaml", FIELDS_DOCUMENT).toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(String.join(System.lineSeparator(),
                "+ services/web",
                "    + targets: [{host: 127.0.0.1, port: 8081}]",
                "    + timeouts: {read: 30s}",
                "+ routes/api"));
        assertThat(run.out()).contains("    + paths: [/api]",
                "    + requestHeaders: {set: {Authorization: " + Secrets.hint("Bearer route-token-4711") + "}}");
        assertNoSecret(run);
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void applyListsChangedFields() throws Exception {
        remote("apply", "-f", write("first.yaml", FIELDS_DOCUMENT).toString());

        Run run = remote("apply", "-f", write("second.yaml", changedFieldsDocument()).toString());
        Run json = remote("apply", "--format", "json", "-f", write("third.yaml", FIELDS_DOCUMENT).toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains(String.join(System.lineSeparator(), "updated services/web",
                "    + targets[1]: {host: 127.0.0.2, port: 8082, weight: 100}",
                "    ~ timeouts.read: 30s -> 10s"));
        assertThat(run.out()).contains("Applied: 0 created, 2 updated, 0 deleted, 0 unchanged.");
        assertNoSecret(run);
        assertThat(json.exitCode()).as(json.err()).isZero();
        JsonNode report = Json.MAPPER.readTree(json.out());
        assertThat(report.path("fields").path("services/web").get(1).path("new").asText()).isEqualTo("30s");
        assertNoSecret(json);
    }

    @Test
    void invalidFormatIsRejectedBeforeApply() throws Exception {
        Run run = remote("apply", "--format", "xml", "-f", write("portico.yaml", DOCUMENT).toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("invalid --format 'xml': use text or json");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void exportWritesYamlToStdout() throws Exception {
        remote("apply", "-f", write("portico.yaml", DOCUMENT).toString());

        Run run = remote("export");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("format: 1").contains("- name: web", "service: web");
    }

    @Test
    void exportThenApplyChangesNothing() throws Exception {
        Run applied = run(withToken(TLS_ENV), "apply", "--admin-url", admin.baseUrl(), "-f", "examples/portico.yaml");
        assertThat(applied.exitCode()).as(applied.err()).isZero();
        Path exported = dir.resolve("exported.json");

        Run export = remote("export", "-o", exported.toString());
        Run again = remote("apply", "-f", exported.toString());

        assertThat(export.exitCode()).isZero();
        String json = Files.readString(exported);
        assertThat(Json.MAPPER.readTree(json).path("certificates").path(0).path("key").asText())
                .isEqualTo(Secrets.hint(Specs.KEY));
        assertThat(again.out()).isEqualToIgnoringNewLines("Applied: 0 created, 0 updated, 0 deleted, 8 unchanged.");
    }

    @Test
    void exportMasksCredentialHeadersAndApplyKeepsThem() throws Exception {
        Path document = write("headers.yaml", DOCUMENT + """
                    requestHeaders:
                      set: {Authorization: Bearer route-token-4711, X-Trace: visible-trace}
                """);
        assertThat(remote("apply", "-f", document.toString()).exitCode()).isZero();
        Path exported = dir.resolve("exported.yaml");

        Run export = remote("export", "-o", exported.toString());
        Run diff = remote("diff", "-f", exported.toString());
        Run again = remote("apply", "-f", exported.toString());

        assertThat(export.exitCode()).as(export.err()).isZero();
        String yaml = Files.readString(exported);
        assertThat(yaml).doesNotContain("route-token-4711").contains(Secrets.hint("Bearer route-token-4711"))
                .contains("visible-trace");
        assertThat(diff.out()).isEqualToIgnoringNewLines("No changes: 2 resources unchanged.");
        assertThat(again.out()).isEqualToIgnoringNewLines("Applied: 0 created, 0 updated, 0 deleted, 2 unchanged.");
        assertThat(admin.store().get("routes", "api").orElseThrow().spec().at("/requestHeaders/set/Authorization")
                .asText()).isEqualTo("Bearer route-token-4711");
    }

    @Test
    void exportEscapesVariableReferences() throws Exception {
        assertThat(remote("apply", "-f", write("portico.yaml", DOCUMENT).toString()).exitCode()).isZero();
        String description = "contact ${SOME_VAR}, $${KEPT} and ${unclosed";
        assertThat(admin.post("/admin/v1/teams", "{\"name\":\"payments\",\"description\":"
                + Json.MAPPER.writeValueAsString(description) + "}").statusCode()).isEqualTo(201);
        String header = "{\"requestHeaders\":{\"set\":{\"X-Template\":\"${HOME}\"}}}";
        assertThat(admin.patch("/admin/v1/routes/api", header).statusCode()).isEqualTo(200);
        Map<String, String> env = withToken(Map.of("SOME_VAR", "leaked-value", "HOME", "/leaked-home"));

        for (String file : List.of("exported.yaml", "exported.json")) {
            Path exported = dir.resolve(file);
            Run export = run(env, "export", "--admin-url", admin.baseUrl(), "-o", exported.toString());
            Run diff = run(env, "diff", "--admin-url", admin.baseUrl(), "-f", exported.toString());
            Run apply = run(env, "apply", "--admin-url", admin.baseUrl(), "-f", exported.toString());

            assertThat(export.exitCode()).as(export.err()).isZero();
            assertThat(Files.readString(exported)).contains("$${SOME_VAR}", "$$${KEPT}", "$${HOME}");
            assertThat(diff.out()).as(file).isEqualToIgnoringNewLines("No changes: 3 resources unchanged.");
            assertThat(apply.out()).as(file)
                    .isEqualToIgnoringNewLines("Applied: 0 created, 0 updated, 0 deleted, 3 unchanged.");
            assertThat(admin.store().get("teams", "payments").orElseThrow().spec().path("description").asText())
                    .isEqualTo(description);
            assertThat(admin.store().get("routes", "api").orElseThrow().spec()
                    .at("/requestHeaders/set/X-Template").asText()).isEqualTo("${HOME}");
        }
    }

    @Test
    void storeExportEscapesVariableReferences() throws Exception {
        Map<String, String> env = Map.of(MasterKeys.ENV_VAR, TestKeys.MASTER_KEY, "SOME_VAR", "leaked-value");
        Path document = write("team.yaml", "teams:\n  - name: payments\n    description: contact $${SOME_VAR}\n");
        assertThat(run(env, "apply", "--embedded", "--data-dir", dir.toString(), "-f", document.toString())
                .exitCode()).isZero();
        Path exported = dir.resolve("exported.yaml");

        Run export = run(env, "export", "--embedded", "--data-dir", dir.toString(), "-o", exported.toString());
        Run apply = run(env, "apply", "--embedded", "--data-dir", dir.toString(), "-f", exported.toString());

        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(apply.out()).isEqualToIgnoringNewLines("Applied: 0 created, 0 updated, 0 deleted, 1 unchanged.");
        assertThat(stores.store.get("teams", "payments").orElseThrow().spec().path("description").asText())
                .isEqualTo("contact ${SOME_VAR}");
    }

    @Test
    void tokenComesFromEnvironmentOrDataDirectory() throws Exception {
        Path file = write("portico.yaml", DOCUMENT);
        Files.writeString(dir.resolve(AdminToken.FILE_NAME), AdminFixture.TOKEN + "\n");

        Run fromEnv = run(withToken(Map.of()), "diff", "--admin-url", admin.baseUrl(), "-f", file.toString());
        Run fromFile = run(Map.of(), "diff", "--admin-url", admin.baseUrl(), "--data-dir", dir.toString(),
                "-f", file.toString());

        assertThat(fromEnv.exitCode()).as(fromEnv.err()).isZero();
        assertThat(fromFile.exitCode()).as(fromFile.err()).isZero();
    }

    @Test
    void tokenFileComesFromDataDirectoryVariable(@TempDir Path data) throws Exception {
        Path file = write("portico.yaml", DOCUMENT);
        Files.writeString(data.resolve(AdminToken.FILE_NAME), AdminFixture.TOKEN + "\n");
        Map<String, String> env = Map.of("PORTICO_DATA_DIR", data.toString());

        Run diff = run(env, "diff", "--admin-url", admin.baseUrl(), "-f", file.toString());
        Run apply = run(env, "apply", "--admin-url", admin.baseUrl(), "-f", file.toString());
        Run export = run(env, "export", "--admin-url", admin.baseUrl(), "--format", "json");

        assertThat(diff.exitCode()).as(diff.err()).isZero();
        assertThat(apply.exitCode()).as(apply.err()).isZero();
        assertThat(apply.out()).contains("created services/web");
        assertThat(export.exitCode()).as(export.err()).isZero();
        assertThat(export.out()).contains("\"web\"");
    }

    @Test
    void missingTokenNamesDataDirectoryVariable(@TempDir Path data) throws Exception {
        Run run = run(Map.of("PORTICO_DATA_DIR", data.toString()), "diff", "--admin-url", admin.baseUrl(),
                "-f", write("portico.yaml", DOCUMENT).toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run.err()).contains("PORTICO_DATA_DIR").contains(data.resolve(AdminToken.FILE_NAME).toString());
    }

    @Test
    void rejectedTokenExitsWithTwo() throws Exception {
        Run run = run(Map.of(), "diff", "--admin-url", admin.baseUrl(), "--token", "wrong",
                "-f", write("portico.yaml", DOCUMENT).toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run.err()).contains("401");
    }

    @Test
    void missingTokenExitsWithTwo() throws Exception {
        Run run = run(Map.of(), "diff", "--admin-url", admin.baseUrl(), "--data-dir", dir.toString(),
                "-f", write("portico.yaml", DOCUMENT).toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run.err()).contains("no admin token");
    }

    @Test
    void unreachableAdminExitsWithTwo() throws Exception {
        int closedPort = ClosedPorts.reserve();

        Run run = run(withToken(Map.of()), "export", "--admin-url", "http://127.0.0.1:" + closedPort);

        assertThat(run.exitCode()).isEqualTo(ExitCodes.UNAVAILABLE);
        assertThat(run.err()).contains("cannot reach the admin API");
        assertThat(run.err()).contains("connection refused");
        assertThat(run.err()).doesNotContain("Exception");
    }

    @Test
    void serverRejectionExitsWithOne() throws Exception {
        Path file = write("cert.json", "{\"certificates\": [" + Specs.certificate("tls", Secrets.hint("other"))
                + "]}");

        Run run = remote("apply", "-f", file.toString());

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("400", "certificates[0].key");
    }

    @Test
    void storeOptionWorksOnStoreDirectly() throws Exception {
        Path file = write("portico.yaml", DOCUMENT);

        Map<String, String> env = Map.of("PORTICO_STORE_PASSWORD", "secret", MasterKeys.ENV_VAR, TestKeys.MASTER_KEY);
        Run run = run(env, "apply", "--store", "jdbc:test:db",
                "--store-user", "portico", "-f", file.toString());

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("created services/web");
        assertThat(stores.opened).containsExactly("jdbc:test:db portico secret");
        assertThat(stores.store.read().resources()).hasSize(2);
    }

    @Test
    void embeddedOptionOpensDataDirectory() {
        Run run = run(Map.of(), "export", "--embedded", "--data-dir", dir.toString(), "--format", "json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(stores.opened).containsExactly("embedded " + dir);
        assertThat(run.out()).contains("\"format\" : 1");
    }

    @Test
    void embeddedOptionOpensDataDirectoryVariable() {
        Map<String, String> env = Map.of("PORTICO_DATA_DIR", dir.toString(), MasterKeys.ENV_VAR, TestKeys.MASTER_KEY);

        Run run = run(env, "export", "--embedded", "--format", "json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(stores.opened).containsExactly("embedded " + dir);
    }

    @Test
    void dataDirectoryOptionOverridesVariable() {
        Map<String, String> env = Map.of("PORTICO_DATA_DIR", dir.resolve("other").toString(),
                MasterKeys.ENV_VAR, TestKeys.MASTER_KEY);

        Run run = run(env, "export", "--embedded", "--data-dir", dir.toString(), "--format", "json");

        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(stores.opened).containsExactly("embedded " + dir);
    }

    @Test
    void storeAndEmbeddedExcludeEachOther() {
        Run run = run(Map.of(), "export", "--embedded", "--store", "jdbc:test:db");

        assertThat(run.exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run.err()).contains("either --store or --embedded");
    }

    @Test
    void embeddedStoreAppliesAndExports(@TempDir Path data) throws Exception {
        Path file = data.resolve("config.yaml");
        Files.writeString(file, "services:\n  - name: local\n    targets: [{host: 127.0.0.1, port: 8081}]\n");
        CommandLine commandLine = PorticoCommand.commandLine(new PorticoCommand(Map.of(), new JdbcStoreFactory()));
        StringWriter out = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(new StringWriter(), true));

        int applied = commandLine.execute("apply", "-f", file.toString(), "--embedded", "--data-dir",
                data.resolve("store").toString());
        int exported = commandLine.execute("export", "--embedded", "--data-dir", data.resolve("store").toString());

        assertThat(applied).isEqualTo(ExitCodes.OK);
        assertThat(exported).isEqualTo(ExitCodes.OK);
        assertThat(out.toString()).contains("created services/local").contains("name: local");
    }

    @Test
    void usageErrorsExitWithOne() {
        assertThat(run(Map.of(), "apply").exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run(Map.of(), "no-such-command").exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
        assertThat(run(Map.of(), "export", "--format", "xml").exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
    }

    @Test
    void helpAndVersion() {
        for (String command : List.of("apply", "export", "diff", "validate", "version", "serve")) {
            Run help = run(Map.of(), command, "--help");
            assertThat(help.exitCode()).as(command).isZero();
            assertThat(help.out()).as(command).contains("Usage: portico " + command);
        }
        assertThat(run(Map.of(), "version").out()).startsWith("portico ");
        assertThat(run(Map.of(), "--version").out()).startsWith("portico ");
        assertThat(run(Map.of(), "serve", "--http-port", "not-a-port").exitCode()).isEqualTo(ExitCodes.INVALID_INPUT);
    }

    private static String changedFieldsDocument() {
        return FIELDS_DOCUMENT.replace("port: 8081}]", "port: 8081}, {host: 127.0.0.2, port: 8082}]")
                .replace("read: 30s", "read: 10s")
                .replace("route-token-4711", "route-token-4712")
                .replace(FIRST_HS_SECRET, CHANGED_HS_SECRET)
                .replace("kid: one, secret: " + CHANGED_HS_SECRET + "}",
                        "kid: one, secret: " + CHANGED_HS_SECRET + "}, {kid: two, secret: " + ADDED_HS_SECRET + "}");
    }

    /** Checks that no secret of {@link #FIELDS_DOCUMENT} or of its changed form is printed. */
    private static void assertNoSecret(Run run) {
        for (String secret : List.of("route-token", FIRST_HS_SECRET, CHANGED_HS_SECRET, ADDED_HS_SECRET)) {
            assertThat(run.out()).doesNotContain(secret);
            assertThat(run.err()).doesNotContain(secret);
        }
    }

    private Run remote(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--admin-url", admin.baseUrl(), "--token", AdminFixture.TOKEN));
        return run(TLS_ENV, all.toArray(String[]::new));
    }

    private Run runWithInput(String input, String... args) {
        return run(TLS_ENV, new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)), args);
    }

    private Run run(Map<String, String> env, String... args) {
        return run(env, InputStream.nullInputStream(), args);
    }

    private Run run(Map<String, String> env, InputStream input, String... args) {
        CommandLine commandLine = PorticoCommand.commandLine(new PorticoCommand(env, stores).standardInput(input));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        int exitCode = commandLine.execute(args);
        return new Run(exitCode, out.toString(), err.toString());
    }

    private static Map<String, String> withToken(Map<String, String> env) {
        Map<String, String> all = new HashMap<>(env);
        all.put(AdminToken.ENV_VAR, AdminFixture.TOKEN);
        return all;
    }

    private Path write(String name, String text) throws Exception {
        return Files.writeString(dir.resolve(name), text);
    }

    private record Run(int exitCode, String out, String err) {
    }

    /** Hands out one in-memory store and records how it was opened. */
    private static final class TestStoreFactory implements StoreFactory {
        private final InMemoryConfigStore store = new InMemoryConfigStore();
        private final List<String> opened = new ArrayList<>();

        @Override
        public ConfigStore open(String jdbcUrl, String user, String password, Keyring keyring) {
            opened.add(jdbcUrl + " " + user + " " + password);
            return store;
        }

        @Override
        public ConfigStore embedded(Path dataDirectory, Keyring keyring) {
            opened.add("embedded " + dataDirectory);
            return store;
        }
    }
}

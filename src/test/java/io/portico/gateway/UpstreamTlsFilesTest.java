package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.FieldError;
import io.portico.config.Resource;
import io.portico.declarative.DeclarativeDocument;
import io.portico.testing.FileCheckThreads;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TLS files a service names are read and checked when the service is written or validated. */
class UpstreamTlsFilesTest {

    private static TestNode node;
    private static TestCertificates.Issued authority;
    private static TestCertificates.Issued client;
    private static TestCertificates.Issued otherClient;

    @TempDir
    Path directory;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        authority = TestCertificates.authority("Portico Test Upstream CA");
        client = TestCertificates.client(authority, "portico-gateway");
        otherClient = TestCertificates.client(authority, "someone-else");
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void missingCaFileIsRejected() {
        ObjectNode service = service("missing-ca");
        service.putObject("tls").put("caCertificate", directory.resolve("absent.pem").toString());

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.caCertificate");
        assertThat(error.path("message").asText()).contains("absent.pem").contains("does not exist");
    }

    @Test
    void missingKeyFileIsRejectedNamingPath() throws Exception {
        String absent = directory.resolve("absent-key.pem").toString();
        ObjectNode service = service("missing-key");
        service.putObject("tls")
                .put("clientCertificate", write("client.pem", client.certificatePem()))
                .put("clientKey", absent);

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.clientKey");
        assertThat(error.path("message").asText())
                .isEqualTo("file " + absent + " does not exist on this node, or is not a regular file");
    }

    @Test
    void keyTextWithoutPemHeaderIsNotEchoed() throws Exception {
        String keyText = "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg";
        ObjectNode service = service("headless-key");
        service.putObject("tls")
                .put("clientCertificate", write("client.pem", client.certificatePem()))
                .put("clientKey", keyText);

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.clientKey");
        assertThat(error.path("message").asText()).doesNotContain(keyText).contains("-----BEGIN");
    }

    @Test
    void garbageCaFileIsRejected() throws Exception {
        Path garbage = Files.writeString(directory.resolve("garbage.pem"), "not a certificate\n");
        ObjectNode service = service("garbage-ca");
        service.putObject("tls").put("caCertificate", garbage.toString());

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.caCertificate");
        assertThat(error.path("message").asText()).contains("certificate");
    }

    @Test
    void keyFileOfAnotherCertificateIsRejected() throws Exception {
        ObjectNode service = service("foreign-key");
        service.putObject("tls")
                .put("clientCertificate", write("client.pem", client.certificatePem()))
                .put("clientKey", write("other-key.pem", otherClient.privateKeyPem()));

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.clientKey");
        assertThat(error.path("message").asText()).contains("does not match");
        assertThat(error.path("message").asText()).doesNotContain(directory.toString());
    }

    @Test
    void certificateFileInPlaceOfKeyIsRejected() throws Exception {
        ObjectNode service = service("certificate-as-key");
        service.putObject("tls")
                .put("clientCertificate", write("client.pem", client.certificatePem()))
                .put("clientKey", write("not-a-key.pem", client.certificatePem()));

        JsonNode error = rejected(service);

        assertThat(error.path("field").asText()).isEqualTo("tls.clientKey");
        assertThat(error.path("message").asText()).contains("no PEM private key");
    }

    @Test
    void readableMatchingFilesAreAccepted() throws Exception {
        ObjectNode service = service("good-files");
        service.putObject("tls")
                .put("caCertificate", write("ca.pem", authority.certificatePem()))
                .put("clientCertificate", write("client.pem", client.certificatePem()))
                .put("clientKey", write("client-key.pem", client.privateKeyPem()));

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/services", service);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    }

    @Test
    void offlineValidationReadsFiles() {
        String document = """
                services:
                  - name: offline
                    protocol: https
                    targets: [{host: upstream.internal, port: 443}]
                    tls:
                      caCertificate: %s
                """.formatted(directory.resolve("absent.pem"));

        List<FieldError> errors = DeclarativeDocument.parse(document, java.util.Map.of()).validate();

        assertThat(errors).extracting(FieldError::field).containsExactly("services[0].tls.caCertificate");
    }

    @Test
    void storedConfigurationSkipsFileChecks() {
        ObjectNode spec = service("stored");
        spec.putObject("tls").put("caCertificate", directory.resolve("absent.pem").toString());

        ConfigSnapshot snapshot = ConfigSnapshot.of(1, List.of(new Resource("services", "stored", spec, 1,
                Instant.now())));

        assertThat(snapshot.resources()).hasSize(1);
    }

    @Test
    void filesAreReadOffTheEventLoop() {
        node.admin("POST", "/admin/v1/services", service(FileCheckThreads.PREFIX + "a"), 201);

        assertThat(FileCheckThreads.threads()).isNotEmpty();
        assertThat(FileCheckThreads.threads()).noneMatch(thread -> thread.contains("eventloop"));
    }

    private String write(String name, String content) throws Exception {
        return Files.writeString(directory.resolve(name), content).toString();
    }

    private static JsonNode rejected(ObjectNode service) {
        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/services", service);
        JsonNode problem = assertProblem(response, 400, "invalid-configuration");
        assertThat(problem.path("errors")).hasSize(1);
        return problem.path("errors").get(0);
    }

    private static ObjectNode service(String name) {
        ObjectNode service = JsonNodeFactory.instance.objectNode().put("name", name).put("protocol", "https");
        service.putArray("targets").addObject().put("host", "upstream.internal").put("port", 443);
        return service;
    }
}

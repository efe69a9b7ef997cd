package io.portico.admin;

import static io.portico.testing.AdminFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.declarative.Secrets;
import io.portico.problem.ProblemType;
import io.portico.testing.AdminFixture;
import io.portico.testing.Specs;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ResourceApiTest {

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
    void createThenReadAndList() {
        HttpResponse<String> created = admin.post("/admin/v1/services", Specs.service("web"));

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/admin/v1/services/web");
        assertThat(created.headers().firstValue("ETag")).hasValue("\"1\"");
        assertThat(json(created).path("name").asText()).isEqualTo("web");
        assertThat(json(created).path("revision").asLong()).isEqualTo(1);
        assertThat(json(created).path("updatedAt").asText()).isNotEmpty();

        HttpResponse<String> read = admin.get("/admin/v1/services/web");
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(read.headers().firstValue("ETag")).hasValue("\"1\"");
        assertThat(json(read).path("targets").path(0).path("port").asInt()).isEqualTo(8081);

        HttpResponse<String> list = admin.get("/admin/v1/services");
        assertThat(list.statusCode()).isEqualTo(200);
        assertThat(json(list).path("items")).hasSize(1);
        assertThat(json(list).path("items").path(0).path("revision").asLong()).isEqualTo(1);
    }

    @Test
    void headReadsLikeGet() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> get = admin.get("/admin/v1/services/web");
        HttpResponse<String> head = admin.send("HEAD", "/admin/v1/services/web", null);
        HttpResponse<String> missing = admin.send("HEAD", "/admin/v1/services/none", null);
        HttpResponse<String> anonymous = admin.sendRaw("HEAD", "/admin/v1/services", null);

        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        assertThat(head.headers().firstValue("ETag")).isEqualTo(get.headers().firstValue("ETag"));
        assertThat(head.headers().firstValue("Content-Type")).isEqualTo(get.headers().firstValue("Content-Type"));
        assertThat(head.headers().firstValue("Content-Length")).isEqualTo(get.headers().firstValue("Content-Length"));
        assertThat(missing.statusCode()).isEqualTo(404);
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    @Test
    void unchangedPutKeepsEtag() {
        admin.post("/admin/v1/services", Specs.service("web"));
        long version = admin.store().version();

        HttpResponse<String> put = admin.put("/admin/v1/services/web", Specs.service("web"), "If-Match", "\"1\"");

        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.headers().firstValue("ETag")).hasValue("\"1\"");
        assertThat(admin.store().version()).isEqualTo(version);
        assertThat(json(admin.get("/admin/v1/audit")).path("items")).hasSize(1);
    }

    @Test
    void equivalentPatchKeepsEtag() {
        admin.post("/admin/v1/services", Specs.service("web"));
        admin.patch("/admin/v1/services/web", "{\"timeouts\":{\"connect\":\"1s\"}}", "If-Match", "\"1\"");
        long version = admin.store().version();

        HttpResponse<String> patch = admin.patch("/admin/v1/services/web",
                "{\"timeouts\":{\"connect\":\"1000ms\"}}", "If-Match", "\"2\"");

        assertThat(patch.statusCode()).isEqualTo(200);
        assertThat(patch.headers().firstValue("ETag")).hasValue("\"2\"");
        assertThat(json(patch).path("timeouts").path("connect").asText()).isEqualTo("1s");
        assertThat(admin.store().version()).isEqualTo(version);
    }

    @Test
    void writeIsLiveWhenResponseArrives() {
        admin.post("/admin/v1/services", Specs.service("web"));

        assertThat(admin.snapshots().current().services()).containsKey("web");
    }

    @Test
    void createExistingConflicts() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> again = admin.post("/admin/v1/services", Specs.service("web"));

        assertProblem(again, ProblemType.CONFLICT);
    }

    @Test
    void missingResourceIsNotFound() {
        assertProblem(admin.get("/admin/v1/services/none"), ProblemType.NOT_FOUND);
        assertProblem(admin.delete("/admin/v1/services/none"), ProblemType.NOT_FOUND);
        assertProblem(admin.patch("/admin/v1/services/none", "{}"), ProblemType.NOT_FOUND);
    }

    @Test
    void unknownKindIsNotFound() {
        assertProblem(admin.get("/admin/v1/widgets"), ProblemType.NOT_FOUND);
        assertProblem(admin.post("/admin/v1/widgets", "{\"name\":\"w\"}"), ProblemType.NOT_FOUND);
    }

    @Test
    void wrongMethodIsNotAllowed() {
        assertProblem(admin.post("/admin/v1/services/web", "{}"), ProblemType.METHOD_NOT_ALLOWED);
    }

    @Test
    void invalidFieldsAreNamed() {
        String spec = "{\"name\":\"web\",\"protocol\":\"ftp\",\"targets\":[{\"host\":\"\",\"port\":70000}]}";

        HttpResponse<String> response = admin.post("/admin/v1/services", spec);

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).contains("protocol", "targets[0].host", "targets[0].port");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void wrongTypedListElementHidesNoErrors() {
        String spec = "{\"name\":\"t1\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":80,\"weight\":-1}],"
                + "\"protocol\":\"ftp\",\"unknownField\":1,\"retries\":{\"statuses\":[99,\"abc\"]}}";

        HttpResponse<String> response = admin.post("/admin/v1/services", spec);

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactlyInAnyOrder("retries.statuses[1]", "unknownField", "protocol",
                "targets[0].weight", "retries.statuses[0]");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void unknownFieldIsNamed() {
        HttpResponse<String> response = admin.post("/admin/v1/services", "{\"name\":\"web\",\"targetz\":[]}");

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(json(response).path("errors").path(0).path("message").asText()).contains("targetz");
    }

    @Test
    void bodyMustBeJson() {
        HttpResponse<String> plain = admin.post("/admin/v1/services", "name=web", "Content-Type", "text/plain");
        HttpResponse<String> malformed = admin.post("/admin/v1/services", "{\"name\":");
        HttpResponse<String> array = admin.post("/admin/v1/services", "[]");

        assertProblem(plain, ProblemType.UNSUPPORTED_MEDIA_TYPE);
        assertProblem(malformed, ProblemType.BAD_REQUEST);
        assertProblem(array, ProblemType.BAD_REQUEST);
    }

    @Test
    void validationStoppedAtCapSaysSo() {
        StringBuilder body = new StringBuilder("{\"name\":\"web\",\"targets\":[{\"host\":\"h\",\"port\":80}]");
        for (int i = 0; i < 25; i++) {
            body.append(",\"unknown").append(i).append("\":1");
        }
        HttpResponse<String> response = admin.post("/admin/v1/services", body.append('}').toString());

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(json(response).path("detail").asText()).isEqualTo("20 fields are invalid, and checking stopped"
                + " there, so others may be as well");
    }

    @Test
    void duplicateKeyIsNamedWithoutItsValue() {
        HttpResponse<String> response = admin.post("/admin/v1/services",
                "{\"name\":\"web\",\"name\":\"s3cr3t-value\",\"targets\":[]}");

        assertProblem(response, ProblemType.BAD_REQUEST);
        assertThat(json(response).path("detail").asText()).contains("duplicate key 'name'")
                .doesNotContain("s3cr3t-value");
    }

    @Test
    void trailingContentAfterBodyIsRejected() {
        assertThat(admin.post("/admin/v1/services", Specs.service("web")).statusCode()).isEqualTo(201);
        String patch = "{\"targets\":[{\"host\":\"127.0.0.2\",\"port\":81}]}";
        List<String> bodies = List.of(patch + " trailing", patch + " {\"more\":1}", patch + " ]", patch + " 1");

        for (String body : bodies) {
            HttpResponse<String> response = admin.patch("/admin/v1/services/web", body);

            assertProblem(response, ProblemType.BAD_REQUEST);
            assertThat(json(response).path("detail").asText()).as(body)
                    .isEqualTo("the request body is not valid JSON (line 1, column " + (patch.length() + 1)
                            + "): content follows the end of the JSON value; the text must contain exactly one"
                            + " JSON value");
        }
        HttpResponse<String> created = admin.post("/admin/v1/services", Specs.service("other") + " xyz");

        assertProblem(created, ProblemType.BAD_REQUEST);
        assertThat(admin.store().get("services", "other")).isEmpty();
        assertThat(admin.store().get("services", "web").orElseThrow().spec().at("/targets/0/host").asText())
                .isNotEqualTo("127.0.0.2");
        assertThat(admin.patch("/admin/v1/services/web", patch + " \n\t ").statusCode()).isEqualTo(200);
    }

    @Test
    void oversizedBodyIsRejected() {
        String huge = "{\"name\":\"" + "x".repeat((int) AdminServer.MAX_BODY_BYTES) + "\"}";

        HttpResponse<String> response = admin.post("/admin/v1/services", huge);

        assertProblem(response, ProblemType.BODY_TOO_LARGE);
    }

    @Test
    void replaceRequiresIfMatch() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> response = admin.put("/admin/v1/services/web", Specs.service("web"));

        assertProblem(response, ProblemType.PRECONDITION_REQUIRED);
    }

    @Test
    void staleReplaceFails() {
        admin.post("/admin/v1/services", Specs.service("web"));
        String firstAdminEtag = admin.get("/admin/v1/services/web").headers().firstValue("ETag").orElseThrow();
        String secondAdminEtag = admin.get("/admin/v1/services/web").headers().firstValue("ETag").orElseThrow();
        String changed = "{\"name\":\"web\",\"targets\":[{\"host\":\"127.0.0.1\",\"port\":9000}]}";

        HttpResponse<String> first = admin.put("/admin/v1/services/web", changed, "If-Match", firstAdminEtag);
        HttpResponse<String> second = admin.put("/admin/v1/services/web", Specs.service("web"),
                "If-Match", secondAdminEtag);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("ETag")).hasValue("\"2\"");
        assertProblem(second, ProblemType.PRECONDITION_FAILED);
        assertThat(json(admin.get("/admin/v1/services/web")).path("targets").path(0).path("port").asInt())
                .isEqualTo(9000);
    }

    @Test
    void replaceCreatesWhenAbsent() {
        HttpResponse<String> created = admin.put("/admin/v1/services/web", Specs.service("web"));
        HttpResponse<String> onlyIfAbsent = admin.put("/admin/v1/services/api", Specs.service("api"),
                "If-None-Match", "*");
        HttpResponse<String> existsAlready = admin.put("/admin/v1/services/api", Specs.service("api"),
                "If-None-Match", "*");
        HttpResponse<String> matchOnAbsent = admin.put("/admin/v1/services/gone", Specs.service("gone"),
                "If-Match", "\"1\"");

        assertThat(created.statusCode()).isEqualTo(201);
        assertThat(created.headers().firstValue("Location")).hasValue("/admin/v1/services/web");
        assertThat(onlyIfAbsent.statusCode()).isEqualTo(201);
        assertProblem(existsAlready, ProblemType.PRECONDITION_FAILED);
        assertProblem(matchOnAbsent, ProblemType.PRECONDITION_FAILED);
    }

    @Test
    void replaceAcceptsGetResponseBody() {
        admin.post("/admin/v1/services", Specs.service("web"));
        HttpResponse<String> read = admin.get("/admin/v1/services/web");

        HttpResponse<String> replaced = admin.put("/admin/v1/services/web", read.body(),
                "If-Match", read.headers().firstValue("ETag").orElseThrow());

        assertThat(replaced.statusCode()).isEqualTo(200);
    }

    @Test
    void pathNameMustMatchBody() {
        HttpResponse<String> response = admin.put("/admin/v1/services/web", Specs.service("api"));

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("name");
    }

    @Test
    void patchMergesIntoStoredSpec() {
        admin.post("/admin/v1/services", "{\"name\":\"web\",\"targets\":[{\"host\":\"a\",\"port\":1}],"
                + "\"timeouts\":{\"connect\":\"2s\"}}");
        String patch = "{\"loadBalancing\":{\"algorithm\":\"least-connections\"},\"timeouts\":null}";

        HttpResponse<String> patched = admin.patch("/admin/v1/services/web", patch,
                "Content-Type", "application/merge-patch+json");

        assertThat(patched.statusCode()).isEqualTo(200);
        JsonNode body = json(patched);
        assertThat(body.path("loadBalancing").path("algorithm").asText()).isEqualTo("least-connections");
        assertThat(body.path("targets").path(0).path("host").asText()).isEqualTo("a");
        assertThat(body.has("timeouts")).isFalse();
        assertThat(patched.headers().firstValue("ETag")).hasValue("\"2\"");
    }

    @Test
    void patchHonoursIfMatch() {
        admin.post("/admin/v1/services", Specs.service("web"));
        String patch = "{\"protocol\":\"http\"}";

        HttpResponse<String> stale = admin.patch("/admin/v1/services/web", patch, "If-Match", "\"7\"");
        HttpResponse<String> current = admin.patch("/admin/v1/services/web", patch, "If-Match", "\"1\"");

        assertProblem(stale, ProblemType.PRECONDITION_FAILED);
        assertThat(current.statusCode()).isEqualTo(200);
    }

    @Test
    void patchThatBreaksValidationIsRejected() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> response = admin.patch("/admin/v1/services/web", "{\"targets\":[]}");

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("targets");
    }

    @Test
    void deleteHonoursIfMatch() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> stale = admin.delete("/admin/v1/services/web", "If-Match", "\"9\"");
        HttpResponse<String> deleted = admin.delete("/admin/v1/services/web", "If-Match", "\"1\"");

        assertProblem(stale, ProblemType.PRECONDITION_FAILED);
        assertThat(deleted.statusCode()).isEqualTo(204);
        assertProblem(admin.get("/admin/v1/services/web"), ProblemType.NOT_FOUND);
        assertThat(admin.snapshots().current().services()).doesNotContainKey("web");
    }

    @Test
    void deleteWithoutIfMatch() {
        admin.post("/admin/v1/services", Specs.service("web"));

        assertThat(admin.delete("/admin/v1/services/web").statusCode()).isEqualTo(204);
    }

    @Test
    void getWithCurrentEtagIsNotModified() {
        admin.post("/admin/v1/services", Specs.service("web"));

        HttpResponse<String> response = admin.get("/admin/v1/services/web", "If-None-Match", "\"1\"");

        assertThat(response.statusCode()).isEqualTo(304);
    }

    @Test
    void routeToUnknownServiceNamesService() {
        HttpResponse<String> response = admin.post("/admin/v1/routes", Specs.route("api", "missing"));

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("service");
        assertThat(admin.store().commits()).isZero();
    }

    @Test
    void deleteReferencedServiceNamesRoutes() {
        admin.post("/admin/v1/services", Specs.service("web"));
        admin.post("/admin/v1/routes", Specs.route("api", "web"));
        admin.post("/admin/v1/routes", Specs.route("docs", "web"));

        HttpResponse<String> response = admin.delete("/admin/v1/services/web");

        assertProblem(response, ProblemType.CONFLICT);
        assertThat(errorFields(response)).containsExactlyInAnyOrder("routes/api.service", "routes/docs.service");
        assertThat(admin.get("/admin/v1/services/web").statusCode()).isEqualTo(200);
    }

    @Test
    void secretIsMaskedInEveryResponse() {
        String hint = Secrets.hint(Specs.KEY);

        HttpResponse<String> created = admin.post("/admin/v1/certificates", Specs.certificate("tls", Specs.KEY));
        HttpResponse<String> read = admin.get("/admin/v1/certificates/tls");
        HttpResponse<String> list = admin.get("/admin/v1/certificates");

        assertThat(created.statusCode()).isEqualTo(201);
        for (HttpResponse<String> response : List.of(created, read, list)) {
            assertThat(response.body()).doesNotContain("MIIEsecret").contains(hint);
        }
        assertThat(json(read).path("key").asText()).isEqualTo(hint);
    }

    @Test
    void maskedSecretKeepsStoredValue() {
        admin.post("/admin/v1/certificates", Specs.certificate("tls", Specs.KEY));
        HttpResponse<String> read = admin.get("/admin/v1/certificates/tls");

        HttpResponse<String> replaced = admin.put("/admin/v1/certificates/tls", read.body(), "If-Match", "\"1\"");
        HttpResponse<String> patched = admin.patch("/admin/v1/certificates/tls",
                "{\"key\":\"" + Secrets.hint(Specs.KEY) + "\"}");

        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(patched.statusCode()).isEqualTo(200);
        String stored = admin.store().get("certificates", "tls").orElseThrow().spec().path("key").asText();
        assertThat(stored).isEqualTo(Specs.KEY);
    }

    @Test
    void unknownSecretHintIsRejected() {
        String body = Specs.certificate("tls", Secrets.hint("another key"));

        HttpResponse<String> response = admin.post("/admin/v1/certificates", body);

        assertProblem(response, ProblemType.INVALID_CONFIGURATION);
        assertThat(errorFields(response)).containsExactly("key");
    }

    @Test
    void storeFailureIsServiceUnavailable() {
        admin.store().setAvailable(false);

        HttpResponse<String> response = admin.get("/admin/v1/services");

        assertProblem(response, ProblemType.STORE_UNAVAILABLE);
        assertThat(response.body()).doesNotContain("switched off");
    }

    static void assertProblem(HttpResponse<String> response, ProblemType type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(type.status());
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(json(response).path("type").asText()).isEqualTo(type.uri());
    }

    static List<String> errorFields(HttpResponse<String> response) {
        List<String> fields = new ArrayList<>();
        json(response).path("errors").forEach(error -> fields.add(error.path("field").asText()));
        return fields;
    }
}

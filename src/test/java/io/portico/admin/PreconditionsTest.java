package io.portico.admin;

import static io.portico.admin.ResourceApiTest.assertProblem;
import static io.portico.testing.AdminFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.portico.problem.ProblemType;
import io.portico.testing.AdminFixture;
import io.portico.testing.Specs;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code If-Match} and {@code If-None-Match} on every method of a resource, as RFC 9110 section 13 evaluates them,
 * against {@code services/web} (ETag {@code "1"}), {@code routes/api} (ETag {@code "2"}) and {@code services/gone},
 * which does not exist. In a field value, {@code {etag}} stands for the current ETag of the resource.
 */
class PreconditionsTest {

    private static final String SERVICE = "/admin/v1/services/web";
    private static final String ROUTE = "/admin/v1/routes/api";
    private static final String MISSING = "/admin/v1/services/gone";

    private AdminFixture admin;

    @BeforeEach
    void start() {
        admin = AdminFixture.start();
        admin.post("/admin/v1/services", Specs.service("web"));
        admin.post("/admin/v1/routes", Specs.route("api", "web"));
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "If-None-Match | {etag}",
        "If-None-Match | \"a\", {etag}",
        "If-None-Match | W/{etag}",
        "If-None-Match | *",
        "If-Match      | \"7\"",
        "If-Match      | W/{etag}",
        "If-Match      | \"a\", \"b\"",
    })
    void falseConditionFailsEveryWrite(String field, String template) {
        for (String path : new String[] {SERVICE, ROUTE}) {
            HttpResponse<String> read = admin.get(path);
            String etag = read.headers().firstValue("ETag").orElseThrow();
            String value = template.replace("{etag}", etag);

            HttpResponse<String> put = admin.put(path, read.body(), field, value);
            HttpResponse<String> patch = admin.patch(path, "{}", field, value);
            HttpResponse<String> delete = admin.delete(path, field, value);

            assertProblem(put, ProblemType.PRECONDITION_FAILED);
            assertProblem(patch, ProblemType.PRECONDITION_FAILED);
            assertProblem(delete, ProblemType.PRECONDITION_FAILED);
            assertThat(admin.get(path).headers().firstValue("ETag")).as("ETag of %s", path).hasValue(etag);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"1\"",
        "\"a\", \"1\"",
        "W/\"1\"",
        "*",
    })
    void falseIfNoneMatchMakesGetNotModified(String value) {
        HttpResponse<String> response = admin.get(SERVICE, "If-None-Match", value);

        assertThat(response.statusCode()).isEqualTo(304);
        assertThat(response.headers().firstValue("ETag")).hasValue("\"1\"");
        assertThat(response.body()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"7\"",
        "W/\"1\"",
    })
    void falseIfMatchFailsGet(String value) {
        assertProblem(admin.get(SERVICE, "If-Match", value), ProblemType.PRECONDITION_FAILED);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"1\"",
        "*",
        "\"a\", \"1\"",
    })
    void trueIfMatchReadsAndWrites(String value) {
        HttpResponse<String> read = admin.get(SERVICE, "If-Match", value);
        String changed = read.body().replace("8081", "8082");
        HttpResponse<String> replaced = admin.put(SERVICE, changed, "If-Match", value,
                "If-None-Match", "\"a\", \"b\"");

        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(json(replaced).path("revision").asLong()).isGreaterThan(2);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"a\", \"b\"",
        "W/\"7\"",
    })
    void trueIfNoneMatchStillNeedsIfMatchToReplace(String value) {
        HttpResponse<String> put = admin.put(SERVICE, admin.get(SERVICE).body(), "If-None-Match", value);
        HttpResponse<String> patch = admin.patch(SERVICE, "{}", "If-None-Match", value);

        assertProblem(put, ProblemType.PRECONDITION_REQUIRED);
        assertThat(patch.statusCode()).as(patch.body()).isEqualTo(200);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"a\", \"b\"",
        "*",
    })
    void trueIfNoneMatchCreatesMissing(String value) {
        HttpResponse<String> created = admin.put(MISSING, Specs.service("gone"), "If-None-Match", value);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"1\"",
        "*",
    })
    void ifMatchOnMissingFails(String value) {
        assertProblem(admin.put(MISSING, Specs.service("gone"), "If-Match", value),
                ProblemType.PRECONDITION_FAILED);
        assertProblem(admin.patch(MISSING, "{}", "If-Match", value), ProblemType.NOT_FOUND);
        assertProblem(admin.delete(MISSING, "If-Match", value), ProblemType.NOT_FOUND);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "If-None-Match | \"a\" | \"1\"",
        "If-Match      | \"a\" | \"b\"",
    })
    void repeatedFieldLinesFormOneList(String field, String first, String second) {
        HttpResponse<String> put = admin.put(SERVICE, admin.get(SERVICE).body(), field, first, field, second);
        HttpResponse<String> get = admin.get(SERVICE, field, first, field, second);

        assertProblem(put, ProblemType.PRECONDITION_FAILED);
        assertThat(get.statusCode()).isEqualTo(field.equals("If-None-Match") ? 304 : 412);
    }
}

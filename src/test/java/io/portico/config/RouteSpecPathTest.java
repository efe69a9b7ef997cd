package io.portico.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RouteSpecPathTest {

    private static List<FieldError> errorsFor(String path) {
        RouteSpec route = new RouteSpec("r", null, List.of(path), null, null, null, null, "backend", null, null, null,
                null, null, null, null, null, null, null);
        Errors errors = new Errors();
        route.validate(errors);
        return errors.list();
    }

    @Test
    void templateWithWholeSegmentParametersIsValid() {
        assertThat(errorsFor("/users/{user}/repos/{repo_name}")).isEmpty();
    }

    @Test
    void parameterInsideSegmentIsRejected() {
        assertThat(errorsFor("/files/{name}.json")).singleElement().satisfies(error -> {
            assertThat(error.field()).isEqualTo("paths[0]");
            assertThat(error.message()).contains("whole segment").contains("{name}.json");
        });
    }

    @Test
    void twoParametersInOneSegmentAreRejected() {
        assertThat(errorsFor("/{a}{b}")).singleElement()
                .satisfies(error -> assertThat(error.message()).contains("whole segment"));
    }

    @Test
    void repeatedParameterIsRejected() {
        assertThat(errorsFor("/a/{id}/b/{id}")).singleElement()
                .satisfies(error -> assertThat(error.message()).contains("{id} is used twice"));
    }

    @Test
    void malformedParameterIsReportedOnce() {
        assertThat(errorsFor("/a/{1x}")).singleElement()
                .satisfies(error -> assertThat(error.message()).contains("must look like {name}"));
    }

    @Test
    void semicolonIsRejectedInEveryPathForm() {
        for (String path : List.of("/api;v=1", "=/health;x", "/pets/{id};x", "~^/a;b", "~^/a\\;b", "~^/a[;]b",
                "~^/a/[^;/]+$", "~^/a(;.*)?$")) {
            assertThat(errorsFor(path)).as(path).singleElement().satisfies(error -> {
                assertThat(error.field()).isEqualTo("paths[0]");
                assertThat(error.message()).contains("must not contain ';'").contains("%3B");
            });
        }
        assertThat(errorsFor("/api%3Bv=1")).isEmpty();
        assertThat(errorsFor("~^/a%3Bb")).isEmpty();
    }

    @Test
    void unroutableCharactersAreRejected() {
        for (String path : List.of("/a\nb", "/sp ace", "/ctl\u0000x", "/\u00fc", "=/tab\tx", "/pets/{id}/a b",
                "/q?x", "/frag#x", "/back\\slash", "/bad%zz", "/del\u007f")) {
            assertThat(errorsFor(path)).as(path).singleElement()
                    .satisfies(error -> assertThat(error.field()).isEqualTo("paths[0]"));
        }
        assertThat(errorsFor("/%C3%BC/a%20b")).isEmpty();
        assertThat(errorsFor("=/exact%2Bplus")).isEmpty();
    }

    @Test
    void invalidRegexWithoutSemicolonIsReported() {
        assertThat(errorsFor("~^/a(")).singleElement()
                .satisfies(error -> assertThat(error.message()).contains("not a valid regular expression"));
    }
}

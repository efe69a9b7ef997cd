package io.portico.net;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class RequestTargetsTest {

    @Test
    void validPathsHaveNoProblem() {
        for (String path : List.of("/", "/a/b", "relative", "/a%20b", "/%2F%2f", "/~user;v=1/x", "/a:b@c!$&'()*+,=",
                "/{x}|^")) {
            assertThat(RequestTargets.pathProblem(path)).as(path).isNull();
        }
    }

    @Test
    void invalidPathsAreNamed() {
        assertThat(RequestTargets.pathProblem("/a b")).contains("space");
        assertThat(RequestTargets.pathProblem("/a\tb")).contains("control character");
        assertThat(RequestTargets.pathProblem("/a\u007fb")).contains("control character");
        assertThat(RequestTargets.pathProblem("/caf\u00e9")).contains("outside US-ASCII");
        assertThat(RequestTargets.pathProblem("/a#b")).contains("'#'");
        assertThat(RequestTargets.pathProblem("/a?b")).contains("'?'");
        assertThat(RequestTargets.pathProblem("/a\\b")).contains("backslash");
        assertThat(RequestTargets.pathProblem("/a%")).contains("'%'");
        assertThat(RequestTargets.pathProblem("/a%2")).contains("'%'");
        assertThat(RequestTargets.pathProblem("/a%zz")).contains("'%'");
        assertThat(RequestTargets.pathProblem("/a%2G")).contains("'%'");
    }

    @Test
    void originFormAllowsOneQuery() {
        assertThat(RequestTargets.originFormProblem("/health?full=1")).isNull();
        assertThat(RequestTargets.originFormProblem("/health?a=?b")).isNull();
        assertThat(RequestTargets.originFormProblem("/health?")).isNull();
        assertThat(RequestTargets.originFormProblem("/health?a=%zz")).contains("'%'");
        assertThat(RequestTargets.originFormProblem("/health?a b")).contains("space");
        assertThat(RequestTargets.originFormProblem("/health?a#b")).contains("'#'");
    }
}

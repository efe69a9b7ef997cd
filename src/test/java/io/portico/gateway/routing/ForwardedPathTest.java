package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ForwardedPathTest {

    private static String forwarded(TestRoute route, String path) {
        Router router = Router.compile(List.of(route.build()));
        RouteMatch match = router.match(get(path));
        assertThat(match).as("match for %s", path).isNotNull();
        return router.forwardedPath(match, path);
    }

    @Test
    void pathIsForwardedUnchangedByDefault() {
        assertThat(forwarded(route("api").paths("/api"), "/api/pets")).isEqualTo("/api/pets");
    }

    @Test
    void stripPrefixRemovesTheMatchedPrefix() {
        TestRoute api = route("api").paths("/api").stripPrefix();

        assertThat(forwarded(api, "/api/pets/1")).isEqualTo("/pets/1");
        assertThat(forwarded(api, "/api/")).isEqualTo("/");
        assertThat(forwarded(api, "/api")).isEqualTo("/");
    }

    @Test
    void stripPrefixWrittenWithTrailingSlash() {
        TestRoute api = route("api").paths("/api/").stripPrefix();

        assertThat(forwarded(api, "/api/pets")).isEqualTo("/pets");
        assertThat(forwarded(api, "/api/")).isEqualTo("/");
    }

    @Test
    void stripRootPrefixKeepsThePath() {
        TestRoute all = route("all").paths("/").stripPrefix();

        assertThat(forwarded(all, "/pets")).isEqualTo("/pets");
        assertThat(forwarded(all, "/")).isEqualTo("/");
    }

    @Test
    void stripMultiSegmentPrefix() {
        assertThat(forwarded(route("v1").paths("/api/v1").stripPrefix(), "/api/v1/pets")).isEqualTo("/pets");
    }

    @Test
    void stripPrefixUsesThePathThatMatched() {
        TestRoute several = route("several").paths("/a", "/b/c").stripPrefix();

        assertThat(forwarded(several, "/a/x")).isEqualTo("/x");
        assertThat(forwarded(several, "/b/c/x")).isEqualTo("/x");
    }

    @Test
    void stripTemplateRemovesLeadingLiteralSegments() {
        assertThat(forwarded(route("pet").paths("/pets/{id}").stripPrefix(), "/pets/42")).isEqualTo("/42");
        assertThat(forwarded(route("toys").paths("/v1/pets/{id}/toys").stripPrefix(), "/v1/pets/42/toys"))
                .isEqualTo("/42/toys");
        assertThat(forwarded(route("tenant").paths("/{tenant}/orders").stripPrefix(), "/acme/orders"))
                .isEqualTo("/acme/orders");
    }

    @Test
    void stripPrefixLeavesExactRegexAndPathlessRoutes() {
        assertThat(forwarded(route("exact").paths("=/health").stripPrefix(), "/health")).isEqualTo("/health");
        assertThat(forwarded(route("regex").paths("~^/v1").stripPrefix(), "/v1/pets")).isEqualTo("/v1/pets");
        assertThat(forwarded(route("none").stripPrefix(), "/pets")).isEqualTo("/pets");
    }

    @Test
    void rewriteReplacesTheFirstMatch() {
        TestRoute route = route("v1").paths("/v1").rewrite("^/v1/(.*)$", "/v2/$1");

        assertThat(forwarded(route, "/v1/pets/1")).isEqualTo("/v2/pets/1");
        assertThat(forwarded(route, "/v1")).isEqualTo("/v1");
    }

    @Test
    void rewriteReplacesOnlyTheFirstOccurrence() {
        assertThat(forwarded(route("dash").paths("/").rewrite("-", "_"), "/a-b-c")).isEqualTo("/a_b-c");
    }

    @Test
    void rewriteWithNamedGroup() {
        TestRoute route = route("named").paths("/users").rewrite("^/users/(?<id>[^/]+)$", "/accounts/${id}");

        assertThat(forwarded(route, "/users/7")).isEqualTo("/accounts/7");
    }

    @Test
    void rewriteRunsAfterStripPrefix() {
        TestRoute route = route("api").paths("/api").stripPrefix().rewrite("^/pets", "/animals");

        assertThat(forwarded(route, "/api/pets/1")).isEqualTo("/animals/1");
        assertThat(forwarded(route, "/api/api/pets")).isEqualTo("/api/pets");
    }

    @Test
    void forwardedPathAlwaysStartsWithSlash() {
        TestRoute route = route("drop").paths("/drop").rewrite("^/drop/?", "");

        assertThat(forwarded(route, "/drop")).isEqualTo("/");
        assertThat(forwarded(route, "/drop/x")).isEqualTo("/x");
    }

    @Test
    void rewriteCanUseTemplateLiterals() {
        TestRoute route = route("pet").paths("/pets/{id}").rewrite("^/pets/([^/]+)$", "/v2/pets/$1/profile");

        assertThat(forwarded(route, "/pets/9")).isEqualTo("/v2/pets/9/profile");
    }

    @Test
    void segmentParametersAreForwardedAsSent() {
        assertThat(forwarded(route("api").paths("/api"), "/api/secret;x=1")).isEqualTo("/api/secret;x=1");
        assertThat(forwarded(route("pet").paths("/pets/{id}"), "/pets/1;x")).isEqualTo("/pets/1;x");
        assertThat(forwarded(route("regex").paths("~^/v1/"), "/v1;a/pets;b")).isEqualTo("/v1;a/pets;b");
    }

    @Test
    void stripPrefixRemovesSegmentsWithTheirParameters() {
        TestRoute api = route("api").paths("/api/v1").stripPrefix();

        assertThat(forwarded(api, "/api;a=1/v1;b=2/pets;c=3")).isEqualTo("/pets;c=3");
        assertThat(forwarded(api, "/api/v1;b=2")).isEqualTo("/");
        assertThat(forwarded(route("slash").paths("/api/").stripPrefix(), "/api;a/pets;c")).isEqualTo("/pets;c");
        assertThat(forwarded(route("root").paths("/").stripPrefix(), "/pets;c")).isEqualTo("/pets;c");
        assertThat(forwarded(route("pet").paths("/v1/pets/{id}").stripPrefix(), "/v1;a/pets;b/42;c"))
                .isEqualTo("/42;c");
    }

    @Test
    void rewriteAppliesToPathWithoutParameters() {
        TestRoute confined = route("confined").paths("/api").rewrite("^/api/(.*)$", "/public/$1");

        assertThat(forwarded(confined, "/api;x=1/admin")).isEqualTo("/public/admin");
        assertThat(forwarded(confined, "/api/admin;jsessionid=2")).isEqualTo("/public/admin");
        assertThat(forwarded(route("strip").paths("/api").stripPrefix().rewrite("^/pets", "/animals"),
                "/api;v=1/pets;x/1")).isEqualTo("/animals/1");
    }

    @Test
    void rewriteThatCutsAnEscapeIsRejected() {
        TestRoute route = route("cut").paths("/cut").rewrite("^/cut/(.{4}).*$", "/kept/$1");

        assertThat(forwarded(route, "/cut/a%20bcd")).isEqualTo("/kept/a%20");
        assertThatThrownBy(() -> forwarded(route, "/cut/ab%20cd"))
                .isInstanceOf(InvalidForwardedPathException.class)
                .hasMessageContaining("'%'");
    }

    @Test
    void matchFromAnotherRouterIsRejected() {
        Router first = Router.compile(List.of(route("a").build()));
        Router second = Router.compile(List.of(route("a").build()));
        RouteMatch match = first.match(get("/x"));

        assertThatThrownBy(() -> second.forwardedPath(match, "/x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'a'");
    }

    @Test
    void routeMatchIsImmutable() {
        RouteMatch match = new RouteMatch(route("a").build(), new HashMap<>(Map.of("id", "1")), "");

        assertThatThrownBy(() -> match.pathParameters().put("id", "2"))
                .isInstanceOf(UnsupportedOperationException.class);
    }
}

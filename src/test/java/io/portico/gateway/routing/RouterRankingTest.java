package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRequest.request;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.RouteSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each test compiles the routes in the given order and in reverse, so the winner cannot depend on input order. */
class RouterRankingTest {

    private static String winner(RequestView request, TestRoute... routes) {
        List<RouteSpec> specs = Arrays.stream(routes).map(TestRoute::build).toList();
        List<RouteSpec> reversed = new ArrayList<>(specs);
        Collections.reverse(reversed);
        String forward = name(Router.compile(specs).match(request));
        String backward = name(Router.compile(reversed).match(request));
        assertThat(backward).as("winner with routes in reverse order").isEqualTo(forward);
        return forward;
    }

    private static String name(RouteMatch match) {
        return match == null ? null : match.route().name();
    }

    @Test
    void higherPriorityWinsOverEverySpecificity() {
        String winner = winner(request("GET", "api.example.com", "/health"),
                route("specific").hosts("api.example.com").paths("=/health").methods("GET"),
                route("catch-all").priority(1));

        assertThat(winner).isEqualTo("catch-all");
    }

    @Test
    void negativePriorityRanksBelowDefault() {
        String winner = winner(get("/x"), route("fallback").paths("=/x").priority(-1), route("normal").paths("/"));

        assertThat(winner).isEqualTo("normal");
    }

    @Test
    void exactHostWinsOverWildcardHost() {
        String winner = winner(request("GET", "a.example.com", "/"),
                route("wildcard").hosts("*.example.com").paths("=/"),
                route("exact").hosts("a.example.com"));

        assertThat(winner).isEqualTo("exact");
    }

    @Test
    void longerWildcardSuffixWins() {
        String winner = winner(request("GET", "a.b.example.com", "/"),
                route("short").hosts("*.example.com"),
                route("long").hosts("*.b.example.com"));

        assertThat(winner).isEqualTo("long");
    }

    @Test
    void wildcardHostWinsOverNoHost() {
        String winner = winner(request("GET", "a.example.com", "/x"),
                route("no-host").paths("=/x"),
                route("wildcard").hosts("*.example.com"));

        assertThat(winner).isEqualTo("wildcard");
    }

    @Test
    void hostSpecificityWinsOverPathSpecificity() {
        String winner = winner(request("GET", "api.example.com", "/pets/1"),
                route("exact-path").paths("=/pets/1"),
                route("exact-host").hosts("api.example.com").paths("/"));

        assertThat(winner).isEqualTo("exact-host");
    }

    @Test
    void pathKindsRankExactTemplatePrefixRegexNone() {
        TestRoute exact = route("e-exact").paths("=/pets/1");
        TestRoute template = route("d-template").paths("/pets/{id}");
        TestRoute prefix = route("c-prefix").paths("/pets");
        TestRoute regex = route("b-regex").paths("~^/pets/");
        TestRoute none = route("a-none");

        assertThat(winner(get("/pets/1"), exact, template, prefix, regex, none)).isEqualTo("e-exact");
        assertThat(winner(get("/pets/1"), template, prefix, regex, none)).isEqualTo("d-template");
        assertThat(winner(get("/pets/1"), prefix, regex, none)).isEqualTo("c-prefix");
        assertThat(winner(get("/pets/1"), regex, none)).isEqualTo("b-regex");
        assertThat(winner(get("/pets/1"), none)).isEqualTo("a-none");
    }

    @Test
    void rootPrefixWinsOverRegexAtEqualPriority() {
        String winner = winner(get("/v1/pets"), route("all").paths("/"), route("versioned").paths("~^/v[0-9]+/"));

        assertThat(winner).isEqualTo("all");
    }

    @Test
    void longerPrefixWins() {
        TestRoute api = route("api").paths("/api");
        TestRoute v1 = route("v1").paths("/api/v1");

        assertThat(winner(get("/api/v1/pets"), api, v1)).isEqualTo("v1");
        assertThat(winner(get("/api/v2/pets"), api, v1)).isEqualTo("api");
    }

    @Test
    void prefixWithTrailingSlashCountsAsLonger() {
        TestRoute bare = route("a-bare").paths("/api");
        TestRoute slash = route("b-slash").paths("/api/");

        assertThat(winner(get("/api/x"), bare, slash)).isEqualTo("b-slash");
        assertThat(winner(get("/api"), bare, slash)).isEqualTo("a-bare");
    }

    @Test
    void literalSegmentWinsOverParameterFromTheLeft() {
        assertThat(winner(get("/pets/1"), route("a-any").paths("/{kind}/{id}"), route("b-pets").paths("/pets/{id}")))
                .isEqualTo("b-pets");
        assertThat(winner(get("/a/b"), route("a-right").paths("/{x}/b"), route("b-left").paths("/a/{y}")))
                .isEqualTo("b-left");
    }

    @Test
    void moreConditionsWin() {
        TestRoute plain = route("a-plain").paths("/orders");
        TestRoute method = route("b-method").paths("/orders").methods("GET", "POST");
        TestRoute methodAndHeader = route("c-method-header").paths("/orders").methods("GET").header("X-V", "2");

        assertThat(winner(get("/orders").header("X-V", "2"), plain, method, methodAndHeader))
                .isEqualTo("c-method-header");
        assertThat(winner(get("/orders"), plain, method, methodAndHeader)).isEqualTo("b-method");
        assertThat(winner(request("PUT", null, "/orders"), plain, method, methodAndHeader)).isEqualTo("a-plain");
    }

    @Test
    void methodListCountsAsOneCondition() {
        String winner = winner(get("/").query("q", "1"),
                route("a-query").query("q", "*"),
                route("b-methods").methods("GET", "HEAD", "POST"));

        assertThat(winner).isEqualTo("a-query");
    }

    @Test
    void queryConditionsCount() {
        String winner = winner(get("/").query("a", "1").query("b", "2"),
                route("a-one").query("a", "1"),
                route("b-two").query("a", "1").query("b", "~[0-9]"));

        assertThat(winner).isEqualTo("b-two");
    }

    @Test
    void nameBreaksRemainingTies() {
        assertThat(winner(get("/x"), route("beta").paths("/x"), route("alpha").paths("/x"))).isEqualTo("alpha");
        assertThat(winner(get("/x"), route("B").paths("/x"), route("a").paths("/x"))).isEqualTo("B");
    }

    @Test
    void inputPositionBreaksTiesBetweenEqualNames() {
        List<RouteSpec> routes = List.of(
                route("same").paths("/x").query("first", "*").build(),
                route("same").paths("/x").header("second", "*").build());

        RouteMatch match = Router.compile(routes).match(get("/x").query("first", "1").header("second", "1"));

        assertThat(match.route()).isSameAs(routes.get(0));
    }

    @Test
    void routeIsRankedByTheHostThatMatched() {
        TestRoute both = route("a-both").hosts("*.example.com", "a.example.com");
        TestRoute exact = route("b-exact").hosts("b.example.com");

        assertThat(winner(request("GET", "b.example.com", "/"), both, exact)).isEqualTo("b-exact");
        assertThat(winner(request("GET", "a.example.com", "/"), both, exact,
                route("0-wildcard").hosts("*.example.com"))).isEqualTo("a-both");
    }

    @Test
    void routeIsRankedByThePathThatMatched() {
        TestRoute several = route("b-several").paths("/y", "=/x");
        TestRoute prefix = route("a-prefix").paths("/x");

        assertThat(winner(get("/x"), several, prefix)).isEqualTo("b-several");
        assertThat(winner(get("/y"), several, route("a-template").paths("/{any}"))).isEqualTo("a-template");
    }

    @Test
    void bestRankedRouteWhoseConditionsFailIsSkipped() {
        String winner = winner(get("/pets/1"),
                route("exact-post").paths("=/pets/1").methods("POST"),
                route("template-get").paths("/pets/{id}").methods("GET"),
                route("prefix").paths("/pets"));

        assertThat(winner).isEqualTo("template-get");
    }

    @Test
    void nothingMatchesWhenEveryConditionFails() {
        String winner = winner(get("/pets/1"),
                route("post").paths("/pets").methods("POST"),
                route("header").header("X-A", "*"));

        assertThat(winner).isNull();
    }

    @Test
    void pathExampleOfTheUserGuide() {
        TestRoute[] routes = {
            route("health").paths("=/health"),
            route("pet").paths("/pets/{id}"),
            route("pets").paths("/pets"),
            route("api").paths("/")};

        assertThat(winner(get("/health"), routes)).isEqualTo("health");
        assertThat(winner(get("/pets/42"), routes)).isEqualTo("pet");
        assertThat(winner(get("/pets/42/toys"), routes)).isEqualTo("pets");
        assertThat(winner(get("/pets"), routes)).isEqualTo("pets");
        assertThat(winner(get("/petshop"), routes)).isEqualTo("api");
    }

    @Test
    void conditionExampleOfTheUserGuide() {
        TestRoute[] routes = {
            route("orders-write").paths("/orders").methods("POST", "PUT"),
            route("orders-beta").paths("/orders").header("X-Channel", "beta"),
            route("orders").paths("/orders")};

        assertThat(winner(request("POST", null, "/orders"), routes)).isEqualTo("orders-write");
        assertThat(winner(request("POST", null, "/orders").header("X-Channel", "beta"), routes))
                .isEqualTo("orders-beta");
        assertThat(winner(request("GET", null, "/orders"), routes)).isEqualTo("orders");
    }
}

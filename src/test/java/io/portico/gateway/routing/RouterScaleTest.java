package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRequest.request;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.RouteSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks lookups among 10,000 routes for correctness and for the work they do, counted in route entries examined
 * and index nodes visited. Wall-clock time is measured by the JMH benchmark, not here.
 */
class RouterScaleTest {

    private static final int GROUP = 2000;
    private static final int WILDCARDS = 1979;
    private static final int CONDITIONED = 10;
    private static final int REGEXES = 10;
    /** Entries examined by a lookup that some route other than the fallback matches. */
    private static final int MAX_EXAMINED_FOR_HIT = 2;
    /** Path indexes and trie nodes visited by a lookup; the deepest test path has 5 segments. */
    private static final int MAX_VISITED = 12;

    private static List<RouteSpec> routes;
    private static Router router;

    @BeforeAll
    static void compileRoutes() {
        routes = new ArrayList<>();
        for (int i = 0; i < GROUP; i++) {
            routes.add(route("exact-" + i).paths("=/exact/" + i).build());
            routes.add(route("prefix-" + i).paths("/prefix/" + i).build());
            routes.add(route("template-" + i).paths(i % 2 == 0 ? "/tpl/" + i + "/{id}" : "/shared/{tenant}/r" + i
                    + "/{id}").build());
            routes.add(route("host-" + i).hosts("h" + i + ".example.com").paths("/common").build());
        }
        for (int i = 0; i < WILDCARDS; i++) {
            routes.add(route("wildcard-" + i).hosts("*.t" + i + ".example.net").paths("/").build());
        }
        for (int i = 0; i < CONDITIONED; i++) {
            routes.add(route("conditioned-" + i).paths("=/conditioned").header("X-Variant", "v" + i).build());
        }
        for (int i = 0; i < REGEXES; i++) {
            routes.add(route("regex-" + i).paths("~^/re" + i + "/").build());
        }
        routes.add(route("fallback").paths("/").priority(-1).build());
        router = Router.compile(routes);
    }

    @Test
    void compilesTenThousandRoutes() {
        assertThat(routes).hasSize(10_000);
    }

    @Test
    void exactPathsMatch() {
        for (int i = 0; i < GROUP; i += 7) {
            RequestView request = get("/exact/" + i);

            assertThat(name(request)).isEqualTo("exact-" + i);
            assertBoundedHit(request);
        }
    }

    @Test
    void prefixesMatch() {
        for (int i = 0; i < GROUP; i += 7) {
            RequestView request = get("/prefix/" + i + "/items/1");
            RouteMatch match = router.match(request);

            assertThat(match.route().name()).isEqualTo("prefix-" + i);
            assertThat(match.matchedPrefix()).isEqualTo("/prefix/" + i);
            assertBoundedHit(request);
        }
    }

    @Test
    void templatesMatchWithParameters() {
        for (int i = 0; i < GROUP; i += 7) {
            RequestView request = i % 2 == 0 ? get("/tpl/" + i + "/id" + i) : get("/shared/t" + i + "/r" + i
                    + "/id" + i);
            RouteMatch match = router.match(request);

            assertThat(match.route().name()).isEqualTo("template-" + i);
            assertThat(match.pathParameters()).containsEntry("id", "id" + i);
            if (i % 2 == 1) {
                assertThat(match.pathParameters()).containsEntry("tenant", "t" + i);
            }
            assertBoundedHit(request);
        }
    }

    @Test
    void pathParametersOfManyTemplatesStayApart() {
        Map<String, String> parameters = router.match(get("/shared/acme/r1999/last")).pathParameters();

        assertThat(parameters).containsOnly(Map.entry("tenant", "acme"), Map.entry("id", "last"));
    }

    @Test
    void exactHostsMatch() {
        for (int i = 0; i < GROUP; i += 7) {
            RequestView request = request("GET", "h" + i + ".example.com", "/common/x");

            assertThat(name(request)).isEqualTo("host-" + i);
            assertBoundedHit(request);
        }
    }

    @Test
    void wildcardHostsMatch() {
        for (int i = 0; i < WILDCARDS; i += 7) {
            RequestView request = request("GET", "a.b.t" + i + ".example.net", "/x");

            assertThat(name(request)).isEqualTo("wildcard-" + i);
            assertBoundedHit(request);
        }
    }

    @Test
    void hostRoutesIgnoreOtherHosts() {
        assertThat(name(request("GET", "unknown.example.com", "/common"))).isEqualTo("fallback");
        assertThat(name(request("GET", "t5.example.net", "/x"))).isEqualTo("fallback");
    }

    @Test
    void conditionedRoutesExamineOnlyTheirPath() {
        RequestView request = get("/conditioned").header("X-Variant", "v9");

        assertThat(name(request)).isEqualTo("conditioned-9");
        assertThat(router.trace(request).examined()).isLessThanOrEqualTo(CONDITIONED);
    }

    @Test
    void regexRoutesAreSearchedInTurn() {
        RequestView request = get("/re7/x");

        assertThat(name(request)).isEqualTo("regex-7");
        assertThat(router.trace(request).examined()).isLessThanOrEqualTo(REGEXES + 1);
    }

    @Test
    void unmatchedPathFallsBackAfterBoundedWork() {
        RequestView request = request("GET", "nowhere.example.org", "/nothing/here/at/all");
        Search trace = router.trace(request);

        assertThat(name(request)).isEqualTo("fallback");
        assertThat(trace.examined()).isLessThanOrEqualTo(REGEXES + 1);
        assertThat(trace.visited()).isLessThanOrEqualTo(MAX_VISITED);
    }

    @Test
    void lookupDoesTheSameWorkAmongTenRoutes() {
        Router small = Router.compile(List.of(
                route("exact-0").paths("=/exact/0").build(),
                route("prefix-0").paths("/prefix/0").build(),
                route("template-0").paths("/tpl/0/{id}").build(),
                route("template-1").paths("/shared/{tenant}/r1/{id}").build(),
                route("host-0").hosts("h0.example.com").paths("/common").build(),
                route("wildcard-0").hosts("*.t0.example.net").paths("/").build(),
                route("conditioned-0").paths("=/conditioned").header("X-Variant", "v0").build(),
                route("regex-0").paths("~^/re0/").build(),
                route("regex-1").paths("~^/re1/").build(),
                route("fallback").paths("/").priority(-1).build()));
        List<RequestView> requests = List.of(
                get("/exact/0"),
                get("/prefix/0/x"),
                get("/tpl/0/a"),
                get("/shared/acme/r1/a"),
                request("GET", "h0.example.com", "/common"),
                request("GET", "x.t0.example.net", "/x"));

        for (RequestView request : requests) {
            Search large = router.trace(request);
            Search few = small.trace(request);

            assertThat(large.best().route().spec().name()).as("winner for %s", request)
                    .isEqualTo(few.best().route().spec().name());
            assertThat(large.examined()).as("entries examined for %s", request).isEqualTo(few.examined());
            assertThat(large.visited()).as("nodes visited for %s", request).isEqualTo(few.visited());
        }
    }

    private static String name(RequestView request) {
        RouteMatch match = router.match(request);
        return match == null ? null : match.route().name();
    }

    private static void assertBoundedHit(RequestView request) {
        Search trace = router.trace(request);
        assertThat(trace.examined()).as("entries examined for %s", request)
                .isLessThanOrEqualTo(MAX_EXAMINED_FOR_HIT);
        assertThat(trace.visited()).as("nodes visited for %s", request).isLessThanOrEqualTo(MAX_VISITED);
    }
}

package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.config.RouteSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RouterCompileTest {

    private static void assertRejected(TestRoute route, String messagePart) {
        assertThatThrownBy(() -> Router.compile(List.of(route.build())))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("route 'bad' is invalid")
                .hasMessageContaining(messagePart);
    }

    @Test
    void invalidPathRegexIsRejected() {
        assertRejected(route("bad").paths("~^/(unclosed"), "not a valid regular expression");
    }

    @Test
    void pathWithoutLeadingSlashIsRejected() {
        assertRejected(route("bad").paths("api"), "must start with '/'");
    }

    @Test
    void partialSegmentParameterIsRejected() {
        assertRejected(route("bad").paths("/files/{name}.json"), "not a whole segment");
    }

    @Test
    void repeatedParameterIsRejected() {
        assertRejected(route("bad").paths("/a/{id}/b/{id}"), "repeats the parameter {id}");
    }

    @Test
    void unnamedParameterIsRejected() {
        assertRejected(route("bad").paths("/a/{}"), "parameter without a name");
    }

    @Test
    void invalidHeaderRegexIsRejected() {
        assertRejected(route("bad").header("X-A", "~[a-"), "'X-A'");
    }

    @Test
    void rewriteReplacementWithUnknownGroupIsRejected() {
        assertRejected(route("bad").rewrite("^/(a)", "/$2"), "replacement '/$2'");
        assertRejected(route("bad").rewrite("^/(a)", "/${name}"), "replacement '/${name}'");
    }

    @Test
    void routeWithoutNameIsRejected() {
        RouteSpec unnamed = new RouteSpec(null, null, null, null, null, null, null, "backend", null, null, null,
                null, null, null, null, null, null, null);

        assertThatThrownBy(() -> Router.compile(List.of(unnamed)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("position 0");
    }

    @Test
    void laterInputChangesAreIgnored() {
        List<RouteSpec> routes = new ArrayList<>(List.of(route("a").paths("/a").build()));
        Router router = Router.compile(routes);

        routes.add(route("b").paths("/b").build());

        assertThat(router.match(get("/b"))).isNull();
    }

    @Test
    void routerIsSafeToShareBetweenThreads() throws Exception {
        List<RouteSpec> routes = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
            routes.add(route("item-" + i).paths("/items/" + i + "/{id}").build());
        }
        Router router = Router.compile(routes);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<String>>> results = new ArrayList<>();
            for (int thread = 0; thread < 4; thread++) {
                int offset = thread;
                results.add(pool.submit(() -> lookUpEveryItem(router, offset)));
            }
            for (Future<List<String>> result : results) {
                assertThat(result.get(1, TimeUnit.MINUTES)).isEmpty();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Returns a description of every wrong match found while looking up each item route 20 times. */
    private static List<String> lookUpEveryItem(Router router, int offset) {
        List<String> wrong = new ArrayList<>();
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < 200; i++) {
                String id = offset + "-" + round;
                RouteMatch match = router.match(get("/items/" + i + "/" + id));
                if (match == null || !match.route().name().equals("item-" + i)
                        || !match.pathParameters().equals(Map.of("id", id))) {
                    wrong.add(i + " " + id + " -> " + match);
                }
            }
        }
        return wrong;
    }
}

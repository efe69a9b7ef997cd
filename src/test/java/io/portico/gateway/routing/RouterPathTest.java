package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouterPathTest {

    private static Router router(TestRoute... routes) {
        return Router.compile(Arrays.stream(routes).map(TestRoute::build).toList());
    }

    private static String matchedName(Router router, String path) {
        RouteMatch match = router.match(get(path));
        return match == null ? null : match.route().name();
    }

    @Test
    void exactPathMatchesOnlyItself() {
        Router router = router(route("health").paths("=/health"));

        assertThat(matchedName(router, "/health")).isEqualTo("health");
        assertThat(matchedName(router, "/health/")).isNull();
        assertThat(matchedName(router, "/healthz")).isNull();
        assertThat(matchedName(router, "/health/live")).isNull();
        assertThat(matchedName(router, "/")).isNull();
    }

    @Test
    void exactPathReportsNoPrefixOrParameters() {
        RouteMatch match = router(route("health").paths("=/health")).match(get("/health"));

        assertThat(match.matchedPrefix()).isEmpty();
        assertThat(match.pathParameters()).isEmpty();
    }

    @Test
    void prefixMatchesOnSegmentBoundaries() {
        Router router = router(route("api").paths("/api"));

        assertThat(matchedName(router, "/api")).isEqualTo("api");
        assertThat(matchedName(router, "/api/")).isEqualTo("api");
        assertThat(matchedName(router, "/api/x")).isEqualTo("api");
        assertThat(matchedName(router, "/api/x/y/")).isEqualTo("api");
        assertThat(matchedName(router, "/apix")).isNull();
        assertThat(matchedName(router, "/ap")).isNull();
        assertThat(matchedName(router, "/")).isNull();
        assertThat(matchedName(router, "/x/api")).isNull();
    }

    @Test
    void multiSegmentPrefix() {
        Router router = router(route("v1").paths("/api/v1"));

        assertThat(matchedName(router, "/api/v1")).isEqualTo("v1");
        assertThat(matchedName(router, "/api/v1/pets")).isEqualTo("v1");
        assertThat(matchedName(router, "/api/v10")).isNull();
        assertThat(matchedName(router, "/api")).isNull();
        assertThat(router.match(get("/api/v1/pets")).matchedPrefix()).isEqualTo("/api/v1");
    }

    @Test
    void prefixWithTrailingSlashRequiresIt() {
        Router router = router(route("api").paths("/api/"));

        assertThat(matchedName(router, "/api/")).isEqualTo("api");
        assertThat(matchedName(router, "/api/x")).isEqualTo("api");
        assertThat(matchedName(router, "/api")).isNull();
        assertThat(matchedName(router, "/apix/")).isNull();
        assertThat(router.match(get("/api/x")).matchedPrefix()).isEqualTo("/api/");
    }

    @Test
    void rootPrefixMatchesEveryPath() {
        Router router = router(route("all").paths("/"));

        assertThat(matchedName(router, "/")).isEqualTo("all");
        assertThat(matchedName(router, "/x")).isEqualTo("all");
        assertThat(matchedName(router, "/x/y/")).isEqualTo("all");
        assertThat(router.match(get("/x")).matchedPrefix()).isEqualTo("/");
    }

    @Test
    void templateCapturesOneSegmentPerParameter() {
        Router router = router(route("pet").paths("/pets/{id}"));

        RouteMatch match = router.match(get("/pets/42"));

        assertThat(match.route().name()).isEqualTo("pet");
        assertThat(match.pathParameters()).containsExactly(Map.entry("id", "42"));
        assertThat(match.matchedPrefix()).isEqualTo("/pets");
    }

    @Test
    void templateMatchesTheWholePath() {
        Router router = router(route("pet").paths("/pets/{id}"));

        assertThat(matchedName(router, "/pets")).isNull();
        assertThat(matchedName(router, "/pets/")).isNull();
        assertThat(matchedName(router, "/pets/42/")).isNull();
        assertThat(matchedName(router, "/pets/42/toys")).isNull();
        assertThat(matchedName(router, "/pet/42")).isNull();
    }

    @Test
    void templateWithTrailingSlashRequiresIt() {
        Router router = router(route("pet").paths("/pets/{id}/"));

        assertThat(matchedName(router, "/pets/42/")).isEqualTo("pet");
        assertThat(matchedName(router, "/pets/42")).isNull();
        assertThat(router.match(get("/pets/42/")).pathParameters()).containsEntry("id", "42");
    }

    @Test
    void templateWithSeveralParameters() {
        Router router = router(route("repo").paths("/users/{user}/repos/{repo}"));

        RouteMatch match = router.match(get("/users/ada/repos/engine"));

        assertThat(match.pathParameters()).containsOnly(Map.entry("user", "ada"), Map.entry("repo", "engine"));
        assertThat(match.matchedPrefix()).isEqualTo("/users");
    }

    @Test
    void templateStartingWithParameterHasEmptyPrefix() {
        RouteMatch match = router(route("tenant").paths("/{tenant}/orders")).match(get("/acme/orders"));

        assertThat(match.pathParameters()).containsOnly(Map.entry("tenant", "acme"));
        assertThat(match.matchedPrefix()).isEmpty();
    }

    @Test
    void templatesSharingPrefixesCaptureTheirOwnParameters() {
        Router router = router(
                route("item").paths("/shops/{shop}"),
                route("item-detail").paths("/shops/{shop}/items/{item}"),
                route("item-field").paths("/shops/{shop}/items/{item}/{field}"),
                route("shop-orders").paths("/shops/{shop}/orders"),
                route("named-items").paths("/shops/main/items/{item}"),
                route("any-two").paths("/{first}/{second}"));

        assertThat(router.match(get("/shops/s1")).pathParameters()).containsOnly(Map.entry("shop", "s1"));
        assertThat(router.match(get("/shops/s1/items/i9")).route().name()).isEqualTo("item-detail");
        assertThat(router.match(get("/shops/s1/items/i9")).pathParameters())
                .containsOnly(Map.entry("shop", "s1"), Map.entry("item", "i9"));
        assertThat(router.match(get("/shops/s1/items/i9/price")).pathParameters())
                .containsOnly(Map.entry("shop", "s1"), Map.entry("item", "i9"), Map.entry("field", "price"));
        assertThat(router.match(get("/shops/s1/orders")).route().name()).isEqualTo("shop-orders");
        assertThat(router.match(get("/shops/main/items/i9")).route().name()).isEqualTo("named-items");
        assertThat(router.match(get("/shops/main/items/i9")).pathParameters()).containsOnly(Map.entry("item", "i9"));
        assertThat(router.match(get("/users/ada")).route().name()).isEqualTo("any-two");
        assertThat(router.match(get("/users/ada")).pathParameters())
                .containsOnly(Map.entry("first", "users"), Map.entry("second", "ada"));
        assertThat(router.match(get("/shops/s1/items"))).isNull();
    }

    @Test
    void templateTriesParameterAfterLiteral() {
        Router router = router(
                route("literal").paths("/a/b/c"),
                route("literal-template").paths("/a/b/{x}/d"),
                route("parameter-template").paths("/a/{y}/c/d"));

        RouteMatch match = router.match(get("/a/b/c/d"));

        assertThat(match.route().name()).isEqualTo("literal-template");
        assertThat(router.match(get("/a/z/c/d")).pathParameters()).containsOnly(Map.entry("y", "z"));
    }

    @Test
    void percentEncodedBytesAreOpaque() {
        Router router = router(route("file").paths("/files/{name}"), route("exact").paths("=/a%20b"));

        assertThat(router.match(get("/files/a%2Fb")).pathParameters()).containsOnly(Map.entry("name", "a%2Fb"));
        assertThat(router.match(get("/files/a/b"))).isNull();
        assertThat(matchedName(router, "/a%20b")).isEqualTo("exact");
        assertThat(matchedName(router, "/a b")).isNull();
    }

    @Test
    void unicodePathsCompareCharacterByCharacter() {
        Router router = router(route("menu").paths("/café/{item}"), route("docs").paths("/日本/文書"));

        assertThat(router.match(get("/café/crème")).pathParameters()).containsOnly(Map.entry("item", "crème"));
        assertThat(matchedName(router, "/cafe/creme")).isNull();
        assertThat(matchedName(router, "/日本/文書/1")).isEqualTo("docs");
        assertThat(matchedName(router, "/日本/文")).isNull();
    }

    @Test
    void regexIsSearchedAnywhereInThePath() {
        Router router = router(route("versioned").paths("~/v[0-9]+/"));

        assertThat(matchedName(router, "/v2/pets")).isEqualTo("versioned");
        assertThat(matchedName(router, "/api/v10/pets")).isEqualTo("versioned");
        assertThat(matchedName(router, "/api/v/pets")).isNull();
        assertThat(router.match(get("/v2/pets")).matchedPrefix()).isEmpty();
    }

    @Test
    void anchoredRegex() {
        Router router = router(route("versioned").paths("~^/v[0-9]+/"));

        assertThat(matchedName(router, "/v2/pets")).isEqualTo("versioned");
        assertThat(matchedName(router, "/api/v2/pets")).isNull();
    }

    @Test
    void regexNamedGroupsBecomePathParameters() {
        Router router = router(route("versioned").paths("~^/(?<version>v[0-9]+)(/(?<rest>.*))?$"));

        assertThat(router.match(get("/v3/pets/1")).pathParameters())
                .containsOnly(Map.entry("version", "v3"), Map.entry("rest", "pets/1"));
        assertThat(router.match(get("/v3")).pathParameters()).containsOnly(Map.entry("version", "v3"));
    }

    @Test
    void regexGroupNameLookalikesAreIgnored() {
        Router router = router(route("quoted").paths("~^/x\\Q(?<quoted>\\E[(?<inclass>]*(?<digits>[0-9]+)$"));

        RouteMatch match = router.match(get("/x(?<quoted><12"));

        assertThat(match.pathParameters()).containsOnly(Map.entry("digits", "12"));
    }

    @Test
    void routeWithoutPathsMatchesAnyPath() {
        Router router = router(route("all"));

        assertThat(matchedName(router, "/")).isEqualTo("all");
        assertThat(matchedName(router, "/any/thing")).isEqualTo("all");
        assertThat(router.match(get("/x")).matchedPrefix()).isEmpty();
    }

    @Test
    void anyPathOfARouteMayMatch() {
        Router router = router(route("several").paths("=/a", "/b", "/c/{id}", "~^/d"));

        assertThat(matchedName(router, "/a")).isEqualTo("several");
        assertThat(matchedName(router, "/b/1")).isEqualTo("several");
        assertThat(matchedName(router, "/c/1")).isEqualTo("several");
        assertThat(matchedName(router, "/dx")).isEqualTo("several");
        assertThat(matchedName(router, "/e")).isNull();
    }

    @Test
    void emptyPathIsMatchedAsRoot() {
        Router router = router(route("root").paths("=/"));

        assertThat(matchedName(router, "")).isEqualTo("root");
    }

    @Test
    void relativePathSkipsPrefixes() {
        Router router = router(route("all").paths("/"), route("star").paths("~^\\*$"));

        assertThat(matchedName(router, "*")).isEqualTo("star");
    }

    @Test
    void segmentParametersAreIgnoredByPrefixes() {
        Router router = router(route("open").paths("/api"), route("secret").paths("/api/secret").priority(10));

        assertThat(matchedName(router, "/api/secret;x=1")).isEqualTo("secret");
        assertThat(matchedName(router, "/api/secret;")).isEqualTo("secret");
        assertThat(matchedName(router, "/api;v=2/secret;x=1/more")).isEqualTo("secret");
        assertThat(matchedName(router, "/api/secretx;x=1")).isEqualTo("open");
        assertThat(matchedName(router, "/api/secret%3Bx=1")).isEqualTo("open");
        assertThat(router.match(get("/api;v=2/secret;x=1")).matchedPrefix()).isEqualTo("/api/secret");
    }

    @Test
    void segmentParametersAreIgnoredByExactPaths() {
        Router router = router(route("health").paths("=/health"));

        assertThat(matchedName(router, "/health;jsessionid=1")).isEqualTo("health");
        assertThat(matchedName(router, "/health;/")).isNull();
    }

    @Test
    void templateCapturesSegmentWithoutParameters() {
        Router router = router(route("pet").paths("/pets/{id}"), route("pets").paths("/pets"));

        RouteMatch match = router.match(get("/pets;a=1/1;x"));

        assertThat(match.route().name()).isEqualTo("pet");
        assertThat(match.pathParameters()).isEqualTo(Map.of("id", "1"));
        assertThat(matchedName(router, "/pets/1;x/toys")).isEqualTo("pets");
    }

    @Test
    void regexIsSearchedWithoutSegmentParameters() {
        Router router = router(route("secret").paths("~^/admin/(?<page>[a-z]+)$").priority(10),
                route("all").paths("/"));

        RouteMatch match = router.match(get("/admin;x=1/users;y=2"));

        assertThat(match.route().name()).isEqualTo("secret");
        assertThat(match.pathParameters()).isEqualTo(Map.of("page", "users"));
        assertThat(matchedName(router, "/admin/users;")).isEqualTo("secret");
    }

    @Test
    void emptyRouterMatchesNothing() {
        assertThat(Router.compile(List.of()).match(get("/"))).isNull();
    }
}

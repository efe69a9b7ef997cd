package io.portico.gateway.routing;

import static io.portico.gateway.routing.TestRequest.get;
import static io.portico.gateway.routing.TestRequest.request;
import static io.portico.gateway.routing.TestRoute.route;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RouterConditionTest {

    private static Router router(TestRoute... routes) {
        return Router.compile(Arrays.stream(routes).map(TestRoute::build).toList());
    }

    private static String matchedName(Router router, RequestView request) {
        RouteMatch match = router.match(request);
        return match == null ? null : match.route().name();
    }

    private static String onHost(Router router, String host) {
        return matchedName(router, request("GET", host, "/"));
    }

    @Test
    void exactHostMatchesOnlyThatHost() {
        Router router = router(route("api").hosts("api.example.com"));

        assertThat(onHost(router, "api.example.com")).isEqualTo("api");
        assertThat(onHost(router, "www.example.com")).isNull();
        assertThat(onHost(router, "a.api.example.com")).isNull();
        assertThat(onHost(router, null)).isNull();
    }

    @Test
    void configuredHostIsLowerCased() {
        Router router = router(route("api").hosts("API.Example.COM"));

        assertThat(onHost(router, "api.example.com")).isEqualTo("api");
    }

    @Test
    void wildcardHostMatchesSubdomainsAtAnyDepth() {
        Router router = router(route("tenants").hosts("*.example.com"));

        assertThat(onHost(router, "a.example.com")).isEqualTo("tenants");
        assertThat(onHost(router, "a.b.example.com")).isEqualTo("tenants");
        assertThat(onHost(router, "example.com")).isNull();
        assertThat(onHost(router, "aexample.com")).isNull();
        assertThat(onHost(router, "a.example.org")).isNull();
        assertThat(onHost(router, "a.example.com.evil.org")).isNull();
        assertThat(onHost(router, null)).isNull();
    }

    @Test
    void routeWithoutHostsMatchesAnyHost() {
        Router router = router(route("any"));

        assertThat(onHost(router, "example.com")).isEqualTo("any");
        assertThat(onHost(router, null)).isEqualTo("any");
    }

    @Test
    void anyHostOfARouteMayMatch() {
        Router router = router(route("both").hosts("example.com", "*.example.org"));

        assertThat(onHost(router, "example.com")).isEqualTo("both");
        assertThat(onHost(router, "www.example.org")).isEqualTo("both");
        assertThat(onHost(router, "example.org")).isNull();
    }

    @Test
    void routeWithoutMethodsMatchesAnyMethod() {
        Router router = router(route("any"));

        assertThat(matchedName(router, request("DELETE", null, "/"))).isEqualTo("any");
        assertThat(matchedName(router, request("PURGE", null, "/"))).isEqualTo("any");
    }

    @Test
    void anyListedMethodMatches() {
        Router router = router(route("read").methods("get", "HEAD"));

        assertThat(matchedName(router, request("GET", null, "/"))).isEqualTo("read");
        assertThat(matchedName(router, request("HEAD", null, "/"))).isEqualTo("read");
        assertThat(matchedName(router, request("POST", null, "/"))).isNull();
    }

    @Test
    void requestMethodIsCaseSensitive() {
        Router router = router(route("read").methods("GET"));

        assertThat(matchedName(router, request("get", null, "/"))).isNull();
    }

    @Test
    void exactHeaderValue() {
        Router router = router(route("beta").header("X-Channel", "beta"));

        assertThat(matchedName(router, get("/").header("x-channel", "beta"))).isEqualTo("beta");
        assertThat(matchedName(router, get("/").header("X-CHANNEL", "beta"))).isEqualTo("beta");
        assertThat(matchedName(router, get("/").header("X-Channel", "Beta"))).isNull();
        assertThat(matchedName(router, get("/").header("X-Channel", "beta2"))).isNull();
        assertThat(matchedName(router, get("/"))).isNull();
    }

    @Test
    void emptyHeaderValueMatchesEmptyCondition() {
        Router router = router(route("empty").header("X-Flag", ""));

        assertThat(matchedName(router, get("/").header("X-Flag", ""))).isEqualTo("empty");
        assertThat(matchedName(router, get("/"))).isNull();
    }

    @Test
    void headerRegexMustMatchTheWholeValue() {
        Router router = router(route("mobile").header("User-Agent", "~Mobile/[0-9]+"));

        assertThat(matchedName(router, get("/").header("User-Agent", "Mobile/12"))).isEqualTo("mobile");
        assertThat(matchedName(router, get("/").header("User-Agent", "Safari Mobile/12"))).isNull();
        assertThat(matchedName(router, get("/").header("User-Agent", "Mobile/12x"))).isNull();
    }

    @Test
    void headerPresence() {
        Router router = router(route("authenticated").header("Authorization", "*"));

        assertThat(matchedName(router, get("/").header("Authorization", "Bearer x"))).isEqualTo("authenticated");
        assertThat(matchedName(router, get("/").header("Authorization", ""))).isEqualTo("authenticated");
        assertThat(matchedName(router, get("/"))).isNull();
    }

    @Test
    void absentHeaderFailsEvenAnAnyValueRegex() {
        Router router = router(route("any-value").header("X-Trace", "~.*"));

        assertThat(matchedName(router, get("/"))).isNull();
        assertThat(matchedName(router, get("/").header("X-Trace", ""))).isEqualTo("any-value");
    }

    @Test
    void queryConditionsUseTheSameForms() {
        Router router = router(
                route("exact").query("format", "json"),
                route("regex").query("page", "~[0-9]+"),
                route("presence").query("debug", "*"));

        assertThat(matchedName(router, get("/").query("format", "json"))).isEqualTo("exact");
        assertThat(matchedName(router, get("/").query("format", "xml"))).isNull();
        assertThat(matchedName(router, get("/").query("page", "12"))).isEqualTo("regex");
        assertThat(matchedName(router, get("/").query("page", "12a"))).isNull();
        assertThat(matchedName(router, get("/").query("debug", ""))).isEqualTo("presence");
        assertThat(matchedName(router, get("/").query("Debug", "1"))).isNull();
    }

    @Test
    void everyConditionMustHold() {
        Router router = router(route("strict")
                .hosts("api.example.com")
                .paths("/orders")
                .methods("POST")
                .header("Content-Type", "~application/json(;.*)?")
                .query("dry-run", "*"));
        TestRequest complete = request("POST", "api.example.com", "/orders/1")
                .header("Content-Type", "application/json; charset=utf-8")
                .query("dry-run", "true");

        assertThat(matchedName(router, complete)).isEqualTo("strict");
        assertThat(matchedName(router, request("POST", "www.example.com", "/orders/1")
                .header("Content-Type", "application/json").query("dry-run", "1"))).isNull();
        assertThat(matchedName(router, request("POST", "api.example.com", "/order")
                .header("Content-Type", "application/json").query("dry-run", "1"))).isNull();
        assertThat(matchedName(router, request("GET", "api.example.com", "/orders")
                .header("Content-Type", "application/json").query("dry-run", "1"))).isNull();
        assertThat(matchedName(router, request("POST", "api.example.com", "/orders")
                .header("Content-Type", "text/plain").query("dry-run", "1"))).isNull();
        assertThat(matchedName(router, request("POST", "api.example.com", "/orders")
                .header("Content-Type", "application/json"))).isNull();
    }
}

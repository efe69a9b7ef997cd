package io.portico.gateway.routing;

import io.portico.config.RouteSpec;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link RouteSpec}s in tests, leaving every field that routing ignores unset. */
final class TestRoute {

    private final String name;
    private List<String> hosts = List.of();
    private List<String> paths = List.of();
    private List<String> methods = List.of();
    private final Map<String, String> headers = new HashMap<>();
    private final Map<String, String> query = new HashMap<>();
    private Integer priority;
    private Boolean stripPrefix;
    private RouteSpec.Rewrite rewrite;

    private TestRoute(String name) {
        this.name = name;
    }

    static TestRoute route(String name) {
        return new TestRoute(name);
    }

    TestRoute hosts(String... values) {
        hosts = List.of(values);
        return this;
    }

    TestRoute paths(String... values) {
        paths = List.of(values);
        return this;
    }

    TestRoute methods(String... values) {
        methods = List.of(values);
        return this;
    }

    TestRoute header(String headerName, String value) {
        headers.put(headerName, value);
        return this;
    }

    TestRoute query(String parameterName, String value) {
        query.put(parameterName, value);
        return this;
    }

    TestRoute priority(int value) {
        priority = value;
        return this;
    }

    TestRoute stripPrefix() {
        stripPrefix = true;
        return this;
    }

    TestRoute rewrite(String regex, String replacement) {
        rewrite = new RouteSpec.Rewrite(regex, replacement);
        return this;
    }

    RouteSpec build() {
        return new RouteSpec(name, hosts, paths, methods, headers, query, priority, "backend", stripPrefix, rewrite,
                null, null, null, null, null, null, null, null);
    }
}

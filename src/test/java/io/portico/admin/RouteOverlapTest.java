package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.RouteSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

class RouteOverlapTest {

    @Test
    void hostPatterns() {
        assertThat(RouteOverlap.hostsOverlap(List.of(), List.of("a.example.com"))).isTrue();
        assertThat(RouteOverlap.hostsOverlap(List.of("a.example.com"), List.of("a.example.com"))).isTrue();
        assertThat(RouteOverlap.hostsOverlap(List.of("*.example.com"), List.of("a.b.example.com"))).isTrue();
        assertThat(RouteOverlap.hostsOverlap(List.of("*.example.com"), List.of("*.b.example.com"))).isTrue();
        assertThat(RouteOverlap.hostsOverlap(List.of("*.example.com"), List.of("example.com"))).isFalse();
        assertThat(RouteOverlap.hostsOverlap(List.of("*.example.com"), List.of("*.example.org"))).isFalse();
        assertThat(RouteOverlap.hostsOverlap(List.of("a.example.com"), List.of("b.example.com"))).isFalse();
    }

    @Test
    void pathPatterns() {
        assertThat(RouteOverlap.pathsOverlap(List.of("=/orders"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("/"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of(), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("/orders/{id}"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("/{tenant}/x"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("~^/ord"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("~/orders$"), List.of("/a"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("~^/a|^/orders"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("~^/x?orders"), List.of("/orders"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("=/a"), List.of("=/a"))).isTrue();
        assertThat(RouteOverlap.pathsOverlap(List.of("/a"), List.of("/b"))).isFalse();
        assertThat(RouteOverlap.pathsOverlap(List.of("=/a"), List.of("=/ab"))).isFalse();
        assertThat(RouteOverlap.pathsOverlap(List.of("=/orders"), List.of("/orders/"))).isFalse();
        assertThat(RouteOverlap.pathsOverlap(List.of("~^/v[0-9]+/"), List.of("/orders"))).isFalse();
    }

    @Test
    void methodSets() {
        assertThat(RouteOverlap.methodsOverlap(List.of(), List.of("GET"))).isTrue();
        assertThat(RouteOverlap.methodsOverlap(List.of("GET", "POST"), List.of("POST"))).isTrue();
        assertThat(RouteOverlap.methodsOverlap(List.of("GET"), List.of("POST"))).isFalse();
    }

    @Test
    void routesOverlapOnlyWhenAllThreeDo() {
        RouteSpec orders = route(List.of("shop.example.com"), List.of("/orders"), List.of("GET"));

        assertThat(RouteOverlap.overlaps(orders, route(List.of(), List.of("=/orders"), List.of()))).isTrue();
        assertThat(RouteOverlap.overlaps(orders, route(List.of("other.example.com"), List.of("/"), List.of())))
                .isFalse();
        assertThat(RouteOverlap.overlaps(orders, route(List.of(), List.of("/carts"), List.of()))).isFalse();
        assertThat(RouteOverlap.overlaps(orders, route(List.of(), List.of("/"), List.of("POST")))).isFalse();
    }

    private static RouteSpec route(List<String> hosts, List<String> paths, List<String> methods) {
        return new RouteSpec("r", hosts, paths, methods, null, null, null, "svc", null, null, null, null, null, null,
                null, null, null, null);
    }
}

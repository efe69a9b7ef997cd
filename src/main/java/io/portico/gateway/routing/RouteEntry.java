package io.portico.gateway.routing;

import java.util.Comparator;

/**
 * One way a route can match: one of its hosts combined with one of its paths. A route with several hosts or
 * paths has one entry per combination, so that ranking uses the host and path that matched.
 *
 * @param order rank of this entry among all entries of the router, 0 first; lower orders win
 */
record RouteEntry(CompiledRoute route, HostPattern host, PathPattern path, int order) {

    /** The ranking of entries that {@link Router} documents. */
    static final Comparator<RouteEntry> RANKING = Comparator
            .comparing((RouteEntry entry) -> entry.route().spec().priority(), Comparator.reverseOrder())
            .thenComparing(RouteEntry::host)
            .thenComparing(entry -> entry.path().kind())
            .thenComparing(RouteEntry::path, PathPattern::compareWithinKind)
            .thenComparing(entry -> entry.route().conditionCount(), Comparator.reverseOrder())
            .thenComparing(entry -> entry.route().spec().name())
            .thenComparingInt(entry -> entry.route().index());

    RouteEntry withOrder(int newOrder) {
        return new RouteEntry(route, host, path, newOrder);
    }
}

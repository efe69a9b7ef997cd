package io.portico.gateway.routing;

import static java.util.Objects.requireNonNull;

import io.portico.config.RouteSpec;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Selects the route for a request among the routes of one configuration snapshot. A router is immutable and
 * safe to share between threads; a new one is compiled for each snapshot.
 *
 * <h2>What a route matches</h2>
 * A route matches when every condition it has holds: one of its hosts, one of its paths, one of its methods,
 * every header condition and every query condition. A route without hosts, paths or methods accepts any.
 * <ul>
 *   <li>Hosts: {@code api.example.com} matches that host only, compared case-insensitively (both sides are
 *       lower-cased). {@code *.example.com} matches any host that ends with {@code .example.com}, at any depth
 *       ({@code a.example.com}, {@code a.b.example.com}), but not {@code example.com}. A request without a host
 *       matches only routes without hosts.
 *   <li>Paths: {@code =/health} matches that path only. {@code /pets/{id}} is a template that matches the whole
 *       path, where {@code {id}} matches one non-empty segment ({@code /pets/42}, not {@code /pets/} nor
 *       {@code /pets/42/toys}). {@code ~^/v[0-9]+/} is a regular expression searched anywhere in the path.
 *       Anything else is a prefix that ends on a segment boundary: {@code /api} matches {@code /api},
 *       {@code /api/} and {@code /api/x} but not {@code /apix}. A prefix written with a trailing slash requires
 *       it: {@code /api/} matches {@code /api/} and {@code /api/x} but not {@code /api}, so {@code /} matches
 *       every path. A trailing slash is significant for exact paths and templates too.
 *   <li>Methods are compared case-sensitively, as HTTP defines them; routes store them upper-cased.
 *   <li>Header and query conditions: a plain value must equal the request's value; {@code ~regex} must match
 *       the whole value; {@code *} requires presence with any value. All three forms fail when the header or
 *       parameter is absent. Each condition reads the one value that {@link RequestView} returns for the name.
 * </ul>
 * Paths are compared as the characters of {@link RequestView#path()} without the {@code ;parameters} of each
 * segment, which servlet containers also drop before they map a request (see {@link PathParameters}):
 * {@code /api/secret;x=1} matches as {@code /api/secret}, and a template parameter or named group captures the
 * segment without its parameters. Percent-encoded bytes are not decoded, so {@code %2F} is not a segment
 * separator and {@code %3B} starts no parameter, and non-ASCII characters compare as they are. Comparison is
 * case-sensitive.
 *
 * <h2>Which route wins</h2>
 * When several routes match, the first one in this order wins. Each rule only breaks the ties of the rules
 * before it. A route with several hosts or paths is ranked by the host and path that matched, and by the best
 * of them when several do.
 * <ol>
 *   <li>Higher {@code priority}.
 *   <li>Host: an exact host, then a wildcard with the longest suffix first, then a route without hosts.
 *   <li>Path: an exact path, then a template, then a prefix (the longest written prefix first), then a regular
 *       expression, then a route without paths. Among templates, segments are compared from the left, and at
 *       the first segment where one template has a literal and the other a parameter, the literal wins
 *       ({@code /pets/{id}} before {@code /{kind}/{id}}).
 *   <li>More conditions: a method list counts as one, each header and query condition as one.
 *   <li>The route name, in {@link String#compareTo} order, then the position in the compiled collection.
 * </ol>
 * A consequence: at equal priority, a prefix, even {@code /}, wins over a regular expression, so a regular
 * expression route that overlaps a prefix route needs a higher priority.
 *
 * <h2>Cost</h2>
 * Routes are indexed by host (a hash map for exact hosts, one for wildcard suffixes, and a bucket for routes
 * without hosts), then by path (a hash map for exact paths and a segment trie for prefixes and templates).
 * A lookup costs a hash probe per host label plus a trie step per path segment, independent of the number of
 * routes. The exception is regular-expression paths: those of the matching hosts are searched one by one until
 * a better-ranked route is known.
 */
public final class Router {

    private final Map<String, PathIndex> exactHosts;
    private final SegmentMap<PathIndex> wildcardHosts;
    private final PathIndex anyHost;
    private final Map<RouteSpec, CompiledRoute> compiled;

    private Router(Map<String, PathIndex> exactHosts, SegmentMap<PathIndex> wildcardHosts, PathIndex anyHost,
            Map<RouteSpec, CompiledRoute> compiled) {
        this.exactHosts = exactHosts;
        this.wildcardHosts = wildcardHosts;
        this.anyHost = anyHost;
        this.compiled = compiled;
    }

    /**
     * Compiles {@code routes} into a router. Routes are expected to be valid ({@link RouteSpec#validate}).
     *
     * @throws IllegalArgumentException when a route has a null name, an invalid path, host, condition or rewrite;
     *     the message names the route
     */
    public static Router compile(Collection<RouteSpec> routes) {
        requireNonNull(routes, "routes");
        Map<RouteSpec, CompiledRoute> compiled = new IdentityHashMap<>();
        List<RouteEntry> entries = new ArrayList<>();
        for (RouteSpec spec : routes) {
            requireNonNull(spec, "route");
            CompiledRoute route = compileRoute(spec, compiled.size());
            compiled.put(spec, route);
            addEntries(route, entries);
        }
        entries.sort(RouteEntry.RANKING);
        return index(entries, compiled);
    }

    private static CompiledRoute compileRoute(RouteSpec spec, int index) {
        if (spec.name() == null) {
            throw new IllegalArgumentException("route at position " + index + " has no name");
        }
        try {
            return CompiledRoute.compile(spec, index);
        } catch (IllegalArgumentException e) {
            throw invalid(spec, e);
        }
    }

    private static void addEntries(CompiledRoute route, List<RouteEntry> entries) {
        RouteSpec spec = route.spec();
        try {
            List<HostPattern> hosts = spec.hosts().isEmpty()
                    ? List.of(HostPattern.ANY)
                    : spec.hosts().stream().map(HostPattern::parse).toList();
            List<PathPattern> paths = spec.paths().isEmpty()
                    ? List.of(PathPattern.ANY)
                    : spec.paths().stream().map(PathPattern::parse).toList();
            for (HostPattern host : hosts) {
                for (PathPattern path : paths) {
                    entries.add(new RouteEntry(route, host, path, -1));
                }
            }
        } catch (IllegalArgumentException e) {
            throw invalid(spec, e);
        }
    }

    private static IllegalArgumentException invalid(RouteSpec spec, IllegalArgumentException cause) {
        return new IllegalArgumentException("route '" + spec.name() + "' is invalid: " + cause.getMessage(), cause);
    }

    private static Router index(List<RouteEntry> sorted, Map<RouteSpec, CompiledRoute> compiled) {
        Map<HostPattern, PathIndex.Builder> builders = new HashMap<>();
        for (int order = 0; order < sorted.size(); order++) {
            RouteEntry entry = sorted.get(order).withOrder(order);
            builders.computeIfAbsent(entry.host(), host -> new PathIndex.Builder()).add(entry);
        }
        Map<String, PathIndex> exactHosts = new HashMap<>();
        Map<String, PathIndex> wildcardHosts = new HashMap<>();
        PathIndex anyHost = new PathIndex.Builder().build();
        for (Map.Entry<HostPattern, PathIndex.Builder> bucket : builders.entrySet()) {
            HostPattern host = bucket.getKey();
            PathIndex paths = bucket.getValue().build();
            switch (host.kind()) {
                case EXACT -> exactHosts.put(host.name(), paths);
                case WILDCARD -> wildcardHosts.put(host.name(), paths);
                case ANY -> anyHost = paths;
                default -> throw new IllegalStateException("unknown host kind " + host.kind());
            }
        }
        return new Router(exactHosts, SegmentMap.of(wildcardHosts), anyHost, compiled);
    }

    /** Returns the best route for {@code request} as ranked in the class description, or null when none matches. */
    public RouteMatch match(RequestView request) {
        Search search = search(request);
        RouteEntry best = search.best();
        if (best == null) {
            return null;
        }
        PathPattern path = best.path();
        return new RouteMatch(best.route().spec(), path.parameters(search.path()), path.matchedPrefix());
    }

    /**
     * Returns the path to forward upstream for a request that matched: when the route has {@code stripPrefix},
     * the segments of {@link RouteMatch#matchedPrefix()} are removed from the start of {@code requestPath} with
     * their {@code ;parameters}, then the route's {@code rewrite} replaces the first match of its regular
     * expression, and the result gets a leading {@code /} if it lacks one. The segment parameters of the rest of
     * the path are kept, except on a route with a {@code rewrite}: its regular expression is written for paths
     * as routes match them, so it rewrites the path without parameters and forwards the result. The query string
     * is not part of either path.
     *
     * @param match a match returned by this router
     * @param requestPath the path that was matched, {@link RequestView#path()}
     * @throws IllegalArgumentException when {@code match} names a route that this router did not compile
     * @throws InvalidForwardedPathException when the route's {@code rewrite} turns {@code requestPath} into a path
     *     that cannot be sent upstream
     */
    public String forwardedPath(RouteMatch match, String requestPath) {
        requireNonNull(requestPath, "requestPath");
        CompiledRoute route = compiled.get(match.route());
        if (route == null) {
            throw new IllegalArgumentException("route '" + match.route().name() + "' was not compiled by this router");
        }
        return route.rewriter().apply(match.matchedPrefix(), requestPath);
    }

    /** Runs the lookup of {@code request} and returns its state, so that tests can read the work it did. */
    Search trace(RequestView request) {
        return search(request);
    }

    private Search search(RequestView request) {
        String path = request.path();
        Search search = new Search(request, path == null || path.isEmpty() ? "/" : PathParameters.strip(path));
        String host = request.host();
        if (host != null) {
            PathIndex exact = exactHosts.get(host);
            if (exact != null) {
                exact.search(search);
            }
            searchWildcards(search, host);
        }
        anyHost.search(search);
        return search;
    }

    private void searchWildcards(Search search, String host) {
        if (wildcardHosts.isEmpty()) {
            return;
        }
        for (int dot = host.indexOf('.'); dot >= 0; dot = host.indexOf('.', dot + 1)) {
            PathIndex paths = wildcardHosts.get(host, dot + 1, host.length());
            if (paths != null) {
                paths.search(search);
            }
        }
    }
}

package io.portico.gateway.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The paths of the routes that share one host pattern: a hash map for exact paths, a segment trie for prefixes
 * and templates, and lists for regular expressions and for routes without paths. Each list is sorted by
 * {@link RouteEntry#order()}.
 */
final class PathIndex {

    private static final RouteEntry[] NONE = new RouteEntry[0];

    private final Map<String, RouteEntry[]> exact;
    private final TrieNode trie;
    private final RouteEntry[] regex;
    private final RouteEntry[] any;
    private final int minOrder;

    private PathIndex(Builder builder) {
        Map<String, RouteEntry[]> exactPaths = new HashMap<>();
        builder.exact.forEach((path, entries) -> exactPaths.put(path, entries.toArray(NONE)));
        this.exact = exactPaths;
        this.trie = builder.trie.build();
        this.regex = builder.regex.toArray(NONE);
        this.any = builder.any.toArray(NONE);
        this.minOrder = builder.minOrder;
    }

    /** Offers every entry of this index whose path matches {@code search.path()}. */
    void search(Search search) {
        if (!search.canImprove(minOrder)) {
            return;
        }
        search.visit();
        String path = search.path();
        RouteEntry[] exactEntries = exact.get(path);
        if (exactEntries != null) {
            search.offer(exactEntries);
        }
        if (path.startsWith("/")) {
            trie.search(search, 0);
        }
        search.offerRegex(regex);
        search.offer(any);
    }

    /** A mutable index; entries must be added in increasing order. */
    static final class Builder {

        private final Map<String, List<RouteEntry>> exact = new HashMap<>();
        private final TrieNode.Builder trie = new TrieNode.Builder();
        private final List<RouteEntry> regex = new ArrayList<>();
        private final List<RouteEntry> any = new ArrayList<>();
        private int minOrder = Integer.MAX_VALUE;

        void add(RouteEntry entry) {
            minOrder = Math.min(minOrder, entry.order());
            PathPattern path = entry.path();
            switch (path.kind()) {
                case EXACT -> exact.computeIfAbsent(path.exactPath(), key -> new ArrayList<>()).add(entry);
                case TEMPLATE, PREFIX -> trie.add(entry);
                case REGEX -> regex.add(entry);
                case ANY -> any.add(entry);
                default -> throw new IllegalStateException("unknown path kind " + path.kind());
            }
        }

        PathIndex build() {
            return new PathIndex(this);
        }
    }
}

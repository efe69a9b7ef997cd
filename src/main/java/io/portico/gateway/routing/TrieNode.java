package io.portico.gateway.routing;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A node of the segment trie that contains the prefix and template paths of one host. The root stands for the
 * leading {@code /}, and each edge consumes one segment: a literal edge the segment itself, the parameter edge
 * any non-empty segment.
 */
final class TrieNode {

    private static final RouteEntry[] NONE = new RouteEntry[0];

    private final SegmentMap<TrieNode> literals;
    private final TrieNode parameter;
    private final RouteEntry[] prefixes;
    private final RouteEntry[] slashPrefixes;
    private final RouteEntry[] templates;
    private final int minOrder;

    private TrieNode(Builder builder) {
        Map<String, TrieNode> children = new HashMap<>();
        builder.literals.forEach((segment, child) -> children.put(segment, child.build()));
        this.literals = SegmentMap.of(children);
        this.parameter = builder.parameter == null ? null : builder.parameter.build();
        this.prefixes = builder.prefixes.toArray(NONE);
        this.slashPrefixes = builder.slashPrefixes.toArray(NONE);
        this.templates = builder.templates.toArray(NONE);
        int min = Math.min(first(prefixes), Math.min(first(slashPrefixes), first(templates)));
        for (TrieNode child : children.values()) {
            min = Math.min(min, child.minOrder);
        }
        this.minOrder = parameter == null ? min : Math.min(min, parameter.minOrder);
    }

    private static int first(RouteEntry[] entries) {
        return entries.length == 0 ? Integer.MAX_VALUE : entries[0].order();
    }

    /**
     * Offers the entries of this node and its descendants that match {@code search.path()} from
     * {@code position} on, where {@code position} is either the end of the path or the index of a {@code /}.
     * Both the literal and the parameter edge are followed, and since the path decides the segment at each
     * depth, each node is visited at most once. Descendants are searched before this node's prefixes because
     * longer prefixes and templates usually rank first, which lets later offers stop early.
     */
    void search(Search search, int position) {
        if (!search.canImprove(minOrder)) {
            return;
        }
        search.visit();
        String path = search.path();
        int length = path.length();
        if (position == length) {
            search.offer(templates);
        } else {
            searchChildren(search, position);
            search.offer(slashPrefixes);
        }
        search.offer(prefixes);
    }

    private void searchChildren(Search search, int position) {
        String path = search.path();
        int start = position + 1;
        int end = path.indexOf('/', start);
        end = end < 0 ? path.length() : end;
        TrieNode literal = literals.get(path, start, end);
        if (literal != null) {
            literal.search(search, end);
        }
        if (parameter != null && end > start) {
            parameter.search(search, end);
        }
    }

    /** A mutable trie node; entries must be added in increasing order. */
    static final class Builder {

        private final Map<String, Builder> literals = new HashMap<>();
        private Builder parameter;
        private final List<RouteEntry> prefixes = new ArrayList<>();
        private final List<RouteEntry> slashPrefixes = new ArrayList<>();
        private final List<RouteEntry> templates = new ArrayList<>();

        /** Adds a prefix or template entry under the node that its segments lead to. */
        void add(RouteEntry entry) {
            PathPattern path = entry.path();
            Builder node = this;
            for (String segment : path.segments()) {
                node = segment == null ? node.parameterChild() : node.literals.computeIfAbsent(segment,
                        key -> new Builder());
            }
            if (path.kind() == PathPattern.Kind.TEMPLATE) {
                node.templates.add(entry);
            } else if (path.trailingSlash()) {
                node.slashPrefixes.add(entry);
            } else {
                node.prefixes.add(entry);
            }
        }

        private Builder parameterChild() {
            if (parameter == null) {
                parameter = new Builder();
            }
            return parameter;
        }

        TrieNode build() {
            return new TrieNode(this);
        }
    }
}

package io.portico.gateway.routing;

/**
 * One host of a route: an exact name, a wildcard {@code *.suffix}, or any host for a route without hosts.
 *
 * @param kind what the pattern matches, from the kind that ranks first to the one that ranks last
 * @param name the exact host name, the suffix of a wildcard without its {@code *.}, or {@code ""} for any host
 */
record HostPattern(Kind kind, String name) implements Comparable<HostPattern> {

    /** Host kinds, from the one that ranks first to the one that ranks last. */
    enum Kind { EXACT, WILDCARD, ANY }

    static final HostPattern ANY = new HostPattern(Kind.ANY, "");

    /** Parses a lower-cased host of a route: {@code *.example.com} is a wildcard, anything else is exact. */
    static HostPattern parse(String host) {
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host must not be empty");
        }
        if (host.startsWith("*.")) {
            return new HostPattern(Kind.WILDCARD, host.substring(2));
        }
        return new HostPattern(Kind.EXACT, host);
    }

    /** Orders exact hosts first, then wildcards with the longest suffix first, then any host. */
    @Override
    public int compareTo(HostPattern other) {
        int byKind = kind.compareTo(other.kind);
        if (byKind != 0 || kind != Kind.WILDCARD) {
            return byKind;
        }
        return Integer.compare(other.name.length(), name.length());
    }
}

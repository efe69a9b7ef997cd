package io.portico.gateway.routing;

/**
 * The parts of an HTTP request that route matching reads, so that a {@link Router} can be used without a server.
 *
 * <p>The caller normalises the request before matching: the host has no port and is lower-cased, the path has no
 * query string and is already normalised. Matching treats percent-encoded bytes in the path as opaque
 * characters, so {@code %2F} never separates segments.
 */
public interface RequestView {

    /** Returns the HTTP method exactly as the client sent it, for example {@code GET}. */
    String method();

    /** Returns the lower-cased host name without port, or null when the request has none. */
    String host();

    /**
     * Returns the normalised path without the query string, starting with {@code /}. It may contain segment
     * {@code ;parameters}, which the router ignores when it matches.
     */
    String path();

    /**
     * Returns the first value of the header {@code name}, looked up case-insensitively, or null when it is
     * absent.
     */
    String header(String name);

    /**
     * Returns the first value of the query parameter {@code name}, looked up case-sensitively, or null when it is
     * absent. A parameter without {@code =} has the value {@code ""}.
     */
    String queryParameter(String name);
}

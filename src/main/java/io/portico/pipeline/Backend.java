package io.portico.pipeline;

/**
 * The end of a route's pipeline, which produces the response: the HTTP proxy for REST routes; AI and MCP
 * routes have backends of their own.
 */
@FunctionalInterface
public interface Backend {

    /** Produces the response for {@code ctx}; runs on the request's event loop and must not block. */
    void handle(RequestContext ctx);

    /**
     * Returns true when this backend serves {@code forwardedPath}, which contains encoded slashes ({@code %2F}),
     * by reading the path itself, so that no upstream receives it. The gateway rejects every other path with an
     * encoded slash, because upstreams disagree about whether it separates segments. Returns false by default.
     */
    default boolean acceptsEncodedSlashes(String forwardedPath) {
        return false;
    }
}

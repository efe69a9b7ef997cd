package io.portico.pipeline;

import io.vertx.core.MultiMap;

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

    /**
     * Returns the request headers that this backend would send upstream if it handled {@code ctx} now, without
     * {@code Host}, which a backend sets when it picks a target. Policies that run before the backend, such as a
     * cache that compares the headers a response varies by, read them here. By default these are the client's
     * headers as the policies left them. The returned map is not sent and may be the request's own map.
     */
    default MultiMap upstreamHeaders(RequestContext ctx) {
        return ctx.request().headers();
    }
}

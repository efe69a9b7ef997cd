package io.portico.pipeline;

/**
 * The end of a route's pipeline, which produces the response: the HTTP proxy for REST routes; AI and MCP
 * routes have backends of their own.
 */
@FunctionalInterface
public interface Backend {

    /** Produces the response for {@code ctx}; runs on the request's event loop and must not block. */
    void handle(RequestContext ctx);
}

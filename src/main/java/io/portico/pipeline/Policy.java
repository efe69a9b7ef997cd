package io.portico.pipeline;

/**
 * One step of the request pipeline that every REST, AI and MCP route shares. A policy inspects or changes the
 * request, then either passes it on with {@link PolicyChain#proceed} or ends it, for example with
 * {@link RequestContext#fail}. Policies run on the event loop and must not block.
 */
@FunctionalInterface
public interface Policy {

    /** Handles the request in {@code ctx}, then calls {@code chain.proceed(ctx)} unless it ended the request. */
    void handle(RequestContext ctx, PolicyChain chain);
}

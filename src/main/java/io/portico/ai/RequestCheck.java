package io.portico.ai;

import io.portico.pipeline.RequestContext;
import io.vertx.core.Future;

/**
 * A check that a token-consuming AI request passes before the cache or a provider serves it; see
 * {@link AiGateway#checkRequest}.
 */
@FunctionalInterface
public interface RequestCheck {

    /**
     * Returns true to let the request go on, or false after ending it, for example with
     * {@link RequestContext#fail}. Runs on the request's event loop and must not block. A check that waits, for
     * example for Redis, completes the future on the request's event loop. It should not fail the future, because
     * the AI backend then responds 500.
     */
    Future<Boolean> admit(RequestContext ctx, TokenEstimate estimate);
}

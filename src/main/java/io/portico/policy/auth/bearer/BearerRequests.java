package io.portico.policy.auth.bearer;

import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;

/** The steps every bearer token policy takes the same way: finding the token and resuming after a wait. */
public final class BearerRequests {

    private BearerRequests() {
    }

    /**
     * Returns the request's token, or null when the request was handled already: passed on because an earlier
     * policy authenticated it or because it has no token and the policy is {@code optional}, or ended with 401.
     */
    public static TokenSource.Token tokenOrHandle(RequestContext ctx, PolicyChain chain, TokenSource source,
                                                  boolean optional) {
        if (ctx.identity() != null) {
            chain.proceed(ctx);
            return null;
        }
        TokenSource.Token token = source.find(ctx);
        if (token == null) {
            if (optional) {
                chain.proceed(ctx);
            } else {
                Challenges.missing(ctx);
            }
        }
        return token;
    }

    /**
     * Pauses the request, so no body bytes are lost while {@code future} runs, and hands its result to
     * {@code handler} on the request's event loop. The request stays paused: the backend resumes it when it reads
     * the body, and a policy that ends the request resumes it first.
     */
    public static <T> void await(RequestContext ctx, Future<T> future, Handler<AsyncResult<T>> handler) {
        if (future.isComplete()) {
            handler.handle(future);
            return;
        }
        Context context = Vertx.currentContext();
        ctx.pauseBody();
        future.onComplete(result -> {
            if (context == null || Vertx.currentContext() == context) {
                handler.handle(result);
            } else {
                context.runOnContext(unused -> handler.handle(result));
            }
        });
    }
}

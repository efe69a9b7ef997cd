package io.portico.pipeline;

import java.util.ArrayList;
import java.util.List;

/**
 * Policies that need the AI model of a request. On AI routes the model is a field of the JSON request body, which
 * only the AI backend reads, after every policy has run. A policy that needs the model therefore
 * {@linkplain #defer defers} itself and passes the request on; the AI backend, once it has parsed the body,
 * {@linkplain #run runs} the deferred policies with the model set before it calls a provider. A deferred policy
 * ends the request as usual, with {@link RequestContext#fail}, or passes it on with {@link PolicyChain#proceed}.
 */
public final class ModelPolicies {

    /** Request attribute holding the model the client named, as a string; set by the AI backend. */
    public static final String MODEL_ATTRIBUTE = "ai.model";
    /** Request attribute that is {@code true} once the AI backend has read the body and set the model, if any. */
    private static final String RESOLVED_ATTRIBUTE = "ai.model-resolved";
    private static final String DEFERRED_ATTRIBUTE = "ai.model-policies";

    private ModelPolicies() {
    }

    /** Returns whether the AI backend has read the request body, so {@link #MODEL_ATTRIBUTE} is final or null. */
    public static boolean resolved(RequestContext ctx) {
        return Boolean.TRUE.equals(ctx.attribute(RESOLVED_ATTRIBUTE));
    }

    /** Returns the model the client named, or null when it is not known (yet). */
    public static String model(RequestContext ctx) {
        return ctx.attribute(MODEL_ATTRIBUTE);
    }

    /** Queues {@code policy} to run on {@code ctx} once the AI backend has read the model from the body. */
    public static void defer(RequestContext ctx, Policy policy) {
        List<Policy> deferred = ctx.attribute(DEFERRED_ATTRIBUTE);
        if (deferred == null) {
            deferred = new ArrayList<>(2);
            ctx.attribute(DEFERRED_ATTRIBUTE, deferred);
        }
        deferred.add(policy);
    }

    /**
     * Records {@code model} (null when the body names none), runs the deferred policies in order, then
     * {@code next} unless a policy ended the request. Called by the AI backend after it parsed the body.
     */
    public static void run(RequestContext ctx, String model, Runnable next) {
        ctx.attribute(MODEL_ATTRIBUTE, model);
        ctx.attribute(RESOLVED_ATTRIBUTE, Boolean.TRUE);
        List<Policy> deferred = ctx.attribute(DEFERRED_ATTRIBUTE);
        if (deferred == null || deferred.isEmpty()) {
            next.run();
            return;
        }
        proceed(ctx, List.copyOf(deferred), 0, next);
    }

    private static void proceed(RequestContext ctx, List<Policy> deferred, int index, Runnable next) {
        if (index == deferred.size()) {
            next.run();
            return;
        }
        deferred.get(index).handle(ctx, nextCtx -> proceed(nextCtx, deferred, index + 1, next));
    }
}

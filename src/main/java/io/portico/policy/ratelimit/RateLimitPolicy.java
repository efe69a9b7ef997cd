package io.portico.policy.ratelimit;

import static java.util.Objects.requireNonNull;

import io.portico.pipeline.ModelPolicies;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;

/**
 * The {@code rate-limit} policy: admits a request when every limit of the policy allows it for the request's key,
 * and responds 429 with {@code Retry-After} otherwise. Counters live in the node's memory or, in cluster mode, in
 * Redis; while Redis is unavailable, cluster mode counts in memory or answers 503, as configured.
 */
final class RateLimitPolicy implements Policy {

    private final RateLimitSettings settings;
    private final String namespace;
    private final String localNamespace;
    private final LocalCounters local;
    private final RedisCounters redis;
    private final RateLimitHeaders headers;
    private final boolean deferUntilModel;

    /**
     * Creates the policy.
     *
     * @param namespace the policy's place in the configuration, which separates its counters from other policies'
     * @param redis the Redis counters in cluster mode; null in local mode, or when the node has no Redis, which
     *     counts as Redis being unavailable
     * @param deferUntilModel whether the key reads the AI model on an AI route, so the check waits for the body
     */
    RateLimitPolicy(RateLimitSettings settings, String namespace, LocalCounters local, RedisCounters redis,
                    boolean deferUntilModel) {
        this.settings = requireNonNull(settings, "settings");
        this.namespace = requireNonNull(namespace, "namespace");
        this.localNamespace = namespace + "|" + settings.limitsSignature();
        this.local = requireNonNull(local, "local");
        this.redis = redis;
        this.headers = new RateLimitHeaders(settings.limits(), settings.headers(), settings.legacyHeaders(),
                settings.partitionKey());
        this.deferUntilModel = deferUntilModel;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        if (deferUntilModel && !ModelPolicies.resolved(ctx)) {
            ModelPolicies.defer(ctx, this);
            chain.proceed(ctx);
            return;
        }
        String key = settings.key().resolve(ctx);
        if (!settings.cluster()) {
            decide(ctx, chain, key, local.check(localNamespace, key, settings.limits(), 1));
            return;
        }
        if (redis == null) {
            redisUnavailable(ctx, chain, key);
            return;
        }
        // The body waits for Redis's reply, because a request without a data handler drops what arrives.
        ctx.pauseBody();
        Context context = Vertx.currentContext();
        Thread thread = Thread.currentThread();
        redis.check(namespace, key, 1, result -> {
            if (Thread.currentThread() == thread || context == null) {
                afterRedis(ctx, chain, key, result);
            } else {
                context.runOnContext(ignored -> afterRedis(ctx, chain, key, result));
            }
        });
    }

    private void afterRedis(RequestContext ctx, PolicyChain chain, String key, AsyncResult<Verdict> result) {
        ctx.resumeBody();
        if (ctx.response().closed()) {
            return;
        }
        if (result.succeeded()) {
            decide(ctx, chain, key, result.result());
        } else {
            // RedisClient has logged the outage or the error reply; each request only records the fallback.
            redisUnavailable(ctx, chain, key);
        }
    }

    private void redisUnavailable(RequestContext ctx, PolicyChain chain, String key) {
        if (settings.rejectWithoutRedis()) {
            ctx.logField("rate_limit", "unavailable");
            ctx.response().putHeader(HttpHeaders.RETRY_AFTER, "1");
            ctx.fail(ProblemType.RATE_LIMIT_UNAVAILABLE, "the cluster-wide rate limit cannot be checked because "
                    + "Redis is unavailable; retry later");
            return;
        }
        // A separate field, because a request rejected by the local count also logs rate_limit=LIMIT.
        ctx.logField("rate_limit_mode", "local-fallback");
        decide(ctx, chain, key, local.check(localNamespace, key, settings.limits(), 1));
    }

    private void decide(RequestContext ctx, PolicyChain chain, String key, Verdict verdict) {
        if (headers.enabled()) {
            RateLimitFields.record(ctx, headers, verdict, key);
        }
        if (verdict.admitted()) {
            chain.proceed(ctx);
            return;
        }
        String exceeded = exceeded(verdict);
        long retryAfter = Math.max(1, RateLimitHeaders.seconds(verdict.retryAfterMicros()));
        ctx.logField("rate_limit", exceeded);
        ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(retryAfter));
        ctx.fail(ProblemType.RATE_LIMITED, "the rate limit '" + exceeded + "' is exhausted; retry after "
                + retryAfter + " s");
    }

    /** Returns the name of the first limit that rejected the request. */
    private String exceeded(Verdict verdict) {
        Outcome[] outcomes = verdict.outcomes();
        for (int i = 0; i < outcomes.length; i++) {
            if (!outcomes[i].allowed()) {
                return settings.limits().get(i).name();
            }
        }
        return settings.limits().get(0).name();
    }
}

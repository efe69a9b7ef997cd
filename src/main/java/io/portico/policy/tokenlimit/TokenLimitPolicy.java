package io.portico.policy.tokenlimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway;
import io.portico.ai.TokenEstimate;
import io.portico.ai.UsageRecord;
import io.portico.config.Errors;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import io.portico.problem.ProblemType;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code token-limit} policy of AI routes: tokens and requests per minute per consumer, team, credential or
 * requested model, counted on this node or, in cluster mode, in Redis. It counts chat completions, messages, the
 * Responses API, embeddings and token counting. Before such a request reaches the cache or a provider, its
 * estimate ({@link TokenEstimate}: the input's tokens plus the output tokens it allows, zero for token counting)
 * must fit in every limit. The estimate is then reserved, and replaced by the real input and output tokens once
 * the usage is known. A request that ends without usage, or whose provider reports no tokens, keeps its estimate.
 * A failed attempt whose provider response reported usage adds its tokens to those of the call that served the
 * request.
 * While Redis is unavailable, cluster mode counts on this node or responds with 503, as configured.
 */
public final class TokenLimitPolicy implements Policy {

    static final String NAME = "token-limit";
    /** The per-node state key of the windows, which outlive configuration changes. */
    static final String WINDOWS_KEY = "token-limit.windows";
    private static final Set<String> FIELDS = Set.of("limits", "mode", "onRedisFailure");
    private static final Set<String> LIMIT_FIELDS = Set.of("by", "tokensPerMinute", "requestsPerMinute");

    private final String route;
    private final Settings settings;
    private final List<Limit> limits;
    private final Map<String, MinuteWindow> windows;
    private final RedisWindows redis;
    private final Clock clock;

    /**
     * Creates the policy.
     *
     * @param windows this node's windows, which also count while Redis is unavailable in cluster mode
     * @param redis the windows in Redis in cluster mode. It is null in local mode, and also when the node has no
     *     Redis, which the policy treats as Redis being unavailable.
     */
    TokenLimitPolicy(String route, Settings settings, Map<String, MinuteWindow> windows, RedisWindows redis,
                     Clock clock) {
        this.route = route;
        this.settings = settings;
        this.limits = settings.limits();
        this.windows = windows;
        this.redis = redis;
        this.clock = clock;
    }

    /**
     * The configuration of one policy.
     *
     * @param cluster whether the windows live in Redis, shared by every node, rather than in each node's memory
     * @param rejectWithoutRedis whether requests get 503 while Redis is unavailable, rather than local counting
     */
    record Settings(List<Limit> limits, boolean cluster, boolean rejectWithoutRedis) {
    }

    /**
     * One limit.
     *
     * @param by what the limit counts per: {@code consumer}, {@code team}, {@code credential} or {@code model}
     * @param tokensPerMinute 0 when only requests are limited
     * @param requestsPerMinute 0 when only tokens are limited
     */
    record Limit(String by, long tokensPerMinute, long requestsPerMinute) {
    }

    static Settings parse(ObjectNode config, Errors errors) {
        PolicySettings.rejectUnknownFields(config, FIELDS, errors);
        String mode = config.path("mode").asText("local");
        if (!Set.of("local", "cluster").contains(mode)) {
            errors.add("mode", "must be local or cluster");
        }
        String onRedisFailure = config.path("onRedisFailure").asText("local");
        if (!Set.of("local", "reject").contains(onRedisFailure)) {
            errors.add("onRedisFailure", "must be local or reject");
        }
        return new Settings(parseLimits(config, errors), mode.equals("cluster"), onRedisFailure.equals("reject"));
    }

    private static List<Limit> parseLimits(ObjectNode config, Errors errors) {
        JsonNode list = config.get("limits");
        List<Limit> limits = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("limits", "must be a non-empty list of limits");
            return limits;
        }
        Map<String, Integer> firstBy = new HashMap<>();
        for (int i = 0; i < list.size(); i++) {
            Errors at = errors.at("limits", i);
            JsonNode item = list.get(i);
            if (!item.isObject()) {
                at.add("", "must be an object with by, tokensPerMinute and requestsPerMinute");
                continue;
            }
            PolicySettings.rejectUnknownFields((ObjectNode) item, LIMIT_FIELDS, at);
            String by = item.path("by").asText("");
            if (!Set.of("consumer", "team", "credential", "model").contains(by)) {
                at.add("by", "must be consumer, team, credential or model");
            } else if (firstBy.putIfAbsent(by, i) != null) {
                // Limits with the same by would count on one window per subject, so each request twice.
                at.add("by", "is '" + by + "', as in limits[" + firstBy.get(by) + "]; set tokensPerMinute and"
                        + " requestsPerMinute in one limit per by");
            }
            long tokens = count(item, "tokensPerMinute", at);
            long requests = count(item, "requestsPerMinute", at);
            if (tokens == 0 && requests == 0) {
                at.add("", "must set tokensPerMinute, requestsPerMinute or both");
            }
            limits.add(new Limit(by, tokens, requests));
        }
        return limits;
    }

    private static long count(JsonNode item, String field, Errors errors) {
        JsonNode node = item.get(field);
        if (node == null || node.isNull()) {
            return 0;
        }
        if (!node.isIntegralNumber() || !node.canConvertToLong() || node.asLong() < 1) {
            errors.add(field, "must be a whole number, 1 or more");
            return 0;
        }
        return node.asLong();
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        AiGateway.checkRequest(ctx, this::admit);
        chain.proceed(ctx);
    }

    private Future<Boolean> admit(RequestContext ctx, TokenEstimate estimate) {
        List<Limit> applied = new ArrayList<>(limits.size());
        List<String> subjects = new ArrayList<>(limits.size());
        for (Limit limit : limits) {
            String subject = subject(limit.by(), ctx.identity(), estimate);
            if (subject != null) {
                applied.add(limit);
                subjects.add(subject);
            }
        }
        if (applied.isEmpty()) {
            return Future.succeededFuture(true);
        }
        for (int i = 0; i < applied.size(); i++) {
            Limit limit = applied.get(i);
            if (limit.tokensPerMinute() > 0 && estimate.tokens() > limit.tokensPerMinute()) {
                return Future.succeededFuture(rejectTooLarge(ctx, limit, subjects.get(i), estimate));
            }
        }
        if (!settings.cluster()) {
            return Future.succeededFuture(admitLocally(ctx, estimate, applied, subjects));
        }
        if (redis == null) {
            return Future.succeededFuture(redisUnavailable(ctx, estimate, applied, subjects));
        }
        List<String> keys = new ArrayList<>(applied.size());
        for (int i = 0; i < applied.size(); i++) {
            keys.add(redis.key(route, applied.get(i).by(), subjects.get(i)));
        }
        Context context = Vertx.currentContext();
        Thread thread = Thread.currentThread();
        Promise<Boolean> admitted = Promise.promise();
        redis.reserve(keys, applied, estimate.tokens()).onComplete(result -> {
            if (context == null || Thread.currentThread() == thread) {
                admitted.complete(afterRedis(ctx, estimate, applied, subjects, result));
            } else {
                context.runOnContext(ignored -> admitted.complete(afterRedis(ctx, estimate, applied, subjects,
                        result)));
            }
        });
        return admitted.future();
    }

    private boolean afterRedis(RequestContext ctx, TokenEstimate estimate, List<Limit> applied, List<String> subjects,
                               AsyncResult<RedisWindows.Reservation> result) {
        if (result.failed()) {
            // RedisClient has logged the outage or the error reply; each request only records the fallback.
            return redisUnavailable(ctx, estimate, applied, subjects);
        }
        RedisWindows.Reservation reservation = result.result();
        if (!reservation.admitted()) {
            int index = reservation.rejectedBy();
            Limit limit = applied.get(index);
            String exceeded = reservation.requestsPassed() ? requestsExceeded(limit)
                    : tokensExceeded(limit, estimate);
            return reject(ctx, limit, subjects.get(index), exceeded, reservation.millisLeft());
        }
        Correction correction = new Correction(estimate.tokens());
        AiGateway.onRequestUsage(ctx, record -> {
            long delta = correction.delta(record);
            if (delta != 0) {
                redis.correct(reservation, delta);
            }
        });
        return true;
    }

    private boolean redisUnavailable(RequestContext ctx, TokenEstimate estimate, List<Limit> applied,
                                     List<String> subjects) {
        if (settings.rejectWithoutRedis()) {
            ctx.logField("token_limit", "unavailable");
            ctx.response().headers().set("Retry-After", "1");
            ctx.fail(ProblemType.TOKEN_LIMIT_UNAVAILABLE, "the cluster-wide token limit cannot be checked because "
                    + "Redis is unavailable; retry later");
            return false;
        }
        ctx.logField("token_limit_mode", "local-fallback");
        return admitLocally(ctx, estimate, applied, subjects);
    }

    private boolean admitLocally(RequestContext ctx, TokenEstimate estimate, List<Limit> applied,
                                 List<String> subjects) {
        long millis = clock.millis();
        long minute = millis / 60_000;
        List<MinuteWindow> reserved = new ArrayList<>(applied.size());
        for (int i = 0; i < applied.size(); i++) {
            Limit limit = applied.get(i);
            MinuteWindow window = windows.computeIfAbsent(route + "\n" + limit.by() + "\n" + subjects.get(i),
                    key -> new MinuteWindow());
            String exceeded = exceeded(limit, window, minute, estimate);
            if (exceeded != null) {
                return reject(ctx, limit, subjects.get(i), exceeded, 60_000 - millis % 60_000);
            }
            reserved.add(window);
        }
        for (MinuteWindow window : reserved) {
            window.reserve(minute, estimate.tokens());
        }
        Correction correction = new Correction(estimate.tokens());
        AiGateway.onRequestUsage(ctx, record -> {
            long delta = correction.delta(record);
            if (delta != 0) {
                reserved.forEach(window -> window.correct(minute, delta));
            }
        });
        return true;
    }

    /** Ends the request with 429 and a Retry-After of {@code millisLeft}, the rest of the minute, rounded up. */
    private static boolean reject(RequestContext ctx, Limit limit, String subject, String exceeded, long millisLeft) {
        long retryAfter = Math.max(1, (millisLeft + 999) / 1000);
        ctx.response().headers().set("Retry-After", Long.toString(retryAfter));
        ctx.fail(ProblemType.TOKEN_LIMIT_EXCEEDED, "the " + exceeded + " of " + limit.by() + " '" + subject
                + "' is reached; retry in " + retryAfter + " s");
        return false;
    }

    /**
     * Ends with 429 a request that may use more tokens than {@code limit} allows in a whole minute. It carries no
     * Retry-After, because waiting does not help, while a shorter input or a lower output limit does.
     */
    private static boolean rejectTooLarge(RequestContext ctx, Limit limit, String subject, TokenEstimate estimate) {
        String remedy = estimate.maxOutputTokens() > 0
                ? "shorten the input or lower the output token limit of " + estimate.maxOutputTokens()
                        + " that the request sets"
                : "shorten the input";
        ctx.fail(ProblemType.TOKEN_LIMIT_EXCEEDED, "this request may use " + estimate.tokens() + " tokens, more than"
                + " the limit of " + limit.tokensPerMinute() + " tokens per minute of " + limit.by() + " '" + subject
                + "' admits in any minute; " + remedy);
        return false;
    }

    /**
     * Returns which limit of {@code window} the request would pass, or null when it fits in both. A request of zero
     * tokens, such as a token count, passes the tokens per minute even when corrections have pushed the window past
     * it, since it adds nothing.
     */
    private static String exceeded(Limit limit, MinuteWindow window, long minute, TokenEstimate estimate) {
        if (limit.requestsPerMinute() > 0 && window.requests(minute) + 1 > limit.requestsPerMinute()) {
            return requestsExceeded(limit);
        }
        if (limit.tokensPerMinute() > 0 && estimate.tokens() > 0
                && window.tokens(minute) + estimate.tokens() > limit.tokensPerMinute()) {
            return tokensExceeded(limit, estimate);
        }
        return null;
    }

    private static String requestsExceeded(Limit limit) {
        return "limit of " + limit.requestsPerMinute() + " requests per minute";
    }

    private static String tokensExceeded(Limit limit, TokenEstimate estimate) {
        return "limit of " + limit.tokensPerMinute() + " tokens per minute (this request may use "
                + estimate.tokens() + ")";
    }

    /**
     * The tokens that one request's usage records add to its reservation. The first record that reports tokens
     * replaces the estimate. Each later one adds its own, as the call that served the request does after a failed
     * attempt whose response reported usage. Used on the request's event loop only.
     */
    private static final class Correction {
        /** The estimate that the reservation still counts, 0 once a record replaced it. */
        private long estimate;

        Correction(long estimate) {
            this.estimate = estimate;
        }

        /** Returns the tokens to add to the reserved windows for {@code record}, negative to give some back. */
        long delta(UsageRecord record) {
            if (!reportsTokens(record)) {
                return 0;
            }
            long delta = used(record) - estimate;
            estimate = 0;
            return delta;
        }
    }

    private static long used(UsageRecord record) {
        return record.usage().inputTokens() + record.usage().outputTokens();
    }

    /**
     * Returns whether {@code record} reports the tokens the request used: a cache hit, which used none, or a
     * provider's response with tokens. A response without any, such as an embeddings response without
     * {@code usage}, reports nothing, so the estimate stays.
     */
    private static boolean reportsTokens(UsageRecord record) {
        return record.cached() || used(record) > 0;
    }

    /** Returns the value the limit counts per, or null when the request has none, such as an anonymous team. */
    private static String subject(String by, Identity identity, TokenEstimate estimate) {
        return switch (by) {
            case "consumer" -> identity == null ? "-" : identity.consumer();
            case "team" -> identity == null ? null : identity.team();
            case "credential" -> identity == null ? null : identity.credential();
            case "model" -> estimate.model();
            default -> null;
        };
    }
}

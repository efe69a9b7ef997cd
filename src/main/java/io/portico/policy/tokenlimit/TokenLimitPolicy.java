package io.portico.policy.tokenlimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway;
import io.portico.ai.ChatEstimate;
import io.portico.ai.UsageRecord;
import io.portico.config.Errors;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import io.portico.problem.ProblemType;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code token-limit} policy of AI routes: tokens and requests per minute per consumer, team, credential or
 * requested model, counted on this node. Before a chat request reaches the cache or a provider, its estimate (the
 * prompt's tokens plus {@code max_tokens}) must fit in every limit; the estimate is then reserved and replaced by
 * the real input and output tokens once the usage is known. A request that ends without usage keeps its estimate.
 */
public final class TokenLimitPolicy implements Policy {

    static final String NAME = "token-limit";
    /** The per-node state key of the windows, which outlive configuration changes. */
    static final String WINDOWS_KEY = "token-limit.windows";
    private static final Set<String> FIELDS = Set.of("limits");
    private static final Set<String> LIMIT_FIELDS = Set.of("by", "tokensPerMinute", "requestsPerMinute");

    private final String route;
    private final List<Limit> limits;
    private final Map<String, MinuteWindow> windows;
    private final Clock clock;

    TokenLimitPolicy(String route, List<Limit> limits, Map<String, MinuteWindow> windows, Clock clock) {
        this.route = route;
        this.limits = limits;
        this.windows = windows;
        this.clock = clock;
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

    static List<Limit> parse(ObjectNode config, Errors errors) {
        PolicySettings.rejectUnknownFields(config, FIELDS, errors);
        JsonNode list = config.get("limits");
        List<Limit> limits = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("limits", "must be a non-empty list of limits");
            return limits;
        }
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
        AiGateway.beforeChat(ctx, this::admit);
        chain.proceed(ctx);
    }

    private boolean admit(RequestContext ctx, ChatEstimate estimate) {
        long millis = clock.millis();
        long minute = millis / 60_000;
        List<MinuteWindow> reserved = new ArrayList<>(limits.size());
        for (Limit limit : limits) {
            String subject = subject(limit.by(), ctx.identity(), estimate);
            if (subject == null) {
                continue;
            }
            MinuteWindow window = windows.computeIfAbsent(route + "\n" + limit.by() + "\n" + subject,
                    key -> new MinuteWindow());
            String exceeded = exceeded(limit, window, minute, estimate);
            if (exceeded != null) {
                long retryAfter = Math.max(1, (60_000 - millis % 60_000 + 999) / 1000);
                ctx.response().headers().set("Retry-After", Long.toString(retryAfter));
                ctx.fail(ProblemType.TOKEN_LIMIT_EXCEEDED, "the " + exceeded + " of " + limit.by() + " '"
                        + subject + "' is reached; retry in " + retryAfter + " s");
                return false;
            }
            reserved.add(window);
        }
        for (MinuteWindow window : reserved) {
            window.reserve(minute, estimate.tokens());
        }
        AiGateway.onRequestUsage(ctx, record -> {
            long delta = used(record) - estimate.tokens();
            reserved.forEach(window -> window.correct(minute, delta));
        });
        return true;
    }

    /** Returns which limit of {@code window} the request would pass, or null when it fits in both. */
    private static String exceeded(Limit limit, MinuteWindow window, long minute, ChatEstimate estimate) {
        if (limit.requestsPerMinute() > 0 && window.requests(minute) + 1 > limit.requestsPerMinute()) {
            return "limit of " + limit.requestsPerMinute() + " requests per minute";
        }
        if (limit.tokensPerMinute() > 0 && window.tokens(minute) + estimate.tokens() > limit.tokensPerMinute()) {
            return "limit of " + limit.tokensPerMinute() + " tokens per minute (this request may use "
                    + estimate.tokens() + ")";
        }
        return null;
    }

    private static long used(UsageRecord record) {
        return record.usage().inputTokens() + record.usage().outputTokens();
    }

    /** Returns the value the limit counts per, or null when the request has none, such as an anonymous team. */
    private static String subject(String by, Identity identity, ChatEstimate estimate) {
        return switch (by) {
            case "consumer" -> identity == null ? "-" : identity.consumer();
            case "team" -> identity == null ? null : identity.team();
            case "credential" -> identity == null ? null : identity.credential();
            case "model" -> estimate.model();
            default -> null;
        };
    }
}

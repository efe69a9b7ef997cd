package io.portico.policy.quota;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import io.portico.problem.ProblemType;
import io.portico.quota.CalendarPeriod;
import io.portico.quota.CounterId;
import io.portico.quota.UsageCounters;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Set;

/**
 * The {@code quota} policy: at most {@code limit} calls per consumer in each calendar day or month, counted per
 * route or per API on counters that every node of the store shares. Requests without an authenticated consumer
 * share the subject {@code -}. A request over the quota gets 429 with {@code Retry-After} until the period ends.
 * The response to every request the policy checked carries {@code X-Quota-Limit}, {@code X-Quota-Remaining} and
 * {@code X-Quota-Reset}. A request that an earlier policy ends, such as a rate limit's 429, carries none. A
 * call that a later policy or the gateway itself then rejects is given back when the exchange ends.
 */
public final class QuotaPolicy implements Policy {

    static final String NAME = "quota";
    /** The counter kind of quotas. */
    public static final String KIND = "quota";
    /** The subject of requests without an authenticated consumer. */
    static final String ANONYMOUS = "-";
    private static final Set<String> FIELDS = Set.of("limit", "period", "timeZone", "scope");

    private final Settings settings;
    private final String scope;
    private final UsageCounters counters;

    QuotaPolicy(Settings settings, String scope, UsageCounters counters) {
        this.settings = settings;
        this.scope = scope + ":" + settings.period().label();
        this.counters = counters;
    }

    /** The settings of one {@code quota} policy. {@code byApi} is true for {@code scope: api}. */
    record Settings(long limit, CalendarPeriod period, ZoneId zone, boolean byApi) {
    }

    static Settings parse(ObjectNode config, Errors errors) {
        PolicySettings.rejectUnknownFields(config, FIELDS, errors);
        JsonNode limit = config.get("limit");
        if (limit == null || !limit.canConvertToLong() || !limit.isIntegralNumber() || limit.asLong() < 0) {
            errors.add("limit", "must be a whole number of calls, 0 or more");
        }
        CalendarPeriod period = PeriodSettings.period(config, "period", errors);
        ZoneId zone = PeriodSettings.timeZone(config, errors);
        String scope = config.path("scope").asText("route");
        if (!scope.equals("route") && !scope.equals("api")) {
            errors.add("scope", "must be route or api, not '" + scope + "'");
        }
        return new Settings(limit == null ? 0 : limit.asLong(), period, zone, scope.equals("api"));
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        Instant now = counters.clock().instant();
        CalendarPeriod.Window window = settings.period().window(now, settings.zone());
        String consumer = ctx.consumer() == null ? ANONYMOUS : ctx.consumer();
        CounterId id = new CounterId(KIND, scope, consumer, window.start(), window.end());
        counters.describe(id, settings.limit(), null);
        long used = counters.value(id);
        long reset = PeriodSettings.secondsUntil(now, window.end());
        if (used >= settings.limit()) {
            headers(ctx, 0, reset);
            ctx.response().headers().set("Retry-After", Long.toString(reset));
            ctx.fail(ProblemType.QUOTA_EXCEEDED, "the " + periodName() + " quota of " + settings.limit()
                    + " calls is used up for consumer '" + consumer + "'; it resets at " + window.end());
            return;
        }
        long total = counters.add(id, 1);
        headers(ctx, Math.max(0, settings.limit() - total), reset);
        ctx.onEnd(() -> {
            if (rejectedByGateway(ctx.failure())) {
                counters.add(id, -1);
            }
        });
        chain.proceed(ctx);
    }

    /**
     * Returns true when the gateway ended the request with {@code failure} without sending it on, for example
     * because a later policy rejected it, so the call is given back. A request the upstream or provider may have
     * received, whatever its response, stays counted. So does one that found no free pooled connection, because an
     * earlier attempt of it may have reached a target.
     */
    static boolean rejectedByGateway(ProblemType failure) {
        return failure != null && failure != ProblemType.UPSTREAM_UNAVAILABLE
                && failure != ProblemType.UPSTREAM_TIMEOUT && failure != ProblemType.UPSTREAM_POOL_EXHAUSTED;
    }

    private String periodName() {
        return settings.period() == CalendarPeriod.DAY ? "daily" : "monthly";
    }

    private void headers(RequestContext ctx, long remaining, long reset) {
        String limit = Long.toString(settings.limit());
        String left = Long.toString(remaining);
        String resetSeconds = Long.toString(reset);
        ctx.onResponseHeaders(headers -> headers
                .set("X-Quota-Limit", limit)
                .set("X-Quota-Remaining", left)
                .set("X-Quota-Reset", resetSeconds));
    }
}

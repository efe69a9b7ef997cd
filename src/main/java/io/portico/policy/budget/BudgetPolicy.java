package io.portico.policy.budget;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.AiGateway;
import io.portico.ai.UsageRecord;
import io.portico.ai.spi.AiError;
import io.portico.config.Errors;
import io.portico.metrics.Rejection;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.policy.PolicySettings;
import io.portico.policy.quota.PeriodSettings;
import io.portico.problem.ProblemType;
import io.portico.quota.CalendarPeriod;
import io.portico.quota.CounterId;
import io.portico.quota.UsageCounters;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code budget} policy of AI routes: spend in USD, from the model catalog's prices, per consumer, team or
 * provider key in each calendar day or month, on counters in micro-USD that every node of the store shares. A
 * request whose consumer or team has spent its budget (spent so far at or above it) is rejected with 429; the
 * request that crosses a budget still completes. A provider key that has spent its budget is skipped by the key
 * pool for the requests of this policy, and a request for which every key is spent is rejected with 429. Crossing
 * the alert threshold is logged once per period, by the first node that records spend past it.
 */
public final class BudgetPolicy implements Policy {

    static final String NAME = "budget";
    /** The counter kind of budgets; amounts are in micro-USD. */
    public static final String KIND = "budget";
    /**
     * The counter kind that records that a budget counter's alert was logged, above 0 once a node logged it. Its
     * scope adds the amount and threshold to the budget counter's scope.
     */
    static final String ALERT_KIND = "budget-alert";
    private static final Logger LOG = LoggerFactory.getLogger(BudgetPolicy.class);
    private static final BigDecimal MICROS = BigDecimal.valueOf(1_000_000);
    /**
     * The largest budget, in USD. Counters hold micro-USD in a long, whose maximum is about 9.2e12 USD; the
     * margin leaves room for the spend of the requests that cross a budget.
     */
    static final BigDecimal MAX_AMOUNT_USD = new BigDecimal("1000000000000");
    private static final BigDecimal MIN_AMOUNT_USD = new BigDecimal("0.000001");
    private static final Set<String> FIELDS = Set.of("budgets", "timeZone");
    private static final Set<String> BUDGET_FIELDS = Set.of("by", "key", "amount", "period", "alertThreshold");

    private final List<Budget> budgets;
    private final boolean keyBudgets;
    private final ZoneId zone;
    private final UsageCounters counters;

    BudgetPolicy(Settings settings, UsageCounters counters) {
        this.budgets = settings.budgets();
        this.keyBudgets = budgets.stream().anyMatch(budget -> budget.by().equals("key"));
        this.zone = settings.zone();
        this.counters = counters;
    }

    /**
     * One budget.
     *
     * @param by {@code consumer}, {@code team} or {@code key} (the provider key that served the request, named
     *     {@code provider/label})
     * @param key the one provider key a {@code key} budget applies to, named {@code provider/label}; null when it
     *     applies to each key
     * @param micros the budget in micro-USD
     * @param alertThreshold the fraction of the budget at which the alert is raised; null for none
     */
    record Budget(String by, String key, long micros, CalendarPeriod period, Double alertThreshold) {

        /** Returns whether this budget counts the spend of the provider key named {@code subject}. */
        boolean coversKey(String subject) {
            return by.equals("key") && (key == null || key.equals(subject));
        }
    }

    record Settings(List<Budget> budgets, ZoneId zone) {
    }

    static Settings parse(ObjectNode config, Errors errors) {
        PolicySettings.rejectUnknownFields(config, FIELDS, errors);
        ZoneId zone = PeriodSettings.timeZone(config, errors);
        JsonNode list = config.get("budgets");
        List<Budget> budgets = new ArrayList<>();
        if (list == null || !list.isArray() || list.isEmpty()) {
            errors.add("budgets", "must be a non-empty list of budgets");
            return new Settings(budgets, zone);
        }
        for (int i = 0; i < list.size(); i++) {
            Errors at = errors.at("budgets", i);
            JsonNode item = list.get(i);
            if (!item.isObject()) {
                at.add("", "must be an object with by, amount, period and alertThreshold");
                continue;
            }
            PolicySettings.rejectUnknownFields((ObjectNode) item, BUDGET_FIELDS, at);
            String by = item.path("by").asText("");
            if (!Set.of("consumer", "team", "key").contains(by)) {
                at.add("by", "must be consumer, team or key");
            }
            JsonNode amount = item.get("amount");
            long micros = micros(amount, at);
            JsonNode threshold = item.get("alertThreshold");
            Double alert = null;
            if (threshold != null && !threshold.isNull()) {
                if (!threshold.isNumber() || threshold.asDouble() <= 0 || threshold.asDouble() > 1) {
                    at.add("alertThreshold", "must be a fraction of the budget above 0 and at most 1, such as 0.8");
                } else {
                    alert = threshold.asDouble();
                }
            }
            String key = key(item, by, at);
            budgets.add(new Budget(by, key, micros, PeriodSettings.period(item, "period", at), alert));
        }
        return new Settings(budgets, zone);
    }

    /**
     * Returns the {@code amount} field of a budget in micro-USD, rounded half up. An amount is 0, which rejects
     * every request, or from one micro-USD to {@link #MAX_AMOUNT_USD}, so that spend fits the long counters.
     */
    private static long micros(JsonNode amount, Errors errors) {
        if (amount == null || !amount.isNumber() || amount.decimalValue().signum() < 0) {
            errors.add("amount", "must be an amount in USD, 0 or more, such as 25.50");
            return 0;
        }
        BigDecimal usd = amount.decimalValue();
        if (usd.compareTo(MAX_AMOUNT_USD) > 0) {
            errors.add("amount", "must be at most " + MAX_AMOUNT_USD.toPlainString() + " USD");
            return 0;
        }
        if (usd.signum() > 0 && usd.compareTo(MIN_AMOUNT_USD) < 0) {
            errors.add("amount", "must be 0 or at least 0.000001 USD (one micro-USD), the unit budgets count in");
            return 0;
        }
        return usd.multiply(MICROS).setScale(0, RoundingMode.HALF_UP).longValueExact();
    }

    /** Returns the {@code key} field of a budget: a provider key named {@code provider/label}, or null. */
    private static String key(JsonNode item, String by, Errors errors) {
        JsonNode key = item.get("key");
        if (key == null || key.isNull()) {
            return null;
        }
        if (!by.equals("key")) {
            errors.add("key", "applies to budgets by key only");
            return null;
        }
        String name = key.asText("");
        int slash = name.indexOf('/');
        if (!key.isTextual() || slash < 1 || slash == name.length() - 1) {
            errors.add("key", "must name a provider key as provider/label, such as openai/primary, or openai/#2 for "
                    + "the second key of a provider whose keys have no label");
            return null;
        }
        return name;
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        Instant now = counters.clock().instant();
        Identity identity = ctx.identity();
        for (Budget budget : budgets) {
            String subject = requestSubject(budget.by(), identity);
            if (subject == null) {
                continue;
            }
            CounterId id = counter(budget, subject, now);
            if (counters.value(id) >= budget.micros()) {
                long retryAfter = PeriodSettings.secondsUntil(now, id.end());
                ctx.response().headers().set("Retry-After", Long.toString(retryAfter));
                ctx.attribute(Rejection.BUDGET_BY_ATTRIBUTE, budget.by());
                ctx.fail(ProblemType.BUDGET_EXCEEDED, "the " + budget.period().label() + " budget of "
                        + usd(budget.micros()) + " USD of " + budget.by() + " '" + subject + "' is spent; it resets at "
                        + id.end());
                return;
            }
        }
        if (keyBudgets) {
            AiGateway.checkKeys(ctx, this::rejectKey);
        }
        AiGateway.onRequestUsage(ctx, record -> spend(identity, record));
        chain.proceed(ctx);
    }

    /** Returns the error that keeps a provider key whose budget is spent from serving a request; null otherwise. */
    private AiError rejectKey(String provider, String key) {
        String subject = provider + "/" + key;
        Instant now = counters.clock().instant();
        for (Budget budget : budgets) {
            if (!budget.coversKey(subject)) {
                continue;
            }
            CounterId id = counter(budget, subject, now);
            if (counters.value(id) >= budget.micros()) {
                long retryAfterMillis = Math.max(1000, Duration.between(now, id.end()).toMillis());
                return new AiError(ProblemType.BUDGET_EXCEEDED.status(), "rate_limit_error",
                        AiGateway.BUDGET_EXCEEDED_CODE,
                        "the " + budget.period().label() + " budget of " + usd(budget.micros()) + " USD of key '"
                                + subject + "' is spent; it resets at " + id.end(), retryAfterMillis);
            }
        }
        return null;
    }

    /** Adds the cost of {@code record} to each budget of the request, and raises alerts that it crosses. */
    private void spend(Identity identity, UsageRecord record) {
        long micros = record.cost().multiply(MICROS).setScale(0, RoundingMode.CEILING).longValue();
        if (micros <= 0) {
            return;
        }
        Instant now = counters.clock().instant();
        String keySubject = record.key() == null ? null : record.provider() + "/" + record.key();
        // Budgets that share a counter, such as one for every key and one for a single key, add to it once.
        Map<CounterId, Long> totals = new HashMap<>();
        for (Budget budget : budgets) {
            String subject = budget.by().equals("key") ? keySubject : requestSubject(budget.by(), identity);
            if (subject == null || budget.by().equals("key") && !budget.coversKey(subject)) {
                continue;
            }
            CounterId id = counter(budget, subject, now);
            long spent = totals.computeIfAbsent(id, counter -> counters.add(counter, micros));
            if (budget.alertThreshold() != null && spent >= budget.alertThreshold() * budget.micros()) {
                alert(budget, subject, id, spent);
            }
        }
    }

    /**
     * Logs that the spend on {@code id} passed the alert threshold of {@code budget}, unless this node or, as far
     * as the store shows, another node has logged it for this amount and threshold in this period. A changed amount
     * or threshold is alerted anew. Nodes that pass the threshold within the same flush interval may each log it.
     */
    private void alert(Budget budget, String subject, CounterId id, long spent) {
        String scope = id.scope() + "@" + budget.micros() + "x" + budget.alertThreshold();
        CounterId logged = new CounterId(ALERT_KIND, scope, id.subject(), id.start(), id.end());
        boolean loggedElsewhere = counters.value(logged) > 0;
        if (!counters.raiseAlert(logged) || loggedElsewhere) {
            return;
        }
        counters.add(logged, 1);
        LOG.warn("The {} budget of {} '{}' passed its alert threshold of {}: {} of {} USD spent since {}",
                budget.period().label(), budget.by(), subject, budget.alertThreshold(), usd(spent),
                usd(budget.micros()), id.start());
    }

    private CounterId counter(Budget budget, String subject, Instant now) {
        CalendarPeriod.Window window = budget.period().window(now, zone);
        return new CounterId(KIND, scope(budget, zone), subject, window.start(), window.end());
    }

    /**
     * Returns the counter scope of {@code budget}: {@code BY:PERIOD}, and {@code BY:PERIOD:ZONE} when its periods
     * are counted in a time zone other than UTC, so that budgets in different zones never share a counter.
     */
    static String scope(Budget budget, ZoneId zone) {
        String scope = budget.by() + ":" + budget.period().label();
        return zone.normalized().equals(ZoneOffset.UTC) ? scope : scope + ":" + zone.getId();
    }

    /**
     * Returns the consumer or team a budget applies to before the request is sent; null for anonymous requests
     * and for {@code key} budgets, whose key is known only once a provider served the request.
     */
    private static String requestSubject(String by, Identity identity) {
        if (identity == null) {
            return null;
        }
        return switch (by) {
            case "consumer" -> identity.consumer();
            case "team" -> identity.team();
            default -> null;
        };
    }

    /** Returns {@code micros} as a plain USD amount such as {@code 12.5}. */
    static String usd(long micros) {
        return BigDecimal.valueOf(micros).divide(MICROS).stripTrailingZeros().toPlainString();
    }
}

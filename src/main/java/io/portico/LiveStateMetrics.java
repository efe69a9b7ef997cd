package io.portico;

import static java.util.Objects.requireNonNull;

import io.portico.admin.DataPlane;
import io.portico.ai.AiGateway.ModelCircuitBreaker;
import io.portico.circuitbreaker.CircuitBreaker;
import io.portico.gateway.upstream.TargetState;
import io.portico.metrics.SnapshotMeters;
import io.portico.quota.CounterId;
import io.portico.quota.UsageCounters.CounterState;
import java.time.Clock;
import java.time.Instant;
import java.util.function.Consumer;

/**
 * Writes the meters of the data plane's live state at each scrape: the health and the circuit breakers of upstream
 * targets, the circuit breakers of AI provider models, and the budgets of the current periods. Reading them at
 * scrape time keeps the health checks, breakers and budget policies free of metric calls, and the meters of a
 * target, breaker or budget that disappears go with it.
 */
final class LiveStateMetrics implements Consumer<SnapshotMeters> {

    private static final String STATE = "The circuit breaker's state: 0 closed, 1 half-open, 2 open";
    private static final String TRANSITIONS = "State changes of the circuit breaker since it was created";
    private static final String HEALTHY = "1 while no health check has the upstream target marked down, 0 otherwise";
    private static final double MICROS_PER_USD = 1_000_000.0;

    private final DataPlane dataPlane;
    private final Clock clock;

    LiveStateMetrics(DataPlane dataPlane, Clock clock) {
        this.dataPlane = requireNonNull(dataPlane, "dataPlane");
        this.clock = requireNonNull(clock, "clock");
    }

    @Override
    public void accept(SnapshotMeters meters) {
        dataPlane.services().forEach((service, group) -> {
            for (TargetState target : group.targets()) {
                meters.gauge("portico.upstream.target.healthy", HEALTHY, target.healthy() ? 1 : 0, "service", service,
                        "target", target.address());
                if (target.circuitBreaker() != null) {
                    breaker(meters, "portico.upstream.circuit.breaker", target.circuitBreaker(), "service", service,
                            "target", target.address());
                }
            }
        });
        for (ModelCircuitBreaker model : dataPlane.modelCircuitBreakers()) {
            if (!model.listed()) {
                // The admin API lists the breakers of made-up model names; the metrics leave them out.
                continue;
            }
            breaker(meters, "portico.ai.circuit.breaker", model.breaker(), "provider", model.provider(), "model",
                    model.model());
        }
        Instant now = clock.instant();
        for (CounterState budget : dataPlane.budgets()) {
            CounterId id = budget.id();
            if (!now.isBefore(id.start()) && now.isBefore(id.end())) {
                budget(meters, budget);
            }
        }
    }

    private static void breaker(SnapshotMeters meters, String prefix, CircuitBreaker breaker, String... tags) {
        CircuitBreaker.Status status = breaker.status();
        double state = switch (status.state()) {
            case CLOSED -> 0;
            case HALF_OPEN -> 1;
            case OPEN -> 2;
        };
        meters.gauge(prefix + ".state", STATE, state, tags);
        meters.counter(prefix + ".transitions", TRANSITIONS, status.transitions(), tags);
    }

    /**
     * Writes the spend, limit and alert state of one budget counter, whose scope is {@code BY:PERIOD} or
     * {@code BY:PERIOD:ZONE} for periods counted in a time zone other than UTC.
     */
    private static void budget(SnapshotMeters meters, CounterState budget) {
        CounterId id = budget.id();
        String[] scope = id.scope().split(":", 3);
        String period = scope.length > 1 ? scope[1] : "";
        String zone = scope.length > 2 ? scope[2] : "UTC";
        String[] tags = {"by", scope[0], "period", period, "time_zone", zone, "subject", id.subject()};
        meters.gauge("portico.budget.spend", "Spend in USD in the current period, as this node knows it",
                budget.value() / MICROS_PER_USD, tags);
        if (budget.limit() == null) {
            return;
        }
        meters.gauge("portico.budget.limit", "The budget in USD of the current period",
                budget.limit() / MICROS_PER_USD, tags);
        meters.gauge("portico.budget.alert", "1 while the spend of the current period is at or above the alert "
                + "threshold times the budget", budget.alerted() ? 1 : 0, tags);
    }
}

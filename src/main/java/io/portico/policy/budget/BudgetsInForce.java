package io.portico.policy.budget;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.PolicySpec;
import io.portico.config.RouteSpec.PolicyRef;
import io.portico.policy.budget.BudgetPolicy.Budget;
import io.portico.quota.UsageCounters.CounterState;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The budgets of the configuration a node serves. Counters outlive the configuration that created them, so the admin
 * API and the gauges take each counter's budget and alert threshold from here, and leave out counters that no budget
 * in force counts on.
 */
public final class BudgetsInForce {

    /** No budgets, before a configuration is applied. */
    public static final BudgetsInForce NONE = new BudgetsInForce(List.of());

    private final List<Scoped> budgets;

    private BudgetsInForce(List<Scoped> budgets) {
        this.budgets = budgets;
    }

    /** A budget and the counter scope it counts on. */
    private record Scoped(String scope, Budget budget) {
    }

    /** Collects the valid {@code budget} policies of the routes, APIs and policy attachments of {@code snapshot}. */
    public static BudgetsInForce of(ConfigSnapshot snapshot) {
        Stream<ObjectNode> refs = Stream.concat(
                snapshot.routes().values().stream().flatMap(route -> configs(route.policies())),
                snapshot.apis().values().stream().flatMap(api -> configs(api.policies())));
        Stream<ObjectNode> attachments = snapshot.policies().values().stream()
                .filter(policy -> BudgetPolicy.NAME.equals(policy.type())).map(PolicySpec::config);
        List<Scoped> budgets = new ArrayList<>();
        Stream.concat(refs, attachments).distinct().forEach(config -> {
            Errors errors = new Errors();
            BudgetPolicy.Settings settings = BudgetPolicy.parse(config, errors);
            if (errors.isEmpty()) {
                settings.budgets().forEach(budget -> budgets.add(
                        new Scoped(BudgetPolicy.scope(budget, settings.zone()), budget)));
            }
        });
        return new BudgetsInForce(List.copyOf(budgets));
    }

    private static Stream<ObjectNode> configs(List<PolicyRef> refs) {
        return refs.stream().filter(ref -> BudgetPolicy.NAME.equals(ref.name()) && ref.config() != null)
                .map(PolicyRef::config);
    }

    /**
     * Returns the budget counters among {@code counters} that a budget in force counts on, each with that budget's
     * amount and alert threshold. When several budgets count on one counter, the smallest amount applies, since it
     * is the one that rejects requests first. {@code alerted} is true once the spend reached the threshold of it.
     */
    public List<CounterState> current(List<CounterState> counters) {
        List<CounterState> current = new ArrayList<>();
        for (CounterState counter : counters) {
            Budget budget = smallest(counter);
            if (budget == null) {
                continue;
            }
            Double threshold = budget.alertThreshold();
            boolean alerted = threshold != null && counter.value() >= threshold * budget.micros();
            current.add(new CounterState(counter.id(), counter.value(), budget.micros(), threshold, alerted));
        }
        return current;
    }

    private Budget smallest(CounterState counter) {
        Budget smallest = null;
        for (Scoped scoped : budgets) {
            Budget budget = scoped.budget();
            boolean counts = scoped.scope().equals(counter.id().scope())
                    && (!budget.by().equals("key") || budget.coversKey(counter.id().subject()));
            if (counts && (smallest == null || budget.micros() < smallest.micros())) {
                smallest = budget;
            }
        }
        return smallest;
    }
}

package io.portico.policy.budget;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.policy.PolicySettings;
import io.portico.quota.UsageCounters;

/** Creates {@code budget} policies; see {@link BudgetPolicy}. */
public final class BudgetPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return BudgetPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        BudgetPolicy.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        UsageCounters counters = context.perNode(UsageCounters.NODE_KEY,
                () -> UsageCounters.inMemory(context.vertx()));
        return new BudgetPolicy(PolicySettings.parseValid(config, BudgetPolicy::parse), counters);
    }
}

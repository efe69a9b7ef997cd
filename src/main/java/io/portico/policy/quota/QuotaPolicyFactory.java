package io.portico.policy.quota;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.RouteSpec;
import io.portico.config.ValidationException;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.policy.PolicySettings;
import io.portico.quota.UsageCounters;

/** Creates {@code quota} policies; see {@link QuotaPolicy}. */
public final class QuotaPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return QuotaPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        QuotaPolicy.parse(config, errors);
    }

    /**
     * Creates the policy of one route. With {@code scope: api} every route of the API counts on one counter.
     *
     * @throws ValidationException when {@code scope} is {@code api} and the route belongs to no API
     */
    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        QuotaPolicy.Settings settings = PolicySettings.parseValid(config, QuotaPolicy::parse);
        String scope = "route:" + context.route();
        if (settings.byApi()) {
            RouteSpec route = context.snapshot().routes().get(context.route());
            if (route == null || route.api() == null) {
                throw new ValidationException("config.scope", "is api, but route '" + context.route()
                        + "' belongs to no API; set the route's api or use scope: route");
            }
            scope = "api:" + route.api();
        }
        UsageCounters counters = context.perNode(UsageCounters.NODE_KEY,
                () -> UsageCounters.inMemory(context.vertx()));
        return new QuotaPolicy(settings, scope, counters);
    }
}

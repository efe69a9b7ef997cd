package io.portico.policy.quota;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.PolicyPlacement;
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

    /** Rejects {@code scope: api} on a route that belongs to no API, which has no API counter to count on. */
    @Override
    public void validatePlacement(ObjectNode config, PolicyPlacement placement, Errors errors) {
        RouteSpec route = placement.route();
        if (route.api() == null && PolicySettings.parseValid(config, QuotaPolicy::parse).byApi()) {
            errors.add("config.scope", noApiMessage(route.name()));
        }
    }

    /**
     * Creates the policy of one route. With {@code scope: api} every route of the API counts on one counter.
     *
     * @throws ValidationException when {@code scope} is {@code api} and the route belongs to no API, which
     *     {@link #validatePlacement} rejects first
     */
    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        QuotaPolicy.Settings settings = PolicySettings.parseValid(config, QuotaPolicy::parse);
        String scope = "route:" + context.route();
        if (settings.byApi()) {
            RouteSpec route = context.snapshot().routes().get(context.route());
            if (route == null || route.api() == null) {
                throw new ValidationException("config.scope", noApiMessage(context.route()));
            }
            scope = "api:" + route.api();
        }
        UsageCounters counters = context.perNode(UsageCounters.NODE_KEY,
                () -> UsageCounters.inMemory(context.vertx()));
        return new QuotaPolicy(settings, scope, counters);
    }

    private static String noApiMessage(String route) {
        return "is api, but route '" + route + "' belongs to no API; set the route's api or use scope: route";
    }
}

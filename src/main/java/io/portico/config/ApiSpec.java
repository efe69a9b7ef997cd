package io.portico.config;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.portico.config.RouteSpec.PolicyRef;
import java.util.List;

/**
 * An API: the unit that consumers subscribe to. Routes join an API through their {@code api} field, and the
 * API's policies run on each of them before the route's own.
 *
 * @param name the API's unique name
 * @param team the team that owns the API
 * @param description free text
 * @param approval how subscription requests are handled: {@code auto} (active at once) or {@code manual}
 *     (pending until an admin approves); {@code manual} when absent
 * @param subscriptionRequired whether callers need an active subscription; true when absent
 * @param policies policies applied to every route of the API, before the route's own
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ApiSpec(@Required @Matches(value = Names.PATTERN, message = Names.MESSAGE) String name,
                      @Matches(value = Names.PATTERN, message = Names.REFERENCE_MESSAGE) String team,
                      String description, @OneOf({"auto", "manual"}) String approval,
                      Boolean subscriptionRequired, List<PolicyRef> policies) {

    public ApiSpec {
        approval = approval == null ? "manual" : approval;
        subscriptionRequired = subscriptionRequired == null || subscriptionRequired;
        policies = policies == null ? List.of() : List.copyOf(policies);
    }

    /** Records every invalid field of this API into {@code errors}. */
    public void validate(Errors errors) {
        FieldRules.check(this, errors);
        RouteSpec.validatePolicies(errors, policies);
    }
}

package io.portico.policy.auth.introspection;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.bearer.HttpCalls;
import java.time.Clock;

/** Creates {@code oauth-introspection} policies; see {@link OAuthIntrospectionPolicy}. */
public final class OAuthIntrospectionPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "oauth-introspection";
    }

    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        IntrospectionSettings.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Errors errors = new Errors();
        IntrospectionSettings settings = IntrospectionSettings.parse(config, errors);
        errors.throwIfAny();
        IntrospectionClient client = context.perNode(settings.cacheKey(),
                () -> new IntrospectionClient(context.vertx(), settings,
                        HttpCalls.addressCheck(context, settings.allowPrivateAddresses())));
        return new OAuthIntrospectionPolicy(context.route(), settings, client, context.snapshot(),
                Clock.systemUTC());
    }
}

package io.portico.policy.cors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;

/** Creates {@code cors} policies; see {@link CorsPolicy}. */
public final class CorsPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return CorsPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        CorsSettings.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config) {
        Errors errors = new Errors();
        CorsSettings settings = CorsSettings.parse(config, errors);
        errors.throwIfAny();
        return new CorsPolicy(settings);
    }
}

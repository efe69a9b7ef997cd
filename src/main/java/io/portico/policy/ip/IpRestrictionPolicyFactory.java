package io.portico.policy.ip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;

/** Creates {@code ip-restriction} policies; see {@link IpRestrictionPolicy}. */
public final class IpRestrictionPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return IpRestrictionPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        IpRestrictionPolicy.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config) {
        Errors errors = new Errors();
        IpRestrictionPolicy policy = IpRestrictionPolicy.parse(config, errors);
        errors.throwIfAny();
        return policy;
    }
}

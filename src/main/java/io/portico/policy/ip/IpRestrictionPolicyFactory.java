package io.portico.policy.ip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import io.portico.policy.PolicySettings;

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
        return PolicySettings.parseValid(config, IpRestrictionPolicy::parse);
    }
}

package io.portico.policy.ip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
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

    /**
     * Returns {@link PolicyPhase#PRE_AUTHENTICATION}, because the policy needs only the client address and so
     * rejects blocked clients before authentication does any work for them.
     */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.PRE_AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config) {
        return PolicySettings.parseValid(config, IpRestrictionPolicy::parse);
    }
}

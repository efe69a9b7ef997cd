package io.portico.policy.cors;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.PolicySettings;

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

    /**
     * Returns {@link PolicyPhase#PRE_AUTHENTICATION}, because preflights carry no credentials, so the policy must
     * respond to them before an authentication policy could reject them.
     */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.PRE_AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config) {
        return new CorsPolicy(PolicySettings.parseValid(config, CorsSettings::parse));
    }
}

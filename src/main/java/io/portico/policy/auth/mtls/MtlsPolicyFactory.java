package io.portico.policy.auth.mtls;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import java.util.Set;

/**
 * Creates {@code mtls} policies, which take the options {@code optional} and {@code realm} of {@link AuthOptions};
 * a client certificate cannot be removed from the request, so {@code keepCredential} does not apply.
 */
public final class MtlsPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "mtls";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        AuthOptions.validate(config, errors, Set.of());
        errors.check(!config.has("keepCredential"), "keepCredential",
                "does not apply: the client certificate belongs to the TLS connection, not to the request");
    }

    /** Returns {@link PolicyPhase#AUTHENTICATION}: the policy establishes the request's identity. */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        return new MtlsPolicy(CredentialIndex.of(context), AuthOptions.of(config));
    }
}

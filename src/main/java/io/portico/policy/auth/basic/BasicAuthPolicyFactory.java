package io.portico.policy.auth.basic;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import java.util.Set;

/** Creates {@code basic-auth} policies, which take the options of {@link AuthOptions} only. */
public final class BasicAuthPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "basic-auth";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        AuthOptions.validate(config, errors, Set.of());
    }

    /** Returns {@link PolicyPhase#AUTHENTICATION}: the policy establishes the request's identity. */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        PasswordChecker checker = context.perNode(PasswordChecker.class.getName(),
                () -> new PasswordChecker(context.vertx()));
        return new BasicAuthPolicy(CredentialIndex.of(context), AuthOptions.of(config), checker);
    }
}

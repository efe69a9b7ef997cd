package io.portico.policy.auth.jwt;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import io.portico.config.Errors;
import io.portico.jose.KeySet;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.bearer.HttpCalls;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@code jwt} policies; see {@link JwtPolicy} and the JWT section of {@code docs/authentication.md}. */
public final class JwtPolicyFactory implements PolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(JwtPolicyFactory.class);

    @Override
    public String name() {
        return "jwt";
    }

    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        JwtSettings.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Errors errors = new Errors();
        JwtSettings settings = JwtSettings.parse(config, errors);
        errors.throwIfAny();
        JwtCredentials index = context.perSnapshot(JwtCredentials.KEY, JwtCredentials::of);
        if (!context.checkOnly()) {
            context.perNode(UnusableKeyWarnings.NODE_KEY, UnusableKeyWarnings::new).report(index.unusableKeys());
        }
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>(settings.algorithms());
        KeySet keys = settings.keys();
        for (String issuer : settings.issuers()) {
            if (index.isLocalIssuer(issuer)) {
                keys = keys.plus(index.localKeys(issuer));
                if (settings.algorithms().isEmpty()) {
                    index.localAlgorithms(issuer).forEach(name -> algorithms.add(JWSAlgorithm.parse(name)));
                }
            }
        }
        if (algorithms.isEmpty() && !context.checkOnly()) {
            LOG.warn("The jwt policy of route {} names no algorithms and no issuer of an oauth route of this "
                    + "configuration, so it rejects every token; list algorithms and keys, or name the issuer of "
                    + "an oauth route", context.route());
        }
        JwksCache jwks = settings.jwks() == null ? null : context.perNode(settings.jwks().cacheKey(),
                () -> new JwksCache(context.vertx(), settings.jwks(),
                        HttpCalls.addressCheck(context, settings.jwks().allowPrivateAddresses())));
        return new JwtPolicy(context.route(), settings, algorithms, keys, jwks, index, context.snapshot(),
                Clock.systemUTC());
    }
}

package io.portico.policy.auth.hmac;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import io.portico.config.RouteSpec;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.policy.auth.AuthOptions;
import io.portico.policy.auth.CredentialIndex;
import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * Creates {@code hmac} policies. Options: {@code clockSkew}, the largest difference between the signed date and
 * the gateway's clock, either way (default {@code 5m}); {@code requireNonce} (default false); {@code maxBodySize},
 * the largest body read to check its digest, in bytes, for routes that set no {@code maxBodySize} of their own
 * (default 8 MiB); {@code onRedisFailure}, what a node with Redis does with nonces while Redis fails: {@code local}
 * records them in the node's memory (the default), {@code reject} responds 503; and the options of
 * {@link AuthOptions}.
 */
public final class HmacPolicyFactory implements PolicyFactory {

    static final Duration DEFAULT_CLOCK_SKEW = Duration.ofMinutes(5);
    static final long DEFAULT_MAX_BODY_SIZE = 8L * 1024 * 1024;

    @Override
    public String name() {
        return "hmac";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        AuthOptions.validate(config, errors, Set.of("clockSkew", "requireNonce", "maxBodySize", "onRedisFailure"));
        JsonNode skew = config.get("clockSkew");
        if (skew != null) {
            try {
                Duration parsed = Durations.parse(skew);
                errors.check(!parsed.isZero() && parsed.compareTo(Duration.ofHours(1)) <= 0, "clockSkew",
                        "must be more than 0 and at most 1h");
            } catch (IllegalArgumentException e) {
                errors.add("clockSkew", e.getMessage());
            }
        }
        JsonNode nonce = config.get("requireNonce");
        errors.check(nonce == null || nonce.isBoolean(), "requireNonce", "must be true or false");
        JsonNode onRedisFailure = config.get("onRedisFailure");
        errors.check(onRedisFailure == null || onRedisFailure.isTextual()
                && List.of("local", "reject").contains(onRedisFailure.asText()), "onRedisFailure",
                "must be local or reject");
        JsonNode maxBody = config.get("maxBodySize");
        errors.check(maxBody == null || maxBody.canConvertToLong() && maxBody.isIntegralNumber()
                && maxBody.asLong() >= 0, "maxBodySize", "must be a number of bytes, 0 or more");
    }

    /** Returns {@link PolicyPhase#AUTHENTICATION}: the policy establishes the request's identity. */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Duration skew = config.has("clockSkew") ? Durations.parse(config.get("clockSkew"))
                : DEFAULT_CLOCK_SKEW;
        RouteSpec route = context.snapshot().routes().get(context.route());
        long maxBody = route != null && route.maxBodySize() != null ? route.maxBodySize()
                : config.path("maxBodySize").asLong(DEFAULT_MAX_BODY_SIZE);
        // A nonce must be remembered for as long as a request carrying it can pass the date check.
        NonceCache local = context.perNode(NonceCache.class.getName() + "/" + skew.toMillis(),
                () -> new NonceCache(skew.multipliedBy(2)));
        Nonces nonces = new Nonces(local, context.redis(), skew.multipliedBy(2),
                config.path("onRedisFailure").asText("local").equals("reject"));
        return new HmacPolicy(CredentialIndex.of(context), AuthOptions.of(config), skew,
                config.path("requireNonce").asBoolean(false), maxBody, nonces);
    }
}

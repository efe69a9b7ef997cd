package io.portico.policy.ratelimit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.RouteSpec;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.redis.RedisClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@code rate-limit} policies; see docs/traffic-control.md for the configuration. */
public final class RateLimitPolicyFactory implements PolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(RateLimitPolicyFactory.class);
    /** Key of the node's in-memory counters, which every rate-limit policy of the node shares. */
    private static final String LOCAL_COUNTERS = "rate-limit:local-counters";

    @Override
    public String name() {
        return "rate-limit";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        RateLimitSettings.validate(config, errors);
    }

    /**
     * Returns {@link PolicyPhase#POST_AUTHENTICATION} when the key reads the identity (consumer, team, credential
     * or a claim), and {@link PolicyPhase#PRE_AUTHENTICATION} otherwise, so that a limit per client address or
     * header also counts the requests that authentication then rejects, such as guessed credentials.
     */
    @Override
    public PolicyPhase phase(ObjectNode config) {
        return RateLimitSettings.parse(config).key().usesIdentity() ? PolicyPhase.POST_AUTHENTICATION
                : PolicyPhase.PRE_AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        RateLimitSettings settings = RateLimitSettings.parse(config);
        LocalCounters local = context.perNode(LOCAL_COUNTERS, LocalCounters::system);
        RedisCounters redis = null;
        if (settings.cluster()) {
            RedisClient client = context.redis();
            if (client != null) {
                redis = new RedisCounters(client, settings.limits(), null);
            } else if (!context.checkOnly()) {
                // Logged once per policy and configuration version, never per request.
                LOG.warn("The rate-limit policy at {} counts cluster-wide, but this node has no redis settings; it "
                        + "{} until redis.url is set", context.declaredIn(), settings.rejectWithoutRedis()
                        ? "rejects every request with 503" : "counts in this node's memory");
            }
        }
        RouteSpec route = context.snapshot().routes().get(context.route());
        boolean aiRoute = route != null && route.ai() != null;
        return new RateLimitPolicy(settings, context.declaredIn(), local, redis,
                aiRoute && settings.key().usesModel());
    }
}

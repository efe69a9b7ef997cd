package io.portico.policy.tokenlimit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import io.portico.config.Errors;
import io.portico.config.PolicyPlacement;
import io.portico.config.RouteSpec;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.policy.PolicySettings;
import io.portico.quota.UsageCounters;
import io.portico.redis.RedisClient;
import java.time.Duration;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates {@code token-limit} policies; see {@link TokenLimitPolicy}. */
public final class TokenLimitPolicyFactory implements PolicyFactory {

    private static final Logger LOG = LoggerFactory.getLogger(TokenLimitPolicyFactory.class);

    @Override
    public String name() {
        return TokenLimitPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        TokenLimitPolicy.parse(config, errors);
    }

    /**
     * Rejects the policy in the own {@code policies} of a route without {@code ai}, where it has no effect. On an
     * API, globally or for a consumer it is accepted and has no effect on the REST routes it reaches.
     */
    @Override
    public void validatePlacement(ObjectNode config, PolicyPlacement placement, Errors errors) {
        RouteSpec route = placement.route();
        if (placement.declaredOn() == PolicyPlacement.DeclaredOn.ROUTE && route.ai() == null) {
            errors.add("name", "is token-limit, which counts the tokens of AI requests, but route '"
                    + route.name() + "' has no ai section, so the policy would have no effect; remove it or use"
                    + " rate-limit");
        }
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Map<String, MinuteWindow> windows = context.perNode(TokenLimitPolicy.WINDOWS_KEY,
                () -> windows(Ticker.systemTicker()));
        UsageCounters counters = context.perNode(UsageCounters.NODE_KEY,
                () -> UsageCounters.inMemory(context.vertx()));
        TokenLimitPolicy.Settings settings = PolicySettings.parseValid(config, TokenLimitPolicy::parse);
        RedisWindows redis = null;
        if (settings.cluster()) {
            RedisClient client = context.redis();
            if (client != null) {
                redis = new RedisWindows(client, null);
            } else if (!context.checkOnly()) {
                // Logged once per policy and configuration version, never per request.
                LOG.warn("The token-limit policy at {} counts cluster-wide, but this node has no redis settings; it "
                        + "{} until redis.url is set", context.declaredIn(), settings.rejectWithoutRedis()
                        ? "rejects every request it checks with 503" : "counts in this node's memory");
            }
        }
        return new TokenLimitPolicy(context.route(), settings, windows, redis, counters.clock());
    }

    /**
     * Creates the map of one node's local minute windows. A window unused for two minutes contains nothing that the
     * next request would not reset, so it is removed, which bounds the map by the subjects of recent requests.
     */
    static Map<String, MinuteWindow> windows(Ticker ticker) {
        Cache<String, MinuteWindow> cache = Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(2))
                .ticker(ticker).executor(Runnable::run).build();
        return cache.asMap();
    }
}

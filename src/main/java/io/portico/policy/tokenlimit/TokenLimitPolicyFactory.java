package io.portico.policy.tokenlimit;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.policy.PolicySettings;
import io.portico.quota.UsageCounters;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Creates {@code token-limit} policies; see {@link TokenLimitPolicy}. */
public final class TokenLimitPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return TokenLimitPolicy.NAME;
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        TokenLimitPolicy.parse(config, errors);
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        Map<String, MinuteWindow> windows = context.perNode(TokenLimitPolicy.WINDOWS_KEY, ConcurrentHashMap::new);
        UsageCounters counters = context.perNode(UsageCounters.NODE_KEY,
                () -> UsageCounters.inMemory(context.vertx()));
        return new TokenLimitPolicy(context.route(), PolicySettings.parseValid(config, TokenLimitPolicy::parse),
                windows, counters.clock());
    }
}

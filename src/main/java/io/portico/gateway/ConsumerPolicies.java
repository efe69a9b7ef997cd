package io.portico.gateway;

import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import java.util.List;
import java.util.Map;

/** Runs the policies attached to the authenticated consumer, then the rest of the chain. */
final class ConsumerPolicies implements Policy {

    private final Map<String, List<Policy>> byConsumer;

    ConsumerPolicies(Map<String, List<Policy>> byConsumer) {
        this.byConsumer = Map.copyOf(byConsumer);
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        Identity identity = ctx.identity();
        List<Policy> policies = identity == null ? null : byConsumer.get(identity.consumer());
        if (policies == null) {
            chain.proceed(ctx);
            return;
        }
        run(ctx, chain, policies, 0);
    }

    private static void run(RequestContext ctx, PolicyChain chain, List<Policy> policies, int index) {
        if (index == policies.size()) {
            chain.proceed(ctx);
            return;
        }
        policies.get(index).handle(ctx, next -> run(next, chain, policies, index + 1));
    }
}

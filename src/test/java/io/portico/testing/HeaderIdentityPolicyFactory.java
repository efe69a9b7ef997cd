package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;

/**
 * A test policy type, {@code header-identity}: takes the consumer's name from the request header
 * {@code X-Test-Consumer}, so tests can act as several consumers without a real authentication policy.
 */
public final class HeaderIdentityPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "header-identity";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        // No settings.
    }

    @Override
    public Policy create(ObjectNode config) {
        return (ctx, chain) -> {
            String consumer = ctx.request().getHeader("X-Test-Consumer");
            if (consumer != null) {
                ctx.identity(new Identity(consumer, null, null, "test", null, null));
            }
            chain.proceed(ctx);
        };
    }
}

package io.portico.gateway;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;

/**
 * A test policy type, {@code stamp}: adds the header {@code X-Stamp} with the configured {@code value} to the
 * upstream request and to the response, or ends the request with 418 when {@code block} is true.
 */
public final class StampPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "stamp";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        if (!config.path("value").isTextual()) {
            errors.add("value", "is required and must be a string");
        }
    }

    @Override
    public Policy create(ObjectNode config) {
        String value = config.get("value").asText();
        boolean block = config.path("block").asBoolean(false);
        return (ctx, chain) -> {
            if (block) {
                ctx.response().setStatusCode(418).end("blocked by stamp");
                return;
            }
            ctx.request().headers().set("X-Stamp", value);
            ctx.onResponseHeaders(headers -> headers.set("X-Stamp", value));
            chain.proceed(ctx);
        };
    }
}

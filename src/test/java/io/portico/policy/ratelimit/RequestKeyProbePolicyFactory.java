package io.portico.policy.ratelimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import java.util.ArrayList;
import java.util.List;

/**
 * A test policy, {@code request-key-probe}: resolves the rate-limit key parts in {@code config.key} for each request,
 * as a {@code rate-limit} policy would before it counts, and returns the result in the response header
 * {@value #HEADER}.
 */
public final class RequestKeyProbePolicyFactory implements PolicyFactory {

    static final String HEADER = "X-Request-Key";

    @Override
    public String name() {
        return "request-key-probe";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        errors.check(config.path("key").isArray(), "key", "is required and must be a list of key parts");
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        List<String> parts = new ArrayList<>();
        for (JsonNode part : config.get("key")) {
            parts.add(part.asText());
        }
        RequestKey key = RequestKey.parse(parts, RequestKey.ipv6Prefix(config));
        return (ctx, chain) -> {
            String resolved = key.resolve(ctx);
            ctx.onResponseHeaders(fields -> fields.set(HEADER, resolved));
            chain.proceed(ctx);
        };
    }
}

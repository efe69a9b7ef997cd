package io.portico.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.Json;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import java.io.IOException;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * A test policy type, {@code header-identity}: takes the consumer's name from the request header
 * {@code X-Test-Consumer} and token claims from the JSON object in {@code X-Test-Claims}, so tests can send
 * requests as any consumer without an authentication policy. Requests without the header stay anonymous.
 */
public final class HeaderIdentityPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "header-identity";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
    }

    @Override
    public Policy create(ObjectNode config) {
        return (ctx, chain) -> {
            String consumer = ctx.request().getHeader("X-Test-Consumer");
            if (consumer != null) {
                ctx.identity(new Identity(consumer, "team-" + consumer, "key-" + consumer, "test", Map.of(),
                        claims(ctx.request().getHeader("X-Test-Claims"))));
            }
            chain.proceed(ctx);
        };
    }

    private static Map<String, Object> claims(String json) {
        Map<String, Object> claims = new HashMap<>();
        if (json == null) {
            return claims;
        }
        try {
            JsonNode node = Json.MAPPER.readTree(json);
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                claims.put(field.getKey(), field.getValue());
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("X-Test-Claims is not JSON", e);
        }
        return claims;
    }
}

package io.portico.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ConsumerSpec;
import io.portico.config.Errors;
import io.portico.pipeline.Identity;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.problem.ProblemType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A test authentication policy, {@code header-auth}: the first of the configured {@code headers} (default
 * {@code X-Test-Consumer}) that the request carries names the consumer, with an optional {@code Bearer } prefix,
 * so that the OpenAI SDK's {@code Authorization} and the Anthropic SDK's {@code x-api-key} work as credentials.
 * It follows the rules of real authentication policies: an identity set earlier is kept; no header is 401 unless
 * {@code optional} is true; an unknown or disabled consumer is 401 with a challenge.
 */
public final class HeaderAuthPolicyFactory implements PolicyFactory {

    /** The header read when the configuration names none. */
    public static final String DEFAULT_HEADER = "X-Test-Consumer";

    @Override
    public String name() {
        return "header-auth";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        JsonNode headers = config.get("headers");
        if (headers != null && (!headers.isArray() || headers.isEmpty())) {
            errors.add("headers", "must be a non-empty list of header names");
        }
    }

    @Override
    public PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.AUTHENTICATION;
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        List<String> headers = new ArrayList<>();
        config.path("headers").forEach(header -> headers.add(header.asText()));
        if (headers.isEmpty()) {
            headers.add(DEFAULT_HEADER);
        }
        boolean optional = config.path("optional").asBoolean(false);
        Map<String, ConsumerSpec> consumers = context.snapshot().consumers();
        return (ctx, chain) -> {
            if (ctx.identity() != null) {
                chain.proceed(ctx);
                return;
            }
            String value = null;
            for (String header : headers) {
                value = value == null ? ctx.request().getHeader(header) : value;
            }
            if (value == null) {
                if (optional) {
                    chain.proceed(ctx);
                    return;
                }
                ctx.response().putHeader("WWW-Authenticate", "Test");
                ctx.fail(ProblemType.UNAUTHORIZED, "send the consumer name in " + headers.get(0));
                return;
            }
            String name = value.regionMatches(true, 0, "Bearer ", 0, 7) ? value.substring(7) : value;
            ConsumerSpec consumer = consumers.get(name);
            if (consumer == null || consumer.disabled()) {
                ctx.response().putHeader("WWW-Authenticate", "Test");
                ctx.fail(ProblemType.UNAUTHORIZED, "the credential is not valid");
                return;
            }
            ctx.identity(new Identity(name, consumer.team(), null, "header-auth", consumer.labels(), Map.of()));
            chain.proceed(ctx);
        };
    }
}

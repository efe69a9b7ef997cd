package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;
import io.portico.problem.ProblemType;

/**
 * A test policy, {@code problem}: ends every request with {@code ctx.fail} and the problem type named by
 * {@code type} (a {@link ProblemType} constant such as {@code BODY_TOO_LARGE}) and the {@code detail} text.
 */
public final class ProblemPolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "problem";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        try {
            ProblemType.valueOf(config.path("type").asText());
        } catch (IllegalArgumentException e) {
            errors.add("type", "must name a ProblemType constant");
        }
    }

    @Override
    public Policy create(ObjectNode config) {
        ProblemType type = ProblemType.valueOf(config.get("type").asText());
        String detail = config.path("detail").asText(null);
        return (ctx, chain) -> ctx.fail(type, detail);
    }
}

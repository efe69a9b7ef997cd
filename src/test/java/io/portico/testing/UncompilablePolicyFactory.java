package io.portico.testing;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.ValidationException;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyFactory;

/**
 * A test policy, {@code uncompilable}, whose validation accepts every configuration but whose creation fails, as a
 * factory with a check missing from its validation would: a {@link ValidationException} on {@code config.reason},
 * or an {@link IllegalStateException} when {@code config.crash} is true.
 */
public final class UncompilablePolicyFactory implements PolicyFactory {

    @Override
    public String name() {
        return "uncompilable";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
    }

    @Override
    public Policy create(ObjectNode config) {
        if (config.path("crash").asBoolean()) {
            throw new IllegalStateException("test factory crashed");
        }
        throw new ValidationException("config.reason", "is rejected by the data plane only");
    }
}

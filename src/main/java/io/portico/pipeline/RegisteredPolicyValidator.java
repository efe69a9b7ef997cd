package io.portico.pipeline;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.PolicyPlacement;
import io.portico.config.PolicyValidator;
import java.util.List;
import java.util.Optional;

/** Validates policy references against the policy types registered as {@link PolicyFactory} services. */
public final class RegisteredPolicyValidator implements PolicyValidator {

    private final PolicyRegistry registry = PolicyRegistry.load();

    @Override
    public void validate(String name, ObjectNode config, Errors errors) {
        Optional<PolicyFactory> factory = registry.find(name);
        if (factory.isEmpty()) {
            String known = registry.names().isEmpty() ? "none are installed" : "known types: "
                    + String.join(", ", registry.names());
            errors.add("name", "unknown policy type '" + name + "' (" + known + ")");
            return;
        }
        factory.get().validate(orEmpty(config), errors.at("config"));
    }

    @Override
    public List<String> types() {
        return registry.names();
    }

    @Override
    public void validatePlacement(String name, ObjectNode config, PolicyPlacement placement, Errors errors) {
        registry.find(name).ifPresent(factory -> factory.validatePlacement(orEmpty(config), placement, errors));
    }

    @Override
    public boolean authenticates(String name, ObjectNode config) {
        return registry.find(name).map(factory -> factory.phase(orEmpty(config)) == PolicyPhase.AUTHENTICATION)
                .orElse(false);
    }

    private static ObjectNode orEmpty(ObjectNode config) {
        return config == null ? JsonNodeFactory.instance.objectNode() : config;
    }
}

package io.portico.pipeline;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The policy types of this node: every {@link PolicyFactory} registered for {@link ServiceLoader}. */
public final class PolicyRegistry {

    private final Map<String, PolicyFactory> factories;

    private PolicyRegistry(Map<String, PolicyFactory> factories) {
        this.factories = Map.copyOf(factories);
    }

    /** Returns a registry of every factory registered under {@code META-INF/services}. */
    public static PolicyRegistry load() {
        Map<String, PolicyFactory> found = new TreeMap<>();
        for (PolicyFactory factory : ServiceLoader.load(PolicyFactory.class)) {
            found.put(factory.name(), factory);
        }
        return new PolicyRegistry(found);
    }

    /** Returns a registry of exactly {@code factories}; for tests and embedding. */
    public static PolicyRegistry of(List<PolicyFactory> factories) {
        Map<String, PolicyFactory> found = new TreeMap<>();
        factories.forEach(factory -> found.put(factory.name(), factory));
        return new PolicyRegistry(found);
    }

    public Optional<PolicyFactory> find(String name) {
        return Optional.ofNullable(factories.get(name));
    }

    /** Names of every known policy type, sorted. */
    public List<String> names() {
        return List.copyOf(factories.keySet());
    }
}

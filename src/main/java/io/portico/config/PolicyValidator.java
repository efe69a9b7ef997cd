package io.portico.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Checks the policies that routes name, so that an unknown policy type or an invalid policy configuration is
 * rejected when the configuration is written rather than when a node applies it. The data plane provides the
 * implementation through {@link ServiceLoader}; without one, policy references are only checked for a name.
 */
public interface PolicyValidator {

    /** Records into {@code errors} what is wrong with the policy {@code name} configured with {@code config}. */
    void validate(String name, ObjectNode config, Errors errors);

    /**
     * Records into {@code errors} what is wrong with the policy {@code name}, configured with {@code config}, when
     * it runs on the route of {@code placement}. Called only for a policy that {@link #validate} accepted.
     */
    default void validatePlacement(String name, ObjectNode config, PolicyPlacement placement, Errors errors) {
    }

    /**
     * Returns true when the policy {@code name} configured with {@code config} authenticates callers; false when
     * unknown. Called only for a policy that {@link #validate} accepted.
     */
    default boolean authenticates(String name, ObjectNode config) {
        return false;
    }

    /**
     * Returns the policy types that {@link #validate} accepts, for the admin API's OpenAPI document; empty when this
     * validator accepts every name.
     */
    default List<String> types() {
        return List.of();
    }

    /** Returns the registered validator, or one that accepts every policy when none is registered. */
    static PolicyValidator current() {
        return Holder.INSTANCE;
    }

    /** Loads the registered implementation once. */
    final class Holder {
        private static final PolicyValidator INSTANCE = load();

        private Holder() {
        }

        private static PolicyValidator load() {
            Iterator<PolicyValidator> found = ServiceLoader.load(PolicyValidator.class).iterator();
            return found.hasNext() ? found.next() : (name, config, errors) -> { };
        }
    }
}

package io.portico.pipeline;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Errors;
import io.portico.config.PolicyPlacement;

/**
 * Creates policies of one type from their configuration. The type name is the key used in configuration,
 * for example {@code rate-limit} for a class named {@code RateLimitPolicy}.
 */
public interface PolicyFactory {

    /** The configuration key of the policy type. */
    String name();

    /** Records every invalid field of {@code config} into {@code errors}. */
    void validate(ObjectNode config, Errors errors);

    /**
     * Records into {@code errors} what is wrong with {@code config} when the policy runs on the route of
     * {@code placement}, such as a setting that needs the route to belong to an API. Fields are relative to the
     * policy entry: {@code name} for the policy type, {@code config.FIELD} for a setting. Called only with a
     * configuration that {@link #validate} accepted, for every route the policy runs on. {@link #create} must not
     * fail for a configuration that both methods accept.
     */
    default void validatePlacement(ObjectNode config, PolicyPlacement placement, Errors errors) {
    }

    /**
     * Creates a policy instance for one route; called once per configuration snapshot, not per request. A factory
     * overrides this method or {@link #create(ObjectNode, PolicyContext)}.
     */
    default Policy create(ObjectNode config) {
        throw new UnsupportedOperationException("policy type " + name() + " needs a PolicyContext");
    }

    /**
     * Creates a policy instance for one route with access to the snapshot and node state in {@code context};
     * called once per configuration snapshot, not per request. Delegates to {@link #create(ObjectNode)} unless
     * overridden.
     */
    default Policy create(ObjectNode config, PolicyContext context) {
        return create(config);
    }

    /**
     * Returns the phase a policy configured with {@code config} runs in; {@link PolicyPhase#POST_AUTHENTICATION}
     * unless overridden. Authentication policies return {@link PolicyPhase#AUTHENTICATION}, so that the consumer
     * checks run after them. Called only with a configuration that {@link #validate} accepted.
     */
    default PolicyPhase phase(ObjectNode config) {
        return PolicyPhase.POST_AUTHENTICATION;
    }
}

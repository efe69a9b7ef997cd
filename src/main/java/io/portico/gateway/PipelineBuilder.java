package io.portico.gateway;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.ApiSpec;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Errors;
import io.portico.config.PolicySpec;
import io.portico.config.RouteSpec;
import io.portico.config.RouteSpec.PolicyRef;
import io.portico.config.ValidationException;
import io.portico.pipeline.AuthenticationPolicy;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import io.portico.pipeline.PolicyPhase;
import io.portico.pipeline.PolicyRegistry;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the policy list of each route of one snapshot. Policies come from three places, global attachments
 * ({@code policies} without a consumer), the route's API and the route itself, and run phase by phase:
 * <ol>
 *   <li>{@link PolicyPhase#PRE_AUTHENTICATION} policies: global, then the API's, then the route's;</li>
 *   <li>{@link PolicyPhase#AUTHENTICATION} policies, in the same order;</li>
 *   <li>{@link ConsumerAuthorization}: the subscription and the consumer's access lists;</li>
 *   <li>{@link PolicyPhase#POST_AUTHENTICATION} policies, in the same order;</li>
 *   <li>the policies attached to the authenticated consumer ({@code policies} with a consumer), if any.</li>
 * </ol>
 * Within one source, policies keep the order they are listed in; global and consumer attachments are ordered by
 * their {@code order}, then by name.
 */
final class PipelineBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineBuilder.class);
    private static final String INDEX_KEY = "consumer-authorization";
    private static final Comparator<PolicySpec> ATTACHMENT_ORDER =
            Comparator.comparing(PolicySpec::order).thenComparing(PolicySpec::name);

    private final ConfigSnapshot snapshot;
    private final PolicyRegistry registry;
    private final Errors errors;
    private final List<PolicySpec> global = new ArrayList<>();
    private final Map<String, List<PolicySpec>> byConsumer = new LinkedHashMap<>();
    private final Set<String> warned;
    private final Set<String> unauthenticated = new HashSet<>();

    /**
     * @param warned the routes already reported as needing a subscription but lacking authentication, so that
     *     each is reported once rather than on every configuration change. Null reports none, for a snapshot
     *     that is compiled only to check it.
     */
    PipelineBuilder(ConfigSnapshot snapshot, PolicyRegistry registry, Errors errors, Set<String> warned) {
        this.snapshot = snapshot;
        this.registry = registry;
        this.errors = errors;
        this.warned = warned;
        List<PolicySpec> attachments = new ArrayList<>(snapshot.policies().values());
        attachments.sort(ATTACHMENT_ORDER);
        for (PolicySpec attachment : attachments) {
            if (attachment.global()) {
                global.add(attachment);
            } else {
                byConsumer.computeIfAbsent(attachment.consumer(), name -> new ArrayList<>()).add(attachment);
            }
        }
    }

    /**
     * Returns the policies of {@code route} in the order they run; records invalid ones into the errors.
     *
     * @param contexts the context of each policy, by where it is declared (see {@link PolicyContext#declaredIn})
     */
    List<Policy> policies(RouteSpec route, Function<String, PolicyContext> contexts) {
        Map<PolicyPhase, List<Policy>> phases = new EnumMap<>(PolicyPhase.class);
        for (PolicyPhase phase : PolicyPhase.values()) {
            phases.put(phase, new ArrayList<>());
        }
        for (PolicySpec attachment : global) {
            compile(attachment.type(), attachment.config(), contexts.apply("policy:" + attachment.name()),
                    errors.at("policies/" + attachment.name()), "type")
                    .ifPresent(compiled -> phases.get(compiled.phase()).add(compiled.policy()));
        }
        ApiSpec api = route.api() == null ? null : snapshot.apis().get(route.api());
        if (api != null) {
            addRefs(phases, api.policies(), contexts, "api:" + api.name(), errors.at("apis/" + api.name()));
        }
        addRefs(phases, route.policies(), contexts, "route:" + route.name(), errors.at("routes/" + route.name()));
        PolicyContext context = contexts.apply("route:" + route.name());

        String subscriptionApi = api != null && api.subscriptionRequired() ? api.name() : null;
        if (subscriptionApi != null && phases.get(PolicyPhase.AUTHENTICATION).isEmpty()) {
            unauthenticated.add(route.name());
            if (warned != null && !warned.contains(route.name())) {
                LOG.warn("Route {} belongs to API {}, which requires subscriptions, but no authentication policy runs"
                        + " on it, so every request gets 401; attach one to the route, the API or globally",
                        route.name(), subscriptionApi);
            }
        }
        List<Policy> policies = new ArrayList<>(phases.get(PolicyPhase.PRE_AUTHENTICATION));
        policies.addAll(phases.get(PolicyPhase.AUTHENTICATION));
        policies.add(new ConsumerAuthorization(route.name(), subscriptionApi, challenges(phases),
                context.perSnapshot(INDEX_KEY, AuthorizationIndex::build)));
        policies.addAll(phases.get(PolicyPhase.POST_AUTHENTICATION));
        Map<String, List<Policy>> consumerPolicies = consumerPolicies(contexts);
        if (!consumerPolicies.isEmpty()) {
            policies.add(new ConsumerPolicies(consumerPolicies));
        }
        return policies;
    }

    /** Returns the distinct challenges of the route's authentication policies, in the order they run. */
    private static List<String> challenges(Map<PolicyPhase, List<Policy>> phases) {
        Set<String> challenges = new LinkedHashSet<>();
        for (Policy policy : phases.get(PolicyPhase.AUTHENTICATION)) {
            if (policy instanceof AuthenticationPolicy authentication) {
                challenges.add(authentication.challenge());
            }
        }
        return List.copyOf(challenges);
    }

    /** Returns the routes that need a subscription but run no authentication policy, as of the last build. */
    Set<String> unauthenticatedRoutes() {
        return Set.copyOf(unauthenticated);
    }

    private Map<String, List<Policy>> consumerPolicies(Function<String, PolicyContext> contexts) {
        Map<String, List<Policy>> policies = new LinkedHashMap<>();
        byConsumer.forEach((consumer, attachments) -> {
            List<Policy> list = new ArrayList<>();
            for (PolicySpec attachment : attachments) {
                compile(attachment.type(), attachment.config(), contexts.apply("policy:" + attachment.name()),
                        errors.at("policies/" + attachment.name()), "type")
                        .ifPresent(compiled -> list.add(compiled.policy()));
            }
            policies.put(consumer, List.copyOf(list));
        });
        return policies;
    }

    private void addRefs(Map<PolicyPhase, List<Policy>> phases, List<PolicyRef> refs,
                         Function<String, PolicyContext> contexts, String owner, Errors at) {
        for (int i = 0; i < refs.size(); i++) {
            PolicyRef ref = refs.get(i);
            compile(ref.name(), ref.config(), contexts.apply(owner + "/policies/" + i), at.at("policies", i), "name")
                    .ifPresent(compiled -> phases.get(compiled.phase()).add(compiled.policy()));
        }
    }

    /**
     * Creates one policy, or records why it cannot be created under {@code at}.
     *
     * @param typeField the field that names the policy type where it is configured
     */
    private Optional<Compiled> compile(String type, ObjectNode config, PolicyContext context, Errors at,
                                       String typeField) {
        Optional<PolicyFactory> factory = registry.find(type);
        if (factory.isEmpty()) {
            at.add(typeField, "unknown policy type '" + type + "'");
            return Optional.empty();
        }
        ObjectNode settings = config == null ? JsonNodeFactory.instance.objectNode() : config;
        Errors invalid = new Errors();
        factory.get().validate(settings, invalid);
        if (!invalid.isEmpty()) {
            Errors configErrors = at.at("config");
            invalid.list().forEach(error -> configErrors.add(error.field(), error.message()));
            return Optional.empty();
        }
        try {
            return Optional.of(new Compiled(factory.get().create(settings, context), factory.get().phase(settings)));
        } catch (ValidationException e) {
            e.errors().forEach(error -> at.add(error.field(), error.message()));
        } catch (RuntimeException e) {
            // A factory that fails on a configuration its validation accepted has a bug; the error names the policy.
            LOG.debug("Policy type {} failed to create a policy for route {}", type, context.route(), e);
            String reason = e.getMessage() == null ? "an internal error, logged at DEBUG" : e.getMessage();
            at.add("config", "could not be compiled into a '" + type + "' policy: " + reason);
        }
        return Optional.empty();
    }

    private record Compiled(Policy policy, PolicyPhase phase) {
    }
}

package io.portico.ai;

import io.portico.ai.provider.ProviderType;
import io.portico.ai.provider.ProviderTypes;
import io.portico.ai.spi.AdapterContext;
import io.portico.ai.spi.ProviderAdapter;
import io.portico.config.ConfigSnapshot;
import io.portico.config.ConsumerSpec.AccessList;
import io.portico.config.ProviderSpec;
import io.portico.config.VirtualModelSpec;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Function;

/**
 * The providers and virtual models of one configuration snapshot, and how a requested model name resolves to the
 * provider models that may serve it. Immutable apart from the providers' statistics and key states, which carry
 * over to the next snapshot while a provider's configuration stays the same.
 */
final class AiRuntime {

    private final Map<String, ProviderRuntime> providers;
    private final Map<String, VirtualModelSpec> models;
    private final Map<String, AccessList> modelAccess;
    /**
     * The models that the configuration lists, by provider name: providers' models and virtual model targets. Keyed
     * by provider, so that a lookup builds no {@code provider/model} name.
     */
    private final Map<String, Set<String>> configuredModels;

    private AiRuntime(Map<String, ProviderRuntime> providers, Map<String, VirtualModelSpec> models,
                      Map<String, AccessList> modelAccess) {
        this.providers = providers;
        this.models = models;
        this.modelAccess = modelAccess;
        this.configuredModels = configuredModels(providers, models);
    }

    static AiRuntime empty() {
        return new AiRuntime(Map.of(), Map.of(), Map.of());
    }

    private static Map<String, Set<String>> configuredModels(Map<String, ProviderRuntime> providers,
                                                             Map<String, VirtualModelSpec> models) {
        Map<String, Set<String>> names = new HashMap<>();
        providers.values().forEach(provider -> provider.spec().models()
                .forEach(model -> names.computeIfAbsent(provider.name(), name -> new HashSet<>()).add(model)));
        models.values().forEach(model -> model.targets()
                .forEach(target -> names.computeIfAbsent(target.provider(), name -> new HashSet<>())
                        .add(target.model())));
        Map<String, Set<String>> copy = new HashMap<>();
        names.forEach((provider, listed) -> copy.put(provider, Set.copyOf(listed)));
        return Map.copyOf(copy);
    }

    /**
     * Returns true when the configuration lists {@code target}'s model: among its provider's {@code models}, or as
     * a target of a virtual model.
     */
    boolean configured(Target target) {
        return configuredModels.getOrDefault(target.provider().name(), Set.of()).contains(target.model());
    }

    /** Builds the runtime of {@code snapshot}, keeping the state of providers whose configuration is unchanged. */
    static AiRuntime build(ConfigSnapshot snapshot, AiRuntime previous,
                           Function<ProviderType, ProviderAdapter> adapters) {
        Map<String, ProviderRuntime> providers = new LinkedHashMap<>();
        for (ProviderSpec spec : snapshot.providers().values()) {
            ProviderRuntime old = previous.providers.get(spec.name());
            if (old != null && old.spec().equals(spec)) {
                providers.put(spec.name(), old);
                continue;
            }
            Optional<ProviderType> type = ProviderTypes.find(spec.type());
            type.ifPresent(t -> providers.put(spec.name(), new ProviderRuntime(spec, t, adapters.apply(t))));
        }
        Map<String, AccessList> modelAccess = new HashMap<>();
        snapshot.consumers().forEach((name, consumer) -> {
            if (consumer.access() != null && !consumer.access().models().isUnrestricted()) {
                modelAccess.put(name, consumer.access().models());
            }
        });
        // Providers keep the snapshot's order, which resolution by listed model name follows.
        return new AiRuntime(Collections.unmodifiableMap(providers), snapshot.models(), Map.copyOf(modelAccess));
    }

    /** Creates adapters once per provider type. */
    static Function<ProviderType, ProviderAdapter> adapterCache(AdapterContext context) {
        Map<String, ProviderAdapter> cache = new java.util.concurrent.ConcurrentHashMap<>();
        return type -> cache.computeIfAbsent(type.id(), id -> type.adapter().apply(context));
    }

    Map<String, ProviderRuntime> providers() {
        return providers;
    }

    Map<String, VirtualModelSpec> models() {
        return models;
    }

    /** Returns the model access list of {@code consumer}; null when the consumer may use every model. */
    AccessList modelAccess(String consumer) {
        return consumer == null ? null : modelAccess.get(consumer);
    }

    /**
     * Returns the provider models that may serve {@code requested}, in the order to try them: the targets of a
     * virtual model of that name, ordered by its strategy; else the provider and model of a {@code provider/model}
     * name; else every provider that lists the name among its {@code models}. Empty when nothing serves it.
     */
    List<Target> resolve(String requested) {
        VirtualModelSpec virtual = models.get(requested);
        if (virtual != null) {
            return order(virtual);
        }
        int slash = requested.indexOf('/');
        if (slash > 0) {
            ProviderRuntime provider = providers.get(requested.substring(0, slash));
            if (provider != null && slash < requested.length() - 1) {
                return List.of(new Target(provider, requested.substring(slash + 1), 1));
            }
        }
        List<Target> targets = new ArrayList<>();
        for (ProviderRuntime provider : providers.values()) {
            if (provider.spec().models().contains(requested)) {
                targets.add(new Target(provider, requested, 1));
            }
        }
        demoteFailing(targets);
        return targets;
    }

    /** Moves targets that failed recently behind the others, keeping the order within each group. */
    private static void demoteFailing(List<Target> targets) {
        if (targets.size() > 1 && targets.stream().anyMatch(t -> t.stats().demoted())) {
            targets.sort(Comparator.comparing(t -> t.stats().demoted()));
        }
    }

    private List<Target> order(VirtualModelSpec virtual) {
        List<Target> targets = new ArrayList<>();
        for (VirtualModelSpec.Target target : virtual.targets()) {
            ProviderRuntime provider = providers.get(target.provider());
            if (provider != null) {
                targets.add(new Target(provider, target.model(), target.weight()));
            }
        }
        switch (virtual.strategy()) {
            case "weighted" -> weightedFirst(targets);
            case "least-latency" -> targets.sort(Comparator.comparingDouble(t -> t.stats().latencyMillis()));
            case "least-busy" -> targets.sort(Comparator.comparingInt(t -> t.stats().inFlight()));
            default -> {
                // fallback: the configured order
            }
        }
        demoteFailing(targets);
        return targets;
    }

    /** Moves one target, drawn by weight, to the front; the others stay in order as fallbacks. */
    private static void weightedFirst(List<Target> targets) {
        int total = targets.stream().mapToInt(Target::weight).sum();
        if (total <= 0 || targets.size() < 2) {
            return;
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (int i = 0; i < targets.size(); i++) {
            pick -= targets.get(i).weight();
            if (pick < 0) {
                targets.add(0, targets.remove(i));
                return;
            }
        }
    }

    /**
     * Returns the targets a route allowing {@code patterns} may use for {@code requested}: all of them when the
     * pattern list is empty or names {@code *} or {@code requested} itself; otherwise those whose
     * {@code provider/model} or {@code provider/*} the list names.
     */
    static List<Target> allowedTargets(List<String> patterns, String requested, List<Target> targets) {
        if (patterns.isEmpty() || patterns.contains("*") || patterns.contains(requested)) {
            return targets;
        }
        List<Target> allowed = new ArrayList<>(targets.size());
        for (Target target : targets) {
            if (patterns.contains(target.address()) || patterns.contains(target.provider().name() + "/*")) {
                allowed.add(target);
            }
        }
        return allowed;
    }

    /**
     * True when a route allowing {@code patterns} may serve {@code requested} through {@code targets}. A pattern is a
     * virtual model name or requested name, {@code provider/model}, {@code provider/*} or {@code *}; an empty list
     * allows everything.
     */
    static boolean allowed(List<String> patterns, String requested, List<Target> targets) {
        if (patterns.isEmpty() || patterns.contains("*") || patterns.contains(requested)) {
            return true;
        }
        if (targets.isEmpty()) {
            return false;
        }
        for (Target target : targets) {
            if (!patterns.contains(target.address()) && !patterns.contains(target.provider().name() + "/*")) {
                return false;
            }
        }
        return true;
    }

    /**
     * Returns the targets a consumer with the model access list {@code access} may use for {@code requested}, in
     * their order: none when a deny pattern matches the requested name; otherwise the targets whose
     * {@code provider/model} no deny pattern matches and which the allow list admits, either through the
     * requested name or through the target's own {@code provider/model}.
     */
    static List<Target> consumerTargets(AccessList access, String requested, List<Target> targets) {
        if (access.denies(requested)) {
            return List.of();
        }
        boolean requestedAllowed = access.inAllowList(requested);
        List<Target> allowed = new ArrayList<>(targets.size());
        for (Target target : targets) {
            String address = target.address();
            if (!access.denies(address) && (requestedAllowed || access.inAllowList(address))) {
                allowed.add(target);
            }
        }
        return allowed;
    }
}

package io.portico.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An immutable view of the whole configuration at one store version. The data plane reads only snapshots, never
 * the store, and a new snapshot replaces the old one atomically.
 */
public final class ConfigSnapshot {

    private static final ConfigSnapshot EMPTY = new ConfigSnapshot(0, List.of());

    private final long version;
    private final List<Resource> resources;
    private final Map<String, ServiceSpec> services;
    private final Map<String, RouteSpec> routes;
    private final Map<String, ProviderSpec> providers;
    private final Map<String, VirtualModelSpec> models;
    private final Map<String, CertificateSpec> certificates;
    private final Map<String, TeamSpec> teams;
    private final Map<String, ApiSpec> apis;
    private final Map<String, ConsumerSpec> consumers;
    private final Map<String, Resource> byKey = new HashMap<>();
    private final Map<String, CredentialSpec> credentials;
    private final Map<String, SubscriptionSpec> subscriptions;
    private final Map<String, PolicySpec> policies;
    private final Map<String, SigningKeySpec> signingKeys;

    private ConfigSnapshot(long version, Collection<Resource> resources) {
        this.version = version;
        List<Resource> sorted = new ArrayList<>(resources);
        sorted.sort(Comparator.comparing(Resource::kind).thenComparing(Resource::name));
        this.resources = List.copyOf(sorted);
        sorted.forEach(resource -> byKey.put(resource.kind() + "/" + resource.name(), resource));
        this.services = typed(sorted, ResourceKinds.SERVICES);
        this.routes = typed(sorted, ResourceKinds.ROUTES);
        this.providers = typed(sorted, ResourceKinds.PROVIDERS);
        this.models = typed(sorted, ResourceKinds.MODELS);
        this.certificates = typed(sorted, ResourceKinds.CERTIFICATES);
        this.teams = typed(sorted, ResourceKinds.TEAMS);
        this.apis = typed(sorted, ResourceKinds.APIS);
        this.consumers = typed(sorted, ResourceKinds.CONSUMERS);
        this.credentials = typed(sorted, ResourceKinds.CREDENTIALS);
        this.subscriptions = typed(sorted, ResourceKinds.SUBSCRIPTIONS);
        this.policies = typed(sorted, ResourceKinds.POLICIES);
        this.signingKeys = typed(sorted, ResourceKinds.SIGNING_KEYS);
    }

    public static ConfigSnapshot empty() {
        return EMPTY;
    }

    /**
     * Builds a snapshot from stored resources. Files that specifications name are not read here; see
     * {@link ResourceKind#parseWithoutLocalFiles}.
     *
     * @throws ValidationException when a resource is invalid, naming it as {@code kind/name.field}
     */
    public static ConfigSnapshot of(long version, Collection<Resource> resources) {
        return new ConfigSnapshot(version, resources);
    }

    private static <T> Map<String, T> typed(List<Resource> resources, ResourceKind<T> kind) {
        Map<String, T> typed = new LinkedHashMap<>();
        List<FieldError> errors = new ArrayList<>();
        for (Resource resource : resources) {
            if (resource.kind().equals(kind.name())) {
                try {
                    typed.put(resource.name(), kind.parseWithoutLocalFiles(resource.spec()));
                } catch (ValidationException e) {
                    for (FieldError error : e.errors()) {
                        String field = kind.name() + "/" + resource.name() + (error.field().isEmpty() ? "" : ".")
                                + error.field();
                        errors.add(new FieldError(field, error.message()));
                    }
                }
            }
        }
        if (!errors.isEmpty()) {
            throw new ValidationException(errors);
        }
        return Collections.unmodifiableMap(typed);
    }

    /** The store version this snapshot was read at; 0 for the empty snapshot. */
    public long version() {
        return version;
    }

    /** Every resource, sorted by kind and name. */
    public List<Resource> resources() {
        return resources;
    }

    public Map<String, ServiceSpec> services() {
        return services;
    }

    public Map<String, RouteSpec> routes() {
        return routes;
    }

    /** Model providers of AI routes, by name. */
    public Map<String, ProviderSpec> providers() {
        return providers;
    }

    /** Virtual models of AI routes, by the name clients ask for. */
    public Map<String, VirtualModelSpec> models() {
        return models;
    }

    public Map<String, CertificateSpec> certificates() {
        return certificates;
    }

    public Map<String, TeamSpec> teams() {
        return teams;
    }

    /** APIs, the units consumers subscribe to, by name. */
    public Map<String, ApiSpec> apis() {
        return apis;
    }

    public Map<String, ConsumerSpec> consumers() {
        return consumers;
    }

    /** Credentials of every consumer, by credential name. */
    public Map<String, CredentialSpec> credentials() {
        return credentials;
    }

    public Map<String, SubscriptionSpec> subscriptions() {
        return subscriptions;
    }

    /** Policies attached globally or to one consumer, by attachment name. */
    public Map<String, PolicySpec> policies() {
        return policies;
    }

    /** The authorization server's signing keys, by key id; Portico manages them itself. */
    public Map<String, SigningKeySpec> signingKeys() {
        return signingKeys;
    }

    /**
     * Returns the errors that involve more than one resource: references that do not resolve, such as a route
     * naming a missing service, and credentials that share a look-up value (API key, username, access key, client
     * id, certificate subject or fingerprint) with another credential, so that the gateway could not tell them
     * apart. It also reports {@code oauth} routes of one issuer and algorithm, which share signing keys, whose
     * longest {@code keyPublication} is not shorter than their shortest {@code keyRotation}, and a second pending or
     * active subscription of one consumer to one API, and each policy that is invalid on a route it runs on (see
     * {@link PolicyValidator#validatePlacement}).
     */
    public List<FieldError> danglingReferences() {
        List<FieldError> errors = new ArrayList<>();
        routes.forEach((name, route) -> {
            if (route.service() != null && !services.containsKey(route.service())) {
                errors.add(new FieldError("routes/" + name + ".service",
                        "refers to service '" + route.service() + "', which does not exist"));
            }
            reference(errors, "routes/" + name + ".api", "API", route.api(), apis);
        });
        for (Resource resource : resources) {
            ResourceKinds.find(resource.kind()).ifPresent(kind -> reference(errors,
                    resource.kind() + "/" + resource.name() + ".team", "team", kind.teamOf(resource.spec()), teams));
        }
        credentials.forEach((name, credential) -> sameTeam(errors, ResourceKinds.CREDENTIALS, name,
                credential.consumer()));
        subscriptions.forEach((name, subscription) -> sameTeam(errors, ResourceKinds.SUBSCRIPTIONS, name,
                subscription.consumer()));
        credentials.forEach((name, credential) ->
                reference(errors, "credentials/" + name + ".consumer", "consumer", credential.consumer(), consumers));
        subscriptions.forEach((name, subscription) -> {
            String field = "subscriptions/" + name;
            reference(errors, field + ".consumer", "consumer", subscription.consumer(), consumers);
            reference(errors, field + ".api", "API", subscription.api(), apis);
        });
        openSubscriptionDuplicates(errors);
        CredentialLookups.duplicates(credentials.values(), errors);
        policies.forEach((name, policy) ->
                reference(errors, "policies/" + name + ".consumer", "consumer", policy.consumer(), consumers));
        models.forEach((name, model) -> {
            for (int i = 0; i < model.targets().size(); i++) {
                String provider = model.targets().get(i).provider();
                if (provider != null && !providers.containsKey(provider)) {
                    errors.add(new FieldError("models/" + name + ".targets[" + i + "].provider",
                            "refers to provider '" + provider + "', which does not exist"));
                }
            }
        });
        sharedKeySettings(errors);
        policyPlacements(errors);
        return errors;
    }

    /**
     * Reports each policy that is invalid on a route it runs on. A policy of an API, a global attachment or a
     * consumer attachment runs on many routes, so each of its invalid fields is reported once, with the message of
     * the first route and the count of the others.
     */
    private void policyPlacements(List<FieldError> errors) {
        PolicyValidator validator = PolicyValidator.current();
        Map<String, PlacementError> shared = new LinkedHashMap<>();
        for (RouteSpec route : routes.values()) {
            Errors own = new Errors();
            placeRefs(validator, route.policies(), new PolicyPlacement(route, PolicyPlacement.DeclaredOn.ROUTE),
                    own.at("routes/" + route.name()));
            errors.addAll(own.list());
            Errors many = new Errors();
            ApiSpec api = route.api() == null ? null : apis.get(route.api());
            if (api != null) {
                placeRefs(validator, api.policies(), new PolicyPlacement(route, PolicyPlacement.DeclaredOn.API),
                        many.at("apis/" + api.name()));
            }
            for (PolicySpec attachment : policies.values()) {
                PolicyPlacement placement = new PolicyPlacement(route, attachment.global()
                        ? PolicyPlacement.DeclaredOn.GLOBAL : PolicyPlacement.DeclaredOn.CONSUMER);
                validator.validatePlacement(attachment.type(), attachment.config(), placement,
                        many.at("policies/" + attachment.name()));
            }
            for (FieldError error : many.list()) {
                shared.computeIfAbsent(error.field(), field -> new PlacementError(error)).routes++;
            }
        }
        shared.values().forEach(placement -> errors.add(placement.error()));
    }

    private static void placeRefs(PolicyValidator validator, List<RouteSpec.PolicyRef> refs,
                                  PolicyPlacement placement, Errors at) {
        for (int i = 0; i < refs.size(); i++) {
            RouteSpec.PolicyRef ref = refs.get(i);
            validator.validatePlacement(ref.name(), ref.config(), placement, at.at("policies", i));
        }
    }

    /** The first error of a shared policy's field, and how many routes have it. */
    private static final class PlacementError {
        private final FieldError first;
        private int routes;

        PlacementError(FieldError first) {
            this.first = first;
        }

        FieldError error() {
            return routes < 2 ? first : new FieldError(first.field(), first.message() + "; the same applies to "
                    + (routes - 1) + " other route(s)");
        }
    }

    /**
     * Reports each pending or active subscription whose consumer has another one to the same API. A consumer has at
     * most one open subscription per API, so that approving, revoking and expiring it decide the consumer's access.
     */
    private void openSubscriptionDuplicates(List<FieldError> errors) {
        Map<String, List<String>> open = new HashMap<>();
        new TreeMap<>(subscriptions).forEach((name, subscription) -> {
            if (subscription.status().equals(SubscriptionSpec.PENDING)
                    || subscription.status().equals(SubscriptionSpec.ACTIVE)) {
                open.computeIfAbsent(subscription.consumer() + '\0' + subscription.api(), unused -> new ArrayList<>())
                        .add(name);
            }
        });
        for (List<String> names : open.values()) {
            if (names.size() < 2) {
                continue;
            }
            for (String name : names) {
                SubscriptionSpec subscription = subscriptions.get(name);
                List<String> others = names.stream().filter(other -> !other.equals(name)).toList();
                errors.add(new FieldError("subscriptions/" + name + ".status", "is '" + subscription.status()
                        + "', but consumer '" + subscription.consumer() + "' also has the open subscription(s) "
                        + others + " to the API '" + subscription.api() + "'; a consumer can have one pending or"
                        + " active subscription per API, so end the other one first"));
            }
        }
    }

    /**
     * Reports each {@code oauth} route whose issuer and algorithm are shared with another route when their
     * combined key settings are invalid: the keys rotate after the shortest rotation, and each successor is
     * published for the longest publication, which must therefore be shorter.
     */
    private void sharedKeySettings(List<FieldError> errors) {
        Map<String, List<String>> byOwner = new TreeMap<>();
        routes.forEach((name, route) -> {
            if (route.oauth() != null) {
                byOwner.computeIfAbsent(route.oauth().issuer() + '\0' + route.oauth().algorithm(),
                        unused -> new ArrayList<>()).add(name);
            }
        });
        for (List<String> names : byOwner.values()) {
            List<RouteSpec.OAuthRoute> settings = names.stream().map(name -> routes.get(name).oauth()).toList();
            Duration rotation = settings.stream().map(RouteSpec.OAuthRoute::keyRotation).min(Duration::compareTo)
                    .orElseThrow();
            Duration publication = settings.stream().map(RouteSpec.OAuthRoute::keyPublication)
                    .max(Duration::compareTo).orElseThrow();
            if (names.size() < 2 || publication.compareTo(rotation) < 0) {
                continue;
            }
            for (String name : names) {
                errors.add(new FieldError("routes/" + name + ".oauth.keyPublication", "together with routes "
                        + names + ", which share the issuer's signing keys, the longest keyPublication (" + publication
                        + ") must be shorter than the shortest keyRotation (" + rotation + ")"));
            }
        }
    }

    /** Rejects a credential or subscription whose own team differs from its consumer's. */
    private void sameTeam(List<FieldError> errors, ResourceKind<?> kind, String name, String consumer) {
        String team = teamOf(kind, name);
        ConsumerSpec owner = consumer == null ? null : consumers.get(consumer);
        if (team != null && owner != null && owner.team() != null && !team.equals(owner.team())) {
            errors.add(new FieldError(kind.name() + "/" + name + ".team", "is '" + team + "', but consumer '"
                    + consumer + "' belongs to team '" + owner.team() + "'"));
        }
    }

    /**
     * Returns the team that owns a resource: its {@code team} field, or for credentials and subscriptions that
     * name none, the team of their consumer. Null for a resource of no team.
     */
    public String teamOf(ResourceKind<?> kind, String name) {
        Resource resource = find(kind.name(), name);
        if (resource == null) {
            return null;
        }
        String team = kind.teamOf(resource.spec());
        if (team != null || kind == ResourceKinds.TEAMS) {
            return kind == ResourceKinds.TEAMS ? name : team;
        }
        String consumer = kind == ResourceKinds.CREDENTIALS || kind == ResourceKinds.SUBSCRIPTIONS
                ? resource.spec().path("consumer").asText(null) : null;
        ConsumerSpec owner = consumer == null ? null : consumers.get(consumer);
        return owner == null ? null : owner.team();
    }

    /** Returns the resource {@code kind/name}, or null when this snapshot has none. */
    public Resource find(String kind, String name) {
        return byKey.get(kind + "/" + name);
    }

    private static void reference(List<FieldError> errors, String field, String noun, String name,
                                  Map<String, ?> kind) {
        if (name != null && !kind.containsKey(name)) {
            errors.add(new FieldError(field, "refers to " + noun + " '" + name + "', which does not exist"));
        }
    }
}

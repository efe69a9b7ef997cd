package io.portico.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The registry of resource kinds, in the order a declarative document lists and applies them. */
public final class ResourceKinds {

    public static final ResourceKind<TeamSpec> TEAMS =
            new ResourceKind<>("teams", TeamSpec.class, TeamSpec::validate, List.of());
    /** The client key authenticates Portico to the targets. */
    public static final ResourceKind<ServiceSpec> SERVICES =
            new ResourceKind<>("services", ServiceSpec.class, ServiceSpec::validate, List.of("tls.clientKey"),
                    true).withSecretDestinations(Map.of("tls.clientKey", List.of("targets")));
    /**
     * Every secret of a provider goes to its endpoint: {@code baseUrl}, or the default of its {@code type}, which
     * for Bedrock and Vertex AI depends on the {@code region}. A service account also signs the assertions sent to
     * {@code tokenUrl}.
     */
    private static final List<String> PROVIDER_ENDPOINT = List.of("type", "baseUrl", "region", "tokenUrl");
    /** The values of credential headers such as {@code headers.Authorization} are secrets as well. */
    private static final List<String> PROVIDER_SECRETS = List.of("keys[].key", "secretAccessKey", "sessionToken",
            "serviceAccount", "headers." + SecretFields.CREDENTIAL_HEADER);
    public static final ResourceKind<ProviderSpec> PROVIDERS = new ResourceKind<>("providers", ProviderSpec.class,
            ProviderSpec::validate, PROVIDER_SECRETS, true)
            .withSecretDestinations(sameDestinations(PROVIDER_SECRETS, PROVIDER_ENDPOINT));
    public static final ResourceKind<VirtualModelSpec> MODELS =
            new ResourceKind<>("models", VirtualModelSpec.class, VirtualModelSpec::validate, List.of());
    /**
     * Secret fields inside policy configurations: the client secret of {@code oauth-introspection} and the inline
     * HMAC keys of {@code jwt}, given as text or as a JWK.
     */
    private static final List<String> POLICY_SECRETS = List.of("policies[].config.clientSecret",
            "policies[].config.keys[].secret", "policies[].config.keys[].jwk.k");
    /**
     * The {@code oauth-introspection} policy sends its client secret to its {@code introspectionUrl}, and the
     * policy type determines which field is the URL. HMAC keys only verify signatures and are sent nowhere.
     */
    private static final Map<String, List<String>> POLICY_SECRET_DESTINATIONS = Map.of(
            "policies[].config.clientSecret", List.of("policies[].name", "policies[].config.introspectionUrl"));
    public static final ResourceKind<ApiSpec> APIS =
            new ResourceKind<>("apis", ApiSpec.class, ApiSpec::validate, POLICY_SECRETS, true)
                    .withSecretDestinations(POLICY_SECRET_DESTINATIONS);
    /**
     * The values that a route's header operations add to or set on the forwarded request under a credential header
     * name, such as {@code requestHeaders.set.Authorization}. They go to the route's {@code service}. Header
     * operations on the response go to every client, so none of their values is a secret.
     *
     * <p>NOTE: the targets of that service are fields of the service. A write to the service that changes its
     * targets keeps these values, so anyone who may change the service can redirect them.
     */
    private static final List<String> ROUTE_HEADER_SECRETS = List.of(
            "requestHeaders.add." + SecretFields.CREDENTIAL_HEADER,
            "requestHeaders.set." + SecretFields.CREDENTIAL_HEADER);
    public static final ResourceKind<RouteSpec> ROUTES = new ResourceKind<>("routes", RouteSpec.class,
            RouteSpec::validate, concat(POLICY_SECRETS, ROUTE_HEADER_SECRETS), true)
            .withSecretDestinations(routeSecretDestinations());
    public static final ResourceKind<CertificateSpec> CERTIFICATES =
            new ResourceKind<>("certificates", CertificateSpec.class, CertificateSpec::validate, List.of("key"));
    public static final ResourceKind<ConsumerSpec> CONSUMERS =
            new ResourceKind<>("consumers", ConsumerSpec.class, ConsumerSpec::validate, List.of(), true);
    public static final ResourceKind<CredentialSpec> CREDENTIALS = new ResourceKind<>("credentials",
            CredentialSpec.class, CredentialSpec::validate,
            List.of("key", "keyHash", "password", "passwordHash", "secretKey", "secret", "clientSecret",
                    "clientSecretHash"),
            true, CredentialSecrets::storedForm);
    public static final ResourceKind<SubscriptionSpec> SUBSCRIPTIONS =
            new ResourceKind<>("subscriptions", SubscriptionSpec.class, SubscriptionSpec::validate, List.of(),
                    true);
    public static final ResourceKind<PolicySpec> POLICIES =
            new ResourceKind<>("policies", PolicySpec.class, PolicySpec::validate, List.of("config.clientSecret",
                    "config.keys[].secret", "config.keys[].jwk.k"))
                    .withSecretDestinations(Map.of("config.clientSecret", List.of("type", "config.introspectionUrl")));
    /** Managed by Portico itself, so not in {@link #all()}: declarative documents neither list nor delete them. */
    public static final ResourceKind<SigningKeySpec> SIGNING_KEYS = new ResourceKind<>("signing-keys",
            SigningKeySpec.class, SigningKeySpec::validate, List.of("privateKey"));

    private static final Map<String, ResourceKind<?>> KINDS = new LinkedHashMap<>();
    private static final Map<String, ResourceKind<?>> INTERNAL = new LinkedHashMap<>();

    static {
        register(TEAMS);
        register(SERVICES);
        register(PROVIDERS);
        register(MODELS);
        register(APIS);
        register(ROUTES);
        register(CERTIFICATES);
        register(CONSUMERS);
        register(CREDENTIALS);
        register(SUBSCRIPTIONS);
        register(POLICIES);
        INTERNAL.put(SIGNING_KEYS.name(), SIGNING_KEYS);
    }

    private ResourceKinds() {
    }

    private static Map<String, List<String>> routeSecretDestinations() {
        Map<String, List<String>> destinations = new LinkedHashMap<>(POLICY_SECRET_DESTINATIONS);
        destinations.putAll(sameDestinations(ROUTE_HEADER_SECRETS, List.of("service")));
        return destinations;
    }

    private static List<String> concat(List<String> first, List<String> second) {
        List<String> all = new ArrayList<>(first);
        all.addAll(second);
        return all;
    }

    private static Map<String, List<String>> sameDestinations(List<String> secrets, List<String> destinations) {
        Map<String, List<String>> bySecret = new LinkedHashMap<>();
        secrets.forEach(secret -> bySecret.put(secret, destinations));
        return bySecret;
    }

    private static void register(ResourceKind<?> kind) {
        KINDS.put(kind.name(), kind);
    }

    /** Finds a kind of {@link #all()} or {@link #internal()} by name. */
    public static Optional<ResourceKind<?>> find(String name) {
        ResourceKind<?> kind = KINDS.get(name);
        return Optional.ofNullable(kind == null ? INTERNAL.get(name) : kind);
    }

    /** Every kind, in dependency order: a kind appears after the kinds it refers to. */
    public static List<ResourceKind<?>> all() {
        return List.copyOf(KINDS.values());
    }

    /**
     * Kinds that Portico writes itself, such as the authorization server's signing keys. They are stored and
     * loaded into snapshots like the others, but the admin API's resource routes, declarative documents, export
     * and apply leave them out.
     */
    public static List<ResourceKind<?>> internal() {
        return List.copyOf(INTERNAL.values());
    }
}

package io.portico.config;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The registry of resource kinds, in the order a declarative document lists and applies them. */
public final class ResourceKinds {

    public static final ResourceKind<TeamSpec> TEAMS =
            new ResourceKind<>("teams", TeamSpec.class, TeamSpec::validate, List.of());
    public static final ResourceKind<ServiceSpec> SERVICES =
            new ResourceKind<>("services", ServiceSpec.class, ServiceSpec::validate, List.of("tls.clientKey"));
    public static final ResourceKind<ProviderSpec> PROVIDERS = new ResourceKind<>("providers", ProviderSpec.class,
            ProviderSpec::validate, List.of("keys[].key", "secretAccessKey", "sessionToken", "serviceAccount"));
    public static final ResourceKind<VirtualModelSpec> MODELS =
            new ResourceKind<>("models", VirtualModelSpec.class, VirtualModelSpec::validate, List.of());
    public static final ResourceKind<ApiSpec> APIS =
            new ResourceKind<>("apis", ApiSpec.class, ApiSpec::validate, List.of());
    public static final ResourceKind<RouteSpec> ROUTES =
            new ResourceKind<>("routes", RouteSpec.class, RouteSpec::validate, List.of());
    public static final ResourceKind<CertificateSpec> CERTIFICATES =
            new ResourceKind<>("certificates", CertificateSpec.class, CertificateSpec::validate, List.of("key"));
    public static final ResourceKind<ConsumerSpec> CONSUMERS =
            new ResourceKind<>("consumers", ConsumerSpec.class, ConsumerSpec::validate, List.of());
    public static final ResourceKind<CredentialSpec> CREDENTIALS = new ResourceKind<>("credentials",
            CredentialSpec.class, CredentialSpec::validate,
            List.of("key", "keyHash", "password", "passwordHash", "secretKey", "secret", "clientSecret",
                    "clientSecretHash"));
    public static final ResourceKind<SubscriptionSpec> SUBSCRIPTIONS =
            new ResourceKind<>("subscriptions", SubscriptionSpec.class, SubscriptionSpec::validate, List.of());
    public static final ResourceKind<PolicySpec> POLICIES =
            new ResourceKind<>("policies", PolicySpec.class, PolicySpec::validate, List.of());

    private static final Map<String, ResourceKind<?>> KINDS = new LinkedHashMap<>();

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
    }

    private ResourceKinds() {
    }

    private static void register(ResourceKind<?> kind) {
        KINDS.put(kind.name(), kind);
    }

    public static Optional<ResourceKind<?>> find(String name) {
        return Optional.ofNullable(KINDS.get(name));
    }

    /** Every kind, in dependency order: a kind appears after the kinds it refers to. */
    public static List<ResourceKind<?>> all() {
        return List.copyOf(KINDS.values());
    }
}

package io.portico.ai;

import io.portico.ai.provider.ProviderType;
import io.portico.ai.provider.ProviderTypes;
import io.portico.config.Errors;
import io.portico.config.ProviderSpec;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SpecValidator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/** Checks a provider against its type: the type exists, and the fields it needs are present. */
public final class ProviderSpecValidator implements SpecValidator {

    @Override
    public void validate(ResourceKind<?> kind, Object spec, Errors errors) {
        if (kind != ResourceKinds.PROVIDERS || !(spec instanceof ProviderSpec provider)) {
            return;
        }
        Optional<ProviderType> type = ProviderTypes.find(provider.type());
        if (type.isEmpty()) {
            errors.add("type", "unknown provider type '" + provider.type() + "'; known types: "
                    + ProviderTypes.all().stream().map(ProviderType::id).collect(Collectors.joining(", ")));
            return;
        }
        if (type.get().defaultBaseUrl() == null && provider.baseUrl() == null) {
            errors.add("baseUrl", "is required for type '" + provider.type() + "', which has no public endpoint");
        }
        if (type.get().keyRequired() && provider.keys().isEmpty() && !hasOtherCredentials(provider)) {
            errors.add("keys", "must list at least one key for type '" + provider.type() + "'");
        }
        type.get().validator().accept(provider, errors);
    }

    @Override
    public List<String> knownValues(ResourceKind<?> kind, String field) {
        if (kind != ResourceKinds.PROVIDERS || !field.equals("type")) {
            return List.of();
        }
        return ProviderTypes.all().stream().map(ProviderType::id).toList();
    }

    private static boolean hasOtherCredentials(ProviderSpec provider) {
        return provider.accessKeyId() != null || provider.serviceAccount() != null;
    }
}

package io.portico.config;

import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Checks a resource specification with knowledge the configuration model does not have, such as whether a
 * certificate's private key matches it. Implementations are found through {@link ServiceLoader} and run after a
 * kind's own validation, when the configuration is written and when it is validated offline.
 */
public interface SpecValidator {

    /** Records into {@code errors} what is wrong with {@code spec}, a specification of {@code kind}. */
    void validate(ResourceKind<?> kind, Object spec, Errors errors);

    /**
     * Returns whether this validator reads files on the machine that validates, such as certificate files that a
     * specification names by path. Such a validator runs when the configuration is written or validated, but not
     * when a node loads the stored configuration, so that a node that lacks a file rejects only what uses the
     * file, not the whole configuration version.
     */
    default boolean readsLocalFiles() {
        return false;
    }

    /**
     * Returns the values that this validator accepts for the top-level text field {@code field} of {@code kind},
     * such as the provider types, for the admin API's OpenAPI document; empty when it sets no such rule.
     */
    default List<String> knownValues(ResourceKind<?> kind, String field) {
        return List.of();
    }

    /** Returns every registered validator, loaded once. */
    static List<SpecValidator> registered() {
        return Holder.VALIDATORS;
    }

    /** Loads the registered implementations once. */
    final class Holder {
        private static final List<SpecValidator> VALIDATORS = load();

        private Holder() {
        }

        private static List<SpecValidator> load() {
            List<SpecValidator> validators = new ArrayList<>();
            ServiceLoader.load(SpecValidator.class).forEach(validators::add);
            return List.copyOf(validators);
        }
    }
}

package io.portico.ai;

import static java.util.Objects.requireNonNull;

import io.portico.ai.spi.AiError;
import java.util.HashSet;
import java.util.Set;

/**
 * The choice of keys for the attempts of one request at one provider model: the key pool's next key for the model,
 * without the keys that already failed this request and without the keys that a {@link KeyCheck} rejects.
 */
final class KeySelection {

    private final ProviderRuntime provider;
    private final String model;
    private final KeyCheck check;
    /** The keys that failed this request: the shared empty set until the first failure, then a set of its own. */
    private Set<KeyPool.Key> failed = Set.of();
    /** The keys that a check rejected: the shared empty set until the first rejection, then a set of its own. */
    private Set<KeyPool.Key> excluded = Set.of();
    private AiError rejection;

    /** Creates the selection for the provider's {@code model}; {@code check} is null when no policy checks keys. */
    KeySelection(ProviderRuntime provider, String model, KeyCheck check) {
        this.provider = requireNonNull(provider, "provider");
        this.model = requireNonNull(model, "model");
        this.check = check;
    }

    /**
     * Returns the key for the next attempt: {@link KeyPool#NONE} when the provider has no keys, null when every key
     * failed, rests, was taken out after a rejection or is rejected by the check.
     */
    KeyPool.Key next() {
        return select(true);
    }

    /**
     * Returns the key for the next attempt as {@link #next()} does. With {@code take} false, the pool's rotation
     * stays where it is, so that looking for a key does not skip one.
     */
    private KeyPool.Key select(boolean take) {
        while (true) {
            Set<KeyPool.Key> skipped = excluded.isEmpty() ? failed : union();
            KeyPool.Key key = take ? provider.keys().next(model, skipped) : provider.keys().peek(model, skipped);
            if (key == null || key == KeyPool.NONE || check == null) {
                return key;
            }
            AiError reason = check.reject(provider.name(), key.label());
            if (reason == null) {
                return key;
            }
            if (excluded.isEmpty()) {
                excluded = new HashSet<>();
            }
            excluded.add(key);
            if (rejection == null || reason.retryAfterMillis() < rejection.retryAfterMillis()) {
                rejection = reason;
            }
        }
    }

    private Set<KeyPool.Key> union() {
        Set<KeyPool.Key> union = new HashSet<>(failed);
        union.addAll(excluded);
        return union;
    }

    /**
     * Applies a failed call made with {@code key} to the provider's key pool and to this selection. A 429 rests the
     * key for the model, for the error's Retry-After or a default. A 401 or 403 rests it for the model or takes it
     * out of the pool, as {@link KeyPool#rejected} decides. Returns true when the error is one of those and another
     * key may repeat the call at once, which chat completions and the relayed endpoints then do without counting
     * an attempt.
     *
     * @param configured whether the configuration lists the model, so that a rejection takes the key out of the
     *     pool for every model
     */
    boolean callFailed(KeyPool.Key key, AiError error, boolean configured) {
        int status = error.status();
        KeyPool pool = provider.keys();
        if (status == 429) {
            pool.coolDown(key, model, error.retryAfterMillis());
        } else if (status == 401 || status == 403) {
            pool.rejected(key, model, status, configured, KeyPool.namesModel(error, model));
        } else {
            return false;
        }
        if (key == KeyPool.NONE) {
            return false;
        }
        failed(key);
        return hasNext();
    }

    /** Leaves {@code key} out of the next attempts, after it failed with 401, 403 or 429. */
    void failed(KeyPool.Key key) {
        if (failed.isEmpty()) {
            failed = new HashSet<>();
        }
        failed.add(key);
    }

    /** Returns whether a key is left for another attempt right now. */
    boolean hasNext() {
        return select(false) != null;
    }

    /** Lets keys that failed earlier serve a retry after a backoff, since a cooling key may be ready again. */
    void retryFailed() {
        failed = Set.of();
    }

    /** Returns the error of a request for which {@link #next} found no key. */
    AiError exhausted() {
        if (rejection != null && excluded.size() >= provider.keys().size()) {
            return new AiError(rejection.status(), rejection.type(), rejection.code(), "no key of provider '"
                    + provider.name() + "' may serve the request: " + rejection.message(),
                    rejection.retryAfterMillis());
        }
        if (provider.keys().allRejected(model)) {
            return new AiError(502, "api_error", "provider_authentication_failed", "provider '" + provider.name()
                    + "' rejected every configured key for model '" + model + "'; check the keys in the provider's "
                    + "configuration and that they may use the model", -1);
        }
        String reasons = excluded.isEmpty() ? "is cooling down for model '" + model + "' or was rejected"
                : "is cooling down for model '" + model + "', was rejected or is excluded by a policy such as a"
                + " budget";
        return new AiError(429, "rate_limit_error", AiError.RATE_LIMIT_EXCEEDED, "every key of provider '"
                + provider.name() + "' " + reasons, provider.keys().millisUntilAvailable(model));
    }
}

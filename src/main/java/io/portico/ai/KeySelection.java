package io.portico.ai;

import static java.util.Objects.requireNonNull;

import io.portico.ai.spi.AiError;
import java.util.HashSet;
import java.util.Set;

/**
 * The choice of keys for the attempts of one request at one provider: the key pool's next key, without the keys
 * that already failed this request and without the keys that a {@link KeyCheck} refuses.
 */
final class KeySelection {

    private final ProviderRuntime provider;
    private final KeyCheck check;
    private final Set<KeyPool.Key> failed = new HashSet<>();
    private final Set<KeyPool.Key> refused = new HashSet<>();
    private AiError refusal;

    /** Creates the selection; {@code check} is null when no policy checks keys. */
    KeySelection(ProviderRuntime provider, KeyCheck check) {
        this.provider = requireNonNull(provider, "provider");
        this.check = check;
    }

    /**
     * Returns the key for the next attempt: {@link KeyPool#NONE} when the provider has no keys, null when every key
     * failed, cools down, was revoked or is refused.
     */
    KeyPool.Key next() {
        while (true) {
            Set<KeyPool.Key> excluded = refused.isEmpty() ? failed : union();
            KeyPool.Key key = provider.keys().next(excluded);
            if (key == null || key == KeyPool.NONE || check == null) {
                return key;
            }
            AiError refusedBy = check.refuse(provider.name(), key.label());
            if (refusedBy == null) {
                return key;
            }
            refused.add(key);
            if (refusal == null || refusedBy.retryAfterMillis() < refusal.retryAfterMillis()) {
                refusal = refusedBy;
            }
        }
    }

    private Set<KeyPool.Key> union() {
        Set<KeyPool.Key> union = new HashSet<>(failed);
        union.addAll(refused);
        return union;
    }

    /** Leaves {@code key} out of the next attempts, after it failed with 401, 403 or 429. */
    void failed(KeyPool.Key key) {
        failed.add(key);
    }

    /** Returns whether a key is left for another attempt right now. */
    boolean hasNext() {
        return next() != null;
    }

    /** Lets keys that failed earlier serve a retry after a backoff, since a cooling key may be ready again. */
    void retryFailed() {
        failed.clear();
    }

    /** Returns the error of a request for which {@link #next} found no key. */
    AiError exhausted() {
        if (refusal != null && refused.size() >= provider.keys().size()) {
            return new AiError(refusal.status(), refusal.type(), refusal.code(), "every key of provider '"
                    + provider.name() + "' is refused: " + refusal.message(), refusal.retryAfterMillis());
        }
        String reasons = refused.isEmpty() ? "is cooling down or was rejected"
                : "is cooling down, was rejected or is refused by a budget";
        return new AiError(429, "rate_limit_error", "rate_limited", "every key of provider '" + provider.name()
                + "' " + reasons, provider.keys().millisUntilAvailable());
    }
}

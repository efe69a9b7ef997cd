package io.portico.policy.auth.hmac;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Duration;

/**
 * The nonces of accepted signatures, per access key, remembered in this node's memory for twice the clock skew:
 * long enough that a signed request cannot be replayed with its nonce while its date still passes. {@link Nonces}
 * uses it when the node has no Redis, or while Redis fails.
 */
final class NonceCache {

    private static final int MAX_NONCES = 1_000_000;

    private final Cache<String, Boolean> seen;

    NonceCache(Duration remember) {
        this.seen = Caffeine.newBuilder()
                .maximumSize(MAX_NONCES)
                .expireAfterWrite(remember)
                .executor(Runnable::run)
                .build();
    }

    /** Records {@code nonce} for {@code accessKey}; returns false when it was already recorded. */
    boolean firstUse(String accessKey, String nonce) {
        return seen.asMap().putIfAbsent(accessKey.length() + ":" + accessKey + nonce, Boolean.TRUE) == null;
    }
}

package io.portico.ai;

import io.portico.config.ProviderSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of one provider, shared by every event loop. A key that gets 429 cools down for the provider's
 * Retry-After, or a default. A key that gets 401 or 403 is taken out until the provider's configuration changes,
 * and that is logged once.
 */
final class KeyPool {

    private static final Logger LOG = LoggerFactory.getLogger(KeyPool.class);
    private static final long DEFAULT_COOLDOWN_MILLIS = 1000;

    /** One key and its state. */
    static final class Key {
        private final String secret;
        private final int weight;
        private final String label;
        private volatile long coolUntilNanos;
        private volatile boolean revoked;

        Key(String secret, int weight, String label) {
            this.secret = secret;
            this.weight = weight;
            this.label = label;
        }

        String secret() {
            return secret;
        }

        String label() {
            return label;
        }

        boolean available(long now) {
            return !revoked && weight > 0 && now - coolUntilNanos >= 0;
        }
    }

    /** Stands for "call without a key" when a provider has none configured. */
    static final Key NONE = new Key(null, 1, "none");

    private final String provider;
    private final List<Key> keys;
    private final boolean weighted;
    private final AtomicInteger next = new AtomicInteger();

    KeyPool(ProviderSpec spec) {
        this.provider = spec.name();
        List<Key> list = new ArrayList<>();
        for (int i = 0; i < spec.keys().size(); i++) {
            ProviderSpec.Key key = spec.keys().get(i);
            list.add(new Key(key.key(), key.weight(), key.label() == null ? "#" + (i + 1) : key.label()));
        }
        this.keys = List.copyOf(list);
        this.weighted = "weighted".equals(spec.keyStrategy());
    }

    /** Returns the number of configured keys. */
    int size() {
        return keys.size();
    }

    /** Returns the key for the next call: {@link #NONE} when none is configured, null when all are unavailable. */
    Key next() {
        return next(Set.of());
    }

    /**
     * Returns the key for the next call other than those in {@code excluded}: {@link #NONE} when none is configured,
     * null when every other key is unavailable.
     */
    Key next(Set<Key> excluded) {
        if (keys.isEmpty()) {
            return NONE;
        }
        long now = System.nanoTime();
        return weighted ? nextWeighted(now, excluded) : nextRoundRobin(now, excluded);
    }

    private Key nextRoundRobin(long now, Set<Key> excluded) {
        int start = Math.floorMod(next.getAndIncrement(), keys.size());
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get((start + i) % keys.size());
            if (key.available(now) && !excluded.contains(key)) {
                return key;
            }
        }
        return null;
    }

    private Key nextWeighted(long now, Set<Key> excluded) {
        int total = 0;
        for (Key key : keys) {
            total += key.available(now) && !excluded.contains(key) ? key.weight : 0;
        }
        if (total == 0) {
            return null;
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (Key key : keys) {
            if (key.available(now) && !excluded.contains(key)) {
                pick -= key.weight;
                if (pick < 0) {
                    return key;
                }
            }
        }
        return null;
    }

    /** Rests {@code key} after a 429, for {@code retryAfterMillis} when the provider sent a Retry-After. */
    void coolDown(Key key, long retryAfterMillis) {
        if (key == NONE) {
            return;
        }
        long millis = retryAfterMillis >= 0 ? retryAfterMillis : DEFAULT_COOLDOWN_MILLIS;
        key.coolUntilNanos = System.nanoTime() + millis * 1_000_000;
    }

    /** Takes {@code key} out after the provider rejected it. */
    void revoke(Key key, int status) {
        if (key == NONE || key.revoked) {
            return;
        }
        key.revoked = true;
        LOG.warn("Provider {} rejected key {} with status {}; the key is taken out of the pool until the provider's "
                + "configuration changes", provider, key.label, status);
    }

    /** Returns whether the provider rejected every key of the pool, so no key can become available again. */
    boolean allRevoked() {
        for (Key key : keys) {
            if (key != NONE && !key.revoked) {
                return false;
            }
        }
        return !keys.isEmpty();
    }

    /** Milliseconds until the first cooling key is available again; 0 when one is available or none cools down. */
    long millisUntilAvailable() {
        long now = System.nanoTime();
        long soonest = Long.MAX_VALUE;
        for (Key key : keys) {
            if (key.available(now)) {
                return 0;
            }
            if (!key.revoked) {
                soonest = Math.min(soonest, key.coolUntilNanos - now);
            }
        }
        return soonest == Long.MAX_VALUE ? 0 : Math.max(0, soonest / 1_000_000);
    }

}

package io.portico.ai;

import io.portico.config.ProviderSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys of one provider, shared by every event loop. A 429 cools the key down for the provider model that
 * returned it, for the provider's Retry-After or a default. OpenAI and Anthropic set rate limits per model for the
 * organization or project that owns a key, so the key keeps serving the provider's other models. A key that gets
 * 401 or 403 is taken out for every model until the provider's configuration changes, and that is logged once.
 */
final class KeyPool {

    private static final Logger LOG = LoggerFactory.getLogger(KeyPool.class);
    private static final long DEFAULT_COOLDOWN_MILLIS = 1000;
    /**
     * The maximum number of models one key cools down for at once. Clients may name any model of a provider as
     * {@code provider/model}, so the count is capped: a 429 for another model while every entry is still cooling
     * cools the whole key down instead.
     */
    static final int MAX_COOLING_MODELS = 256;

    /** One key and its state. */
    static final class Key {
        private final String secret;
        private final int weight;
        private final String label;
        /** The end of each model's cool-down in {@link System#nanoTime()} units, without most expired entries. */
        private final Map<String, Long> coolingModels = new ConcurrentHashMap<>();
        /** The end of the cool-down of the whole key, once {@link #coolingModels} was full. */
        private volatile long coolUntilNanos = System.nanoTime();
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

        boolean available(long now, String model) {
            return !revoked && weight > 0 && nanosCooling(now, model) == 0;
        }

        /** Returns the nanoseconds until the key may serve {@code model} again; 0 when it may now. */
        private long nanosCooling(long now, String model) {
            long remaining = Math.max(0, coolUntilNanos - now);
            Long until = coolingModels.get(model);
            if (until != null) {
                if (now - until >= 0) {
                    coolingModels.remove(model, until);
                } else {
                    remaining = Math.max(remaining, until - now);
                }
            }
            return remaining;
        }

        private void coolDown(String model, long now, long until) {
            if (coolingModels.size() >= MAX_COOLING_MODELS && !coolingModels.containsKey(model)) {
                coolingModels.values().removeIf(end -> now - end >= 0);
                if (coolingModels.size() >= MAX_COOLING_MODELS) {
                    coolUntilNanos = until;
                    return;
                }
            }
            coolingModels.put(model, until);
        }

        /** Returns the number of models this key cools down for, expired ones included until they are removed. */
        int coolingModels() {
            return coolingModels.size();
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

    /**
     * Returns the key for the next call of {@code model}: {@link #NONE} when none is configured, null when all are
     * unavailable.
     */
    Key next(String model) {
        return next(model, Set.of());
    }

    /**
     * Returns the key for the next call of {@code model} other than those in {@code excluded}: {@link #NONE} when
     * none is configured, null when every other key is unavailable.
     */
    Key next(String model, Set<Key> excluded) {
        if (keys.isEmpty()) {
            return NONE;
        }
        long now = System.nanoTime();
        return weighted ? nextWeighted(now, model, excluded) : nextRoundRobin(now, model, excluded);
    }

    private Key nextRoundRobin(long now, String model, Set<Key> excluded) {
        int start = Math.floorMod(next.getAndIncrement(), keys.size());
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get((start + i) % keys.size());
            if (key.available(now, model) && !excluded.contains(key)) {
                return key;
            }
        }
        return null;
    }

    private Key nextWeighted(long now, String model, Set<Key> excluded) {
        int total = 0;
        for (Key key : keys) {
            total += key.available(now, model) && !excluded.contains(key) ? key.weight : 0;
        }
        if (total == 0) {
            return null;
        }
        int pick = ThreadLocalRandom.current().nextInt(total);
        for (Key key : keys) {
            if (key.available(now, model) && !excluded.contains(key)) {
                pick -= key.weight;
                if (pick < 0) {
                    return key;
                }
            }
        }
        return null;
    }

    /**
     * Rests {@code key} for {@code model} after a 429, for {@code retryAfterMillis} when the provider sent a
     * Retry-After.
     */
    void coolDown(Key key, String model, long retryAfterMillis) {
        if (key == NONE) {
            return;
        }
        long millis = retryAfterMillis >= 0 ? retryAfterMillis : DEFAULT_COOLDOWN_MILLIS;
        long now = System.nanoTime();
        key.coolDown(model, now, now + millis * 1_000_000);
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

    /**
     * Milliseconds until the first key cooling down for {@code model} is available again; 0 when one is available
     * or none cools down.
     */
    long millisUntilAvailable(String model) {
        long now = System.nanoTime();
        long soonest = Long.MAX_VALUE;
        for (Key key : keys) {
            if (key.available(now, model)) {
                return 0;
            }
            if (!key.revoked) {
                soonest = Math.min(soonest, key.nanosCooling(now, model));
            }
        }
        return soonest == Long.MAX_VALUE ? 0 : Math.max(0, soonest / 1_000_000);
    }

}

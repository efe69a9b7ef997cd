package io.portico.ai;

import io.portico.ai.spi.AiError;
import io.portico.config.ProviderSpec;
import io.portico.logging.WarningLimiter;
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
 * The API keys of one provider, shared by every event loop. A 429 rests the key for the provider model that
 * returned it, for the provider's Retry-After or a default. OpenAI and Anthropic set rate limits per model for the
 * organization or project that owns a key, so the key keeps serving the provider's other models.
 *
 * <p>A 401 or 403 rests the key for that model for {@link #REJECTION_REST_MILLIS}, because providers also return
 * 403 for a valid key that may not use one model, and clients may name any model as {@code provider/model}. The key
 * is taken out of the pool for every model, for {@link #REJECTION_REST_MILLIS} and logged at WARN, when it is
 * rejected on a model that the configuration lists, or on {@link #MAX_REJECTED_MODELS} different models without a
 * successful call in between. A rejection whose error names the model only ever rests the key for that model.
 */
final class KeyPool {

    private static final Logger LOG = LoggerFactory.getLogger(KeyPool.class);
    private static final long DEFAULT_COOLDOWN_MILLIS = 1000;
    /**
     * The maximum number of models one key cools down for at once. Clients may name any model of a provider as
     * {@code provider/model}, so the count is capped: a 429, 401 or 403 for another model while every entry is still
     * resting rests the whole key instead.
     */
    static final int MAX_COOLING_MODELS = 256;
    /** How long a rejected key rests for the model that rejected it, or for every model once taken out. */
    static final long REJECTION_REST_MILLIS = 10 * 60 * 1000;
    /** The number of different models, rejected in a row, after which a key is taken out of the pool. */
    static final int MAX_REJECTED_MODELS = 3;

    /** One key and its state. */
    static final class Key {
        private final String secret;
        private final int weight;
        private final String label;
        /** Each model's rest, without most expired entries. */
        private final Map<String, Rest> restingModels = new ConcurrentHashMap<>();
        /** The end of the rest of the whole key, once {@link #restingModels} was full. */
        private volatile long coolUntilNanos = System.nanoTime();
        /** The end of the time out of the pool after the key was rejected, in {@link System#nanoTime()} units. */
        private volatile long outUntilNanos = System.nanoTime();
        /** The models that rejected the key since its last successful call, up to {@link #MAX_REJECTED_MODELS}. */
        private final Set<String> rejectedModels = ConcurrentHashMap.newKeySet();

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
            return !isOut(now) && weight > 0 && nanosCooling(now, model) == 0;
        }

        private boolean isOut(long now) {
            return now - outUntilNanos < 0;
        }

        /** Returns the nanoseconds until the key may serve {@code model} again; 0 when it may now. */
        private long nanosCooling(long now, String model) {
            long remaining = Math.max(0, coolUntilNanos - now);
            Rest rest = restingModels.get(model);
            if (rest != null) {
                if (now - rest.untilNanos() >= 0) {
                    restingModels.remove(model, rest);
                } else {
                    remaining = Math.max(remaining, rest.untilNanos() - now);
                }
            }
            return remaining;
        }

        /** Returns whether the key rests for {@code model} at {@code now} because the provider rejected it. */
        private boolean rejectedFor(long now, String model) {
            Rest rest = restingModels.get(model);
            return rest != null && rest.rejected() && now - rest.untilNanos() < 0;
        }

        private void rest(String model, long now, Rest rest) {
            if (restingModels.size() >= MAX_COOLING_MODELS && !restingModels.containsKey(model)) {
                restingModels.values().removeIf(entry -> now - entry.untilNanos() >= 0);
                if (restingModels.size() >= MAX_COOLING_MODELS) {
                    coolUntilNanos = rest.untilNanos();
                    return;
                }
            }
            restingModels.put(model, rest);
        }

        /** Returns the number of models this key rests for, expired ones included until they are removed. */
        int coolingModels() {
            return restingModels.size();
        }
    }

    /**
     * The rest of a key for one model.
     *
     * @param untilNanos the end of the rest in {@link System#nanoTime()} units
     * @param rejected true after a 401 or 403, false after a 429
     */
    private record Rest(long untilNanos, boolean rejected) {
    }

    /** Stands for "call without a key" when a provider has none configured. */
    static final Key NONE = new Key(null, 1, "none");

    private final String provider;
    private final List<Key> keys;
    private final boolean weighted;
    private final long rejectionRestMillis;
    /** The rate limit of the WARN line for a rejection of the credentials of a provider without keys. */
    private final WarningLimiter credentialWarnings;
    private final AtomicInteger next = new AtomicInteger();

    KeyPool(ProviderSpec spec) {
        this(spec, REJECTION_REST_MILLIS);
    }

    /** Creates the pool of {@code spec} whose rejected keys rest for {@code rejectionRestMillis}. */
    KeyPool(ProviderSpec spec, long rejectionRestMillis) {
        this.rejectionRestMillis = rejectionRestMillis;
        this.credentialWarnings = new WarningLimiter(rejectionRestMillis * 1_000_000);
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

    /**
     * Returns the first available key from the rotation's position on, and moves the position past that key. Keys
     * that rest or are excluded hand their turn on without taking the next key's, so the available keys share the
     * calls evenly.
     */
    private Key nextRoundRobin(long now, String model, Set<Key> excluded) {
        while (true) {
            int position = next.get();
            int offset = availableOffset(position, now, model, excluded);
            if (offset < 0) {
                return null;
            }
            if (next.compareAndSet(position, position + offset + 1)) {
                return keys.get(Math.floorMod(position + offset, keys.size()));
            }
        }
    }

    /** Returns how far from {@code position} the first available key lies in the rotation, or -1 for none. */
    private int availableOffset(int position, long now, String model, Set<Key> excluded) {
        int start = Math.floorMod(position, keys.size());
        for (int i = 0; i < keys.size(); i++) {
            Key key = keys.get((start + i) % keys.size());
            if (key.available(now, model) && !excluded.contains(key)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * Returns a key other than those in {@code excluded} that could serve {@code model} now, without moving the
     * rotation: {@link #NONE} when none is configured, null when every other key is unavailable.
     */
    Key peek(String model, Set<Key> excluded) {
        if (keys.isEmpty()) {
            return NONE;
        }
        int position = next.get();
        int offset = availableOffset(position, System.nanoTime(), model, excluded);
        return offset < 0 ? null : keys.get(Math.floorMod(position + offset, keys.size()));
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
     * Retry-After, but at most {@link AiError#MAX_RETRY_AFTER_MILLIS}.
     */
    void coolDown(Key key, String model, long retryAfterMillis) {
        if (key == NONE) {
            return;
        }
        long millis = retryAfterMillis >= 0 ? Math.min(retryAfterMillis, AiError.MAX_RETRY_AFTER_MILLIS)
                : DEFAULT_COOLDOWN_MILLIS;
        long now = System.nanoTime();
        key.rest(model, now, new Rest(now + millis * 1_000_000, false));
    }

    /**
     * Rests {@code key} for {@code model}, or takes it out of the pool for every model, after the provider returned
     * {@code status} 401 or 403.
     *
     * @param listed true when the configuration lists {@code model}, so that no client chose it
     * @param modelNamed true when the provider's error names the model, as OpenAI's {@code model_not_found} does
     */
    void rejected(Key key, String model, int status, boolean listed, boolean modelNamed) {
        if (key == NONE) {
            warnRejectedCredentials(model, status);
            return;
        }
        long now = System.nanoTime();
        long until = now + rejectionRestMillis * 1_000_000;
        key.rest(model, now, new Rest(until, true));
        if (modelNamed) {
            if (listed) {
                LOG.warn("Provider {} rejected key {} for model {} with status {}, and the error names the model; "
                        + "the key rests for that model for {} s", provider, key.label, model, status,
                        rejectionRestMillis / 1000);
            } else {
                LOG.debug("Provider {} rejected key {} for model {} with status {}; the key rests for that model",
                        provider, key.label, model, status);
            }
            return;
        }
        if (listed) {
            takeOut(key, now, until, status, "on model " + model + ", which the configuration lists");
            return;
        }
        key.rejectedModels.add(model);
        if (key.rejectedModels.size() >= MAX_REJECTED_MODELS) {
            key.rejectedModels.clear();
            takeOut(key, now, until, status, "on " + MAX_REJECTED_MODELS + " different models in a row, the last "
                    + model);
        } else {
            LOG.debug("Provider {} rejected key {} for model {} with status {}; the key rests for that model",
                    provider, key.label, model, status);
        }
    }

    private void takeOut(Key key, long now, long until, int status, String where) {
        boolean wasOut = key.isOut(now);
        key.outUntilNanos = until;
        if (!wasOut) {
            LOG.warn("Provider {} rejected key {} with status {} {}; the key is taken out of the pool for {} s, "
                    + "then tried again", provider, key.label, status, where, rejectionRestMillis / 1000);
        }
    }

    /**
     * Logs a 401 or 403 of a provider without keys, such as Bedrock with an AWS access key, at most once per
     * rejection rest. Such credentials stay in use, because there is no other key to try.
     */
    private void warnRejectedCredentials(String model, int status) {
        if (credentialWarnings.tryAcquire() == WarningLimiter.SUPPRESSED) {
            return;
        }
        LOG.warn("Provider {} rejected the credentials in its configuration with status {} for model {}; they stay in"
                + " use, and this warning repeats at most every {} s", provider, status, model,
                rejectionRestMillis / 1000);
    }

    /**
     * Returns whether {@code error} is about {@code model} rather than the key: its code is {@code model_not_found},
     * as OpenAI returns 403 for a project without access to a model, or its message names the model as a whole word,
     * as Vertex AI's 403 {@code PERMISSION_DENIED} on a publisher model does.
     */
    static boolean namesModel(AiError error, String model) {
        if ("model_not_found".equals(error.code())) {
            return true;
        }
        String message = error.message();
        if (message == null || model.isEmpty()) {
            return false;
        }
        for (int at = message.indexOf(model); at >= 0; at = message.indexOf(model, at + 1)) {
            int end = at + model.length();
            if ((at == 0 || !isModelChar(message.charAt(at - 1))) && endsWord(message, end)) {
                return true;
            }
        }
        return false;
    }

    /** Returns whether a word ends at {@code end}: the text ends, or a character follows that no model id ends in. */
    private static boolean endsWord(String text, int end) {
        if (end == text.length() || !isModelChar(text.charAt(end))) {
            return true;
        }
        // A full stop ends a sentence when the text ends or a space follows.
        return text.charAt(end) == '.' && (end + 1 == text.length() || Character.isWhitespace(text.charAt(end + 1)));
    }

    private static boolean isModelChar(char c) {
        return Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.' || c == ':';
    }

    /** Notes a successful call with {@code key}, which resets its count of models that rejected it in a row. */
    void succeeded(Key key) {
        if (key != NONE && !key.rejectedModels.isEmpty()) {
            key.rejectedModels.clear();
        }
    }

    /**
     * Returns whether every key of the pool is out of the pool or rests for {@code model} after the provider
     * rejected it, so that no key is left for {@code model} until a rest ends.
     */
    boolean allRejected(String model) {
        long now = System.nanoTime();
        for (Key key : keys) {
            if (!key.isOut(now) && !key.rejectedFor(now, model)) {
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
            if (!key.isOut(now)) {
                soonest = Math.min(soonest, key.nanosCooling(now, model));
            }
        }
        return soonest == Long.MAX_VALUE ? 0 : Math.max(0, soonest / 1_000_000);
    }

}

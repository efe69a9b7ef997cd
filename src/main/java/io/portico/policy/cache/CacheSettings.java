package io.portico.policy.cache;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The configuration of one {@code cache} policy.
 *
 * @param store the store type: {@code local} (this node's heap) or {@code redis} (shared through the node's Redis)
 * @param key the request parts that make up the cache key, in order
 * @param maxObjectSize largest response body stored, in bytes
 * @param defaultTtl freshness given to responses that may be cached but state no lifetime; null for the heuristic
 *     of RFC 9111 section 4.2.2 only (a tenth of the time since {@code Last-Modified})
 * @param maxTtl upper bound on any response's freshness
 * @param chat the cache of chat completions on AI routes; null when AI routes cache nothing
 * @param lock the request collapsing of REST routes
 */
record CacheSettings(String store, List<String> key, long maxObjectSize, Duration defaultTtl, Duration maxTtl,
                     Chat chat, Lock lock) {

    /** The store of a policy whose configuration names none. */
    static final String DEFAULT_STORE = "local";
    /**
     * The key of a policy whose configuration names none. It includes the consumer, so that consumers never share
     * entries on authenticated routes, and anonymous requests share the consumer {@code -}.
     */
    static final List<String> DEFAULT_KEY = List.of("method", "host", "path", "query", "consumer");
    private static final Set<String> PARTS = Set.of("method", "host", "path", "query", "consumer");
    private static final Set<String> STORES = Set.of("local", "redis");
    private static final long DEFAULT_MAX_OBJECT_SIZE = 1024 * 1024;
    private static final long LARGEST_OBJECT_SIZE = 64L * 1024 * 1024;
    private static final Duration DEFAULT_LOCK_TIMEOUT = Duration.ofSeconds(5);
    /** The maximum {@code lock.timeout}, because a waiting request holds its client's connection all that time. */
    private static final Duration MAX_LOCK_TIMEOUT = Duration.ofMinutes(1);
    private static final Set<String> LOCK_FIELDS = Set.of("enabled", "timeout");

    /**
     * The chat completion cache of AI routes.
     *
     * @param perConsumer true when each consumer has its own entries, false when every caller shares them
     * @param ttl how long a completion is served from the cache
     */
    record Chat(boolean perConsumer, Duration ttl) {
    }

    /**
     * Request collapsing on REST routes (see {@link RequestCollapsing}).
     *
     * @param enabled whether a miss waits for a response that an identical request is already fetching
     * @param timeout the maximum time a request waits before it goes to the upstream itself
     */
    record Lock(boolean enabled, Duration timeout) {
    }

    /** Records every invalid field of {@code config} into {@code errors}. */
    static void validate(ObjectNode config, Errors errors) {
        JsonNode store = config.get("store");
        if (store != null && !(store.isTextual() && STORES.contains(store.asText()))) {
            errors.add("store", "must be 'local' or 'redis'");
        }
        JsonNode key = config.get("key");
        if (key != null) {
            if (!key.isArray() || key.isEmpty()) {
                errors.add("key", "must be a non-empty list of request parts");
            } else {
                for (int i = 0; i < key.size(); i++) {
                    validatePart(key.get(i), errors, "key[" + i + "]");
                }
            }
        }
        JsonNode size = config.get("maxObjectSize");
        if (size != null && !(size.canConvertToLong() && size.isIntegralNumber() && size.asLong() >= 1
                && size.asLong() <= LARGEST_OBJECT_SIZE)) {
            errors.add("maxObjectSize", "must be a number of bytes between 1 and " + LARGEST_OBJECT_SIZE);
        }
        duration(config, "defaultTtl", errors);
        duration(config, "maxTtl", errors);
        JsonNode chat = config.get("chat");
        if (chat != null) {
            if (!chat.isObject()) {
                errors.add("chat", "must be an object");
                return;
            }
            JsonNode scope = chat.get("scope");
            if (scope != null && !(scope.isTextual() && Set.of("consumer", "shared").contains(scope.asText()))) {
                errors.add("chat.scope", "must be 'consumer' or 'shared'");
            }
            duration((ObjectNode) chat, "ttl", errors.at("chat"));
        }
        validateLock(config.get("lock"), errors);
    }

    private static void validateLock(JsonNode lock, Errors errors) {
        if (lock == null) {
            return;
        }
        if (!lock.isObject()) {
            errors.add("lock", "must be an object with the fields enabled and timeout");
            return;
        }
        lock.fieldNames().forEachRemaining(name -> {
            if (!LOCK_FIELDS.contains(name)) {
                errors.add("lock." + name, "is unknown, because lock accepts only enabled and timeout");
            }
        });
        JsonNode enabled = lock.get("enabled");
        if (enabled != null && !enabled.isBoolean()) {
            errors.add("lock.enabled", "must be true or false");
        }
        JsonNode timeout = lock.get("timeout");
        if (timeout == null) {
            return;
        }
        try {
            Duration parsed = Durations.parse(timeout);
            if (parsed.isZero() || parsed.compareTo(MAX_LOCK_TIMEOUT) > 0) {
                errors.add("lock.timeout", "must be positive and at most 1m");
            }
        } catch (IllegalArgumentException e) {
            errors.add("lock.timeout", e.getMessage());
        }
    }

    private static void validatePart(JsonNode part, Errors errors, String field) {
        String text = part.isTextual() ? part.asText() : "";
        boolean prefixed = text.startsWith("header:") || text.startsWith("query:");
        boolean named = prefixed && text.indexOf(':') < text.length() - 1;
        if (!PARTS.contains(text) && !named) {
            errors.add(field, "must be method, host, path, query, consumer, query:NAME or header:NAME");
        }
    }

    private static void duration(ObjectNode config, String field, Errors errors) {
        JsonNode value = config.get(field);
        if (value == null) {
            return;
        }
        try {
            if (Durations.parse(value).isZero()) {
                errors.add(field, "must be positive");
            }
        } catch (IllegalArgumentException e) {
            errors.add(field, e.getMessage());
        }
    }

    /** Reads a configuration that {@link #validate} accepted. */
    static CacheSettings of(ObjectNode config) {
        List<String> key = new ArrayList<>();
        if (config.has("key")) {
            config.get("key").forEach(part -> key.add(part.asText()));
        } else {
            key.addAll(DEFAULT_KEY);
        }
        long maxObjectSize = config.has("maxObjectSize") ? config.get("maxObjectSize").asLong()
                : DEFAULT_MAX_OBJECT_SIZE;
        Duration defaultTtl = config.has("defaultTtl") ? Durations.parse(config.get("defaultTtl")) : null;
        Duration maxTtl = config.has("maxTtl") ? Durations.parse(config.get("maxTtl")) : Duration.ofDays(1);
        Chat chat = null;
        JsonNode chatConfig = config.get("chat");
        if (chatConfig != null) {
            boolean perConsumer = !"shared".equals(chatConfig.path("scope").asText("consumer"));
            Duration ttl = chatConfig.has("ttl") ? Durations.parse(chatConfig.get("ttl"))
                    : Duration.ofHours(1);
            chat = new Chat(perConsumer, ttl);
        }
        JsonNode lockConfig = config.path("lock");
        Lock lock = new Lock(lockConfig.path("enabled").asBoolean(true), lockConfig.has("timeout")
                ? Durations.parse(lockConfig.get("timeout")) : DEFAULT_LOCK_TIMEOUT);
        return new CacheSettings(config.path("store").asText(DEFAULT_STORE), List.copyOf(key), maxObjectSize,
                defaultTtl, maxTtl, chat, lock);
    }
}

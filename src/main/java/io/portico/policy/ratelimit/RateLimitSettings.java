package io.portico.policy.ratelimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The configuration of one {@code rate-limit} policy.
 *
 * @param limits the limits, each checked for every request
 * @param key what the limits count per, with the prefix length that IPv6 client addresses are counted by
 * @param cluster whether the counters live in Redis, shared by every node, rather than in each node's memory
 * @param rejectWithoutRedis whether requests get 503 while Redis is unavailable, rather than local counting
 * @param headers whether responses carry {@code RateLimit-Policy} and {@code RateLimit}
 * @param legacyHeaders whether responses carry {@code X-RateLimit-Limit}, {@code -Remaining} and {@code -Reset}
 * @param partitionKey whether the fields carry the {@code pk} parameter
 */
record RateLimitSettings(List<Limit> limits, RequestKey key, boolean cluster, boolean rejectWithoutRedis,
                         boolean headers, boolean legacyHeaders, boolean partitionKey) {

    static final long MAX_REQUESTS = 1_000_000_000L;
    static final int MAX_LIMITS = 16;
    static final int MAX_KEY_PARTS = 8;
    private static final Set<String> FIELDS = Set.of("limits", "key", "mode", "onRedisFailure", "headers",
            "legacyHeaders", "partitionKey", "ipv6Prefix");
    private static final Set<String> LIMIT_FIELDS = Set.of("name", "max", "window", "algorithm", "burst");
    /** Limit names appear as structured-field strings in response fields, so they keep to a safe alphabet. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    /** Records every invalid field of {@code config} into {@code errors}. */
    static void validate(ObjectNode config, Errors errors) {
        unknownFields(config, FIELDS, errors);
        JsonNode limits = config.get("limits");
        if (limits == null || !limits.isArray() || limits.isEmpty()) {
            errors.add("limits", "is required: a list of limits such as {name: per-second, max: 10, window: 1s}");
        } else if (limits.size() > MAX_LIMITS) {
            errors.add("limits", "must not list more than " + MAX_LIMITS + " limits");
        } else {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < limits.size(); i++) {
                validateLimit(limits.get(i), names, errors.at("limits", i));
            }
        }
        JsonNode key = config.get("key");
        if (key != null) {
            if (!key.isArray() || key.size() > MAX_KEY_PARTS) {
                errors.add("key", "must be a list of at most " + MAX_KEY_PARTS + " key parts, such as [consumer]");
            } else {
                Map<String, Integer> seen = new HashMap<>();
                for (int i = 0; i < key.size(); i++) {
                    String problem = key.get(i).isTextual() ? RequestKey.check(key.get(i).asText())
                            : "must be a string";
                    Integer first = problem == null ? seen.putIfAbsent(RequestKey.canonical(key.get(i).asText()), i)
                            : null;
                    if (problem != null) {
                        errors.add("key[" + i + "]", problem);
                    } else if (first != null) {
                        errors.add("key[" + i + "]", "repeats key part '" + key.get(i).asText() + "' of key[" + first
                                + "]; a part adds nothing to the key the second time, so list it once");
                    }
                }
            }
        }
        JsonNode ipv6Prefix = config.get("ipv6Prefix");
        String ipv6PrefixProblem = ipv6Prefix == null ? null : RequestKey.checkIpv6Prefix(ipv6Prefix);
        if (ipv6PrefixProblem != null) {
            errors.add("ipv6Prefix", ipv6PrefixProblem);
        }
        oneOf(config, "mode", List.of("local", "cluster"), errors);
        oneOf(config, "onRedisFailure", List.of("local", "reject"), errors);
        for (String flag : List.of("headers", "legacyHeaders", "partitionKey")) {
            if (config.has(flag) && !config.get(flag).isBoolean()) {
                errors.add(flag, "must be true or false");
            }
        }
    }

    private static void validateLimit(JsonNode limit, Set<String> names, Errors errors) {
        if (!limit.isObject()) {
            errors.add("", "must be an object with name, max and window");
            return;
        }
        unknownFields((ObjectNode) limit, LIMIT_FIELDS, errors);
        JsonNode name = limit.get("name");
        if (name == null) {
            errors.add("name", "is required: letters, digits, '_', '.' and '-', at most 64, such as per-second");
        } else if (!name.isTextual() || !NAME.matcher(name.asText()).matches()) {
            errors.add("name", "must be letters, digits, '_', '.' and '-', at most 64, such as per-second");
        } else if (!names.add(name.asText())) {
            errors.add("name", "'" + name.asText() + "' is used by another limit of this policy");
        }
        positive(limit, "max", true, errors);
        JsonNode window = limit.get("window");
        if (window == null || window.isNull()) {
            errors.add("window", "is required: a duration in whole seconds, such as 1s, 1m or 24h");
        } else {
            try {
                Duration duration = Durations.parse(window);
                if (duration.toMillis() < 1000 || duration.toMillis() % 1000 != 0) {
                    errors.add("window", "is " + Durations.format(duration) + ", but must be whole seconds, at least"
                            + " 1s, since the RateLimit fields count in seconds; a bare number is milliseconds, so"
                            + " 1000 is 1s");
                }
            } catch (IllegalArgumentException e) {
                errors.add("window", e.getMessage());
            }
        }
        JsonNode algorithm = limit.get("algorithm");
        if (algorithm != null && (!algorithm.isTextual() || Algorithm.byName(algorithm.asText()) == null)) {
            errors.add("algorithm", "must be one of fixed-window, sliding-window, token-bucket");
        }
        if (limit.has("burst")) {
            positive(limit, "burst", false, errors);
            if (algorithm == null || Algorithm.byName(algorithm.asText()) != Algorithm.TOKEN_BUCKET) {
                errors.add("burst", "applies to the token-bucket algorithm only");
            }
        }
    }

    /** Parses a configuration that {@link #validate} accepted. */
    static RateLimitSettings parse(ObjectNode config) {
        List<Limit> limits = new ArrayList<>();
        for (JsonNode limit : config.get("limits")) {
            long max = limit.get("max").asLong();
            Algorithm algorithm = limit.has("algorithm") ? Algorithm.byName(limit.get("algorithm").asText())
                    : Algorithm.SLIDING_WINDOW;
            long window = Durations.parse(limit.get("window")).toSeconds();
            limits.add(new Limit(limit.get("name").asText(), algorithm, max, window, limit.path("burst").asLong(max)));
        }
        List<String> key = new ArrayList<>();
        if (config.has("key")) {
            config.get("key").forEach(part -> key.add(part.asText()));
        } else {
            key.add("consumer");
        }
        return new RateLimitSettings(List.copyOf(limits), RequestKey.parse(key, RequestKey.ipv6Prefix(config)),
                config.path("mode").asText("local").equals("cluster"),
                config.path("onRedisFailure").asText("local").equals("reject"),
                config.path("headers").asBoolean(true),
                config.path("legacyHeaders").asBoolean(false),
                config.path("partitionKey").asBoolean(false));
    }

    /** Returns a text that identifies the algorithms and windows of the limits, for keys of in-memory counters. */
    String limitsSignature() {
        StringBuilder signature = new StringBuilder();
        for (Limit limit : limits) {
            signature.append(limit.name()).append(':').append(limit.algorithm().scriptCode())
                    .append(limit.windowSeconds()).append(';');
        }
        return signature.toString();
    }

    private static void positive(JsonNode parent, String field, boolean required, Errors errors) {
        JsonNode value = parent.get(field);
        if (value == null) {
            if (required) {
                errors.add(field, "is required: a whole number from 1 to " + MAX_REQUESTS);
            }
            return;
        }
        if (!value.canConvertToLong() || !value.isIntegralNumber() || value.asLong() < 1
                || value.asLong() > MAX_REQUESTS) {
            errors.add(field, "must be a whole number from 1 to " + MAX_REQUESTS);
        }
    }

    private static void oneOf(ObjectNode config, String field, List<String> values, Errors errors) {
        JsonNode value = config.get(field);
        if (value != null && (!value.isTextual() || !values.contains(value.asText()))) {
            errors.add(field, "must be one of " + String.join(", ", values));
        }
    }

    private static void unknownFields(ObjectNode object, Set<String> known, Errors errors) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!known.contains(name)) {
                errors.add(name, "is not a setting of this policy (known: " + String.join(", ", known.stream()
                        .sorted().toList()) + ")");
            }
        }
    }
}

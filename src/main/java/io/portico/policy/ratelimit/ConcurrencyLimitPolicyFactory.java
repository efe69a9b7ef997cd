package io.portico.policy.ratelimit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Durations;
import io.portico.config.Errors;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyContext;
import io.portico.pipeline.PolicyFactory;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Creates {@code concurrency-limit} policies; see docs/traffic-control.md for the configuration. */
public final class ConcurrencyLimitPolicyFactory implements PolicyFactory {

    static final int MAX_IN_FLIGHT = 1_000_000;
    static final int MAX_QUEUE = 100_000;
    static final Duration MAX_QUEUE_TIMEOUT = Duration.ofMinutes(5);
    static final Duration DEFAULT_QUEUE_TIMEOUT = Duration.ofSeconds(1);
    /** Key of the node's gates, which every concurrency-limit policy of the node shares. */
    private static final String GATES = "concurrency-limit:gates";
    private static final Set<String> FIELDS = Set.of("max", "key", "queue", "queueTimeout", "ipv6Prefix");
    private static final List<String> KEYS = List.of("route", "service", "consumer");

    @Override
    public String name() {
        return "concurrency-limit";
    }

    @Override
    public void validate(ObjectNode config, Errors errors) {
        for (Iterator<String> names = config.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add(name, "is not a setting of this policy (known: ipv6Prefix, key, max, queue, queueTimeout)");
            }
        }
        JsonNode max = config.get("max");
        if (max == null) {
            errors.add("max", "is required: a whole number from 1 to " + MAX_IN_FLIGHT);
        } else if (!max.isIntegralNumber() || max.asLong() < 1 || max.asLong() > MAX_IN_FLIGHT) {
            errors.add("max", "must be a whole number from 1 to " + MAX_IN_FLIGHT);
        }
        JsonNode key = config.get("key");
        if (key != null && (!key.isTextual() || !KEYS.contains(key.asText().toLowerCase(Locale.ROOT)))) {
            errors.add("key", "must be one of " + String.join(", ", KEYS));
        }
        JsonNode ipv6Prefix = config.get("ipv6Prefix");
        if (ipv6Prefix != null) {
            String problem = RequestKey.checkIpv6Prefix(ipv6Prefix);
            if (problem != null) {
                errors.add("ipv6Prefix", problem);
            } else if (!config.path("key").asText("route").equalsIgnoreCase("consumer")) {
                errors.add("ipv6Prefix", "applies to key: consumer only, where anonymous requests count per client"
                        + " address; remove it or set key: consumer");
            }
        }
        JsonNode queue = config.get("queue");
        if (queue != null && (!queue.isIntegralNumber() || queue.asLong() < 0 || queue.asLong() > MAX_QUEUE)) {
            errors.add("queue", "must be a whole number from 0 to " + MAX_QUEUE);
        }
        JsonNode timeout = config.get("queueTimeout");
        if (timeout != null) {
            try {
                Duration duration = Durations.parse(timeout);
                if (duration.isZero() || duration.compareTo(MAX_QUEUE_TIMEOUT) > 0) {
                    errors.add("queueTimeout", "must be a duration from 1ms to 5m");
                }
            } catch (IllegalArgumentException e) {
                errors.add("queueTimeout", e.getMessage());
            }
        }
    }

    @Override
    public Policy create(ObjectNode config, PolicyContext context) {
        ConcurrentHashMap<String, ConcurrencyGate> gates = context.perNode(GATES, ConcurrentHashMap::new);
        Duration timeout = config.has("queueTimeout") ? Durations.parse(config.get("queueTimeout"))
                : DEFAULT_QUEUE_TIMEOUT;
        ConcurrencyLimitPolicy.KeyKind key = ConcurrencyLimitPolicy.KeyKind.valueOf(
                config.path("key").asText("route").toUpperCase(Locale.ROOT));
        return new ConcurrencyLimitPolicy(config.get("max").asInt(), config.path("queue").asInt(0),
                timeout.toMillis(), key, RequestKey.ipv6Prefix(config), context.declaredIn(), gates);
    }
}

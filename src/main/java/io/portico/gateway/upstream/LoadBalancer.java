package io.portico.gateway.upstream;

import io.portico.config.ServiceSpec;
import java.util.Collection;
import java.util.List;

/**
 * Chooses a target for one request among the targets of a service. Implementations are immutable apart from
 * their own rotation counters and are safe to call from several event loops at once.
 */
interface LoadBalancer {

    /**
     * Returns an available target with a positive weight that is not in {@code excluded}, or null when none is.
     */
    TargetState select(SelectionContext ctx, Collection<TargetState> excluded);

    /** Creates the balancer that {@code balancing.algorithm} names, over {@code targets} and their weights. */
    static LoadBalancer create(ServiceSpec.LoadBalancing balancing, List<TargetState> targets) {
        return switch (balancing.algorithm()) {
            case "round-robin" -> new RoundRobinBalancer(targets);
            case "least-connections" -> new LeastConnectionsBalancer(targets);
            case "consistent-hash" -> new ConsistentHashBalancer(targets, balancing.hashOn());
            case "least-latency" -> new LeastLatencyBalancer(targets);
            default -> throw new IllegalArgumentException("unknown load balancing algorithm '"
                    + balancing.algorithm() + "': expected round-robin, least-connections, consistent-hash or "
                    + "least-latency");
        };
    }

    /** Returns whether {@code target}, of weight {@code weight}, may receive the request. */
    static boolean eligible(TargetState target, int weight, Collection<TargetState> excluded) {
        return weight > 0 && target.available() && (excluded.isEmpty() || !excluded.contains(target));
    }
}

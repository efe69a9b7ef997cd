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

    /**
     * Creates the balancer that {@code balancing.algorithm} names, over {@code targets} with {@code weights[i]} the
     * weight of {@code targets.get(i)}. The weights are passed rather than read from the targets because a new
     * configuration's balancer is built before its weights are applied to the targets that the running one shares.
     */
    static LoadBalancer create(ServiceSpec.LoadBalancing balancing, List<TargetState> targets, int[] weights) {
        return switch (balancing.algorithm()) {
            case "round-robin" -> new RoundRobinBalancer(targets, weights);
            case "least-connections" -> new LeastConnectionsBalancer(targets, weights);
            case "consistent-hash" -> new ConsistentHashBalancer(targets, weights, balancing.hashOn());
            case "least-latency" -> new LeastLatencyBalancer(targets, weights);
            default -> throw new IllegalArgumentException("unknown load balancing algorithm '"
                    + balancing.algorithm() + "': expected round-robin, least-connections, consistent-hash or "
                    + "least-latency");
        };
    }

    /** Returns a copy of {@code weights}, which must have one entry per target. */
    static int[] checkWeights(TargetState[] targets, int[] weights) {
        if (weights.length != targets.length) {
            throw new IllegalArgumentException(weights.length + " weights for " + targets.length + " targets");
        }
        return weights.clone();
    }

    /** Returns whether {@code target}, of weight {@code weight}, may receive the request. */
    static boolean eligible(TargetState target, int weight, Collection<TargetState> excluded) {
        return weight > 0 && target.available() && (excluded.isEmpty() || !excluded.contains(target));
    }
}

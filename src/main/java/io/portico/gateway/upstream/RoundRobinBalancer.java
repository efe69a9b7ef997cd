package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;

/**
 * Smooth weighted round robin: each selection adds every eligible target's weight to its running score, picks
 * the highest score and subtracts the sum of the eligible weights from it. Over any run of {@code sum(weights)}
 * selections with a stable set of eligible targets, each target is chosen exactly {@code weight} times, spread out
 * rather than in bursts (weights 5, 1, 1 give a a b a c a a).
 *
 * <p>Selection holds this balancer's lock for one pass over the targets, so it suits the usual handful of
 * targets per service.
 */
final class RoundRobinBalancer implements LoadBalancer {

    private final TargetState[] targets;
    private final int[] weights;
    private final long[] scores;

    /** Balances over {@code targets}, where {@code weights[i]} is the weight of {@code targets.get(i)}. */
    RoundRobinBalancer(List<TargetState> targets, int[] weights) {
        this.targets = targets.toArray(TargetState[]::new);
        this.weights = LoadBalancer.checkWeights(this.targets, weights);
        this.scores = new long[this.targets.length];
    }

    @Override
    public synchronized TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        long total = 0;
        int best = -1;
        for (int i = 0; i < targets.length; i++) {
            if (!LoadBalancer.eligible(targets[i], weights[i], excluded)) {
                continue;
            }
            scores[i] += weights[i];
            total += weights[i];
            if (best < 0 || scores[i] > scores[best]) {
                best = i;
            }
        }
        if (best < 0) {
            return null;
        }
        scores[best] -= total;
        return targets[best];
    }
}

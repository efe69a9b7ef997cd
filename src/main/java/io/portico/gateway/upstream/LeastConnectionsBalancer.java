package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the eligible target with the fewest requests in flight per unit of weight. Each selection starts its
 * scan one position further, so ties rotate among the tied targets.
 */
final class LeastConnectionsBalancer implements LoadBalancer {

    private final TargetState[] targets;
    private final int[] weights;
    private final AtomicInteger cursor = new AtomicInteger();

    LeastConnectionsBalancer(List<TargetState> targets) {
        this.targets = targets.toArray(TargetState[]::new);
        this.weights = new int[this.targets.length];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = this.targets[i].weight();
        }
    }

    @Override
    public TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        int count = targets.length;
        if (count == 0) {
            return null;
        }
        int start = Math.floorMod(cursor.getAndIncrement(), count);
        int best = -1;
        long bestInFlight = 0;
        for (int step = 0; step < count; step++) {
            int i = (start + step) % count;
            if (!LoadBalancer.eligible(targets[i], weights[i], excluded)) {
                continue;
            }
            long inFlight = targets[i].inFlight();
            // inFlight / weight < bestInFlight / bestWeight, compared without division
            if (best < 0 || inFlight * weights[best] < bestInFlight * weights[i]) {
                best = i;
                bestInFlight = inFlight;
            }
        }
        return best < 0 ? null : targets[best];
    }
}

package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;

/**
 * Picks the eligible target with the fewest requests in flight per unit of weight. Each selection starts its
 * scan one position further, so ties rotate among the tied targets.
 */
final class LeastConnectionsBalancer implements LoadBalancer {

    private final RotatingScan scan;

    LeastConnectionsBalancer(List<TargetState> targets, int[] weights) {
        this.scan = new RotatingScan(targets, weights);
    }

    @Override
    public TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        int start = scan.nextStart();
        int best = -1;
        long bestInFlight = 0;
        for (int step = 0; step < scan.size(); step++) {
            int i = scan.indexAt(start, step);
            if (!scan.eligible(i, excluded)) {
                continue;
            }
            long inFlight = scan.target(i).inFlight();
            // inFlight / weight < bestInFlight / bestWeight, compared without division
            if (best < 0 || inFlight * scan.weight(best) < bestInFlight * scan.weight(i)) {
                best = i;
                bestInFlight = inFlight;
            }
        }
        return best < 0 ? null : scan.target(best);
    }
}

package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;

/**
 * Picks the eligible target with the lowest expected wait, {@code latency * (inFlight + 1) / weight}, so a fast
 * target stops attracting traffic once requests queue on it. The latency is the target's EWMA, halved for every
 * 10 seconds without a sample (see {@link TargetState}), so a target avoided for being slow is retried now and then.
 *
 * <p>A target without a latency sample yet (new, or never responded) is chosen as soon as it has no request in
 * flight, so new targets get probed. While its first request is in flight it is costed with the slowest known
 * latency among the eligible targets, so it is not flooded before that request returns. A target for which
 * {@link TargetState#latencyProbeDue()} holds, one that last responded in time but has had no sample for 5 seconds,
 * is chosen the same way, so a target that was slow for a while gets traffic again soon after it recovers. Ties
 * rotate like {@link LeastConnectionsBalancer}.
 */
final class LeastLatencyBalancer implements LoadBalancer {

    private final RotatingScan scan;

    LeastLatencyBalancer(List<TargetState> targets, int[] weights) {
        this.scan = new RotatingScan(targets, weights);
    }

    @Override
    public TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        int start = scan.nextStart();
        double slowest = 0;
        boolean anyEligible = false;
        for (int step = 0; step < scan.size(); step++) {
            int i = scan.indexAt(start, step);
            if (!scan.eligible(i, excluded)) {
                continue;
            }
            anyEligible = true;
            TargetState target = scan.target(i);
            if (!target.latencyKnown()) {
                if (target.inFlight() == 0) {
                    return target;
                }
            } else {
                if (target.inFlight() == 0 && target.latencyProbeDue()) {
                    return target;
                }
                slowest = Math.max(slowest, target.latencyEstimate());
            }
        }
        return anyEligible ? cheapest(start, slowest, excluded) : null;
    }

    private TargetState cheapest(int start, double slowest, Collection<TargetState> excluded) {
        int best = -1;
        double bestCost = 0;
        for (int step = 0; step < scan.size(); step++) {
            int i = scan.indexAt(start, step);
            if (!scan.eligible(i, excluded)) {
                continue;
            }
            TargetState target = scan.target(i);
            double latency = target.latencyKnown() ? target.latencyEstimate() : slowest;
            // The +1 keeps the in-flight penalty meaningful while latency is still 0 for every target.
            double cost = (latency + 1) * (target.inFlight() + 1) / scan.weight(i);
            if (best < 0 || cost < bestCost) {
                best = i;
                bestCost = cost;
            }
        }
        return best < 0 ? null : scan.target(best);
    }
}

package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Picks the eligible target with the lowest expected wait, {@code latency * (inFlight + 1) / weight}, so a fast
 * target stops attracting traffic once requests queue on it. The latency is the target's EWMA, halved for every
 * 10 seconds without a sample (see {@link TargetState}), so a target avoided for being slow is retried now and then.
 *
 * <p>A target without a latency sample yet (new, or never responded) is chosen as soon as it has no request in
 * flight, so new targets get probed. While its first request is in flight it is costed with the slowest known
 * latency among the eligible targets, so it is not flooded before that request returns. Ties rotate like
 * {@link LeastConnectionsBalancer}.
 */
final class LeastLatencyBalancer implements LoadBalancer {

    private final TargetState[] targets;
    private final int[] weights;
    private final AtomicInteger cursor = new AtomicInteger();

    LeastLatencyBalancer(List<TargetState> targets) {
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
        double slowest = 0;
        boolean anyEligible = false;
        for (int step = 0; step < count; step++) {
            int i = (start + step) % count;
            TargetState target = targets[i];
            if (!LoadBalancer.eligible(target, weights[i], excluded)) {
                continue;
            }
            anyEligible = true;
            if (!target.latencyKnown()) {
                if (target.inFlight() == 0) {
                    return target;
                }
            } else {
                slowest = Math.max(slowest, target.latencyEstimate());
            }
        }
        return anyEligible ? cheapest(start, slowest, excluded) : null;
    }

    private TargetState cheapest(int start, double slowest, Collection<TargetState> excluded) {
        int count = targets.length;
        int best = -1;
        double bestCost = 0;
        for (int step = 0; step < count; step++) {
            int i = (start + step) % count;
            TargetState target = targets[i];
            if (!LoadBalancer.eligible(target, weights[i], excluded)) {
                continue;
            }
            double latency = target.latencyKnown() ? target.latencyEstimate() : slowest;
            // The +1 keeps the in-flight penalty meaningful while latency is still 0 for every target.
            double cost = (latency + 1) * (target.inFlight() + 1) / weights[i];
            if (best < 0 || cost < bestCost) {
                best = i;
                bestCost = cost;
            }
        }
        return best < 0 ? null : targets[best];
    }
}

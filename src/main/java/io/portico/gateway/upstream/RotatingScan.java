package io.portico.gateway.upstream;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The targets of a balancer that examines all of them for each selection. Each scan starts one position further
 * than the previous one, so ties rotate among the tied targets.
 */
final class RotatingScan {

    private final TargetState[] targets;
    private final int[] weights;
    private final AtomicInteger cursor = new AtomicInteger();

    /** Scans {@code targets}, where {@code weights[i]} is the weight of {@code targets.get(i)}. */
    RotatingScan(List<TargetState> targets, int[] weights) {
        this.targets = targets.toArray(TargetState[]::new);
        this.weights = LoadBalancer.checkWeights(this.targets, weights);
    }

    int size() {
        return targets.length;
    }

    /** Returns the index where the next scan starts; -1 when there is no target. */
    int nextStart() {
        return targets.length == 0 ? -1 : Math.floorMod(cursor.getAndIncrement(), targets.length);
    }

    /** Returns the index of the target at {@code step} of a scan that started at {@code start}. */
    int indexAt(int start, int step) {
        return (start + step) % targets.length;
    }

    TargetState target(int index) {
        return targets[index];
    }

    int weight(int index) {
        return weights[index];
    }

    /** Returns true when the target at {@code index} may receive the request. */
    boolean eligible(int index, Collection<TargetState> excluded) {
        return LoadBalancer.eligible(targets[index], weights[index], excluded);
    }
}

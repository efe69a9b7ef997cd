package io.portico.gateway.upstream;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;

/**
 * Consistent hashing on a ring of virtual nodes. Each target owns {@code weight * 1.6} points (160 for the default
 * weight of 100), placed by hashing {@code address#index}, so the ring depends only on the target addresses and
 * weights. Adding or removing a target moves only the keys of the ring arcs it gains or loses. A request hashes
 * its key onto the ring and takes the owner of the next point clockwise. When that target is unavailable or
 * excluded, it walks on to the next point owned by another target.
 *
 * <p>The key is chosen by {@code hashOn}: {@code client-ip}, {@code consumer} or {@code header:NAME}. A missing
 * consumer or header falls back to the client IP.
 */
final class ConsistentHashBalancer implements LoadBalancer {

    private static final int POINTS_PER_100_WEIGHT = 160;
    private static final int MAX_RING_SIZE = 1 << 16;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private final TargetState[] targets;
    private final int[] weights;
    private final long[] points;
    private final int[] owners;
    private final int ownerCount;
    private final KeySource keySource;

    /** Balances over {@code targets}, where {@code weights[i]} is the weight of {@code targets.get(i)}. */
    ConsistentHashBalancer(List<TargetState> targets, int[] weights, String hashOn) {
        this.targets = targets.toArray(TargetState[]::new);
        this.weights = LoadBalancer.checkWeights(this.targets, weights);
        this.keySource = KeySource.parse(hashOn);
        List<long[]> ring = buildRing();
        this.points = new long[ring.size()];
        this.owners = new int[ring.size()];
        for (int i = 0; i < ring.size(); i++) {
            points[i] = ring.get(i)[0];
            owners[i] = (int) ring.get(i)[1];
        }
        this.ownerCount = (int) Arrays.stream(weights).filter(weight -> weight > 0).count();
    }

    @Override
    public TargetState select(SelectionContext ctx, Collection<TargetState> excluded) {
        if (points.length == 0) {
            return null;
        }
        int index = Arrays.binarySearch(points, hash(keySource.key(ctx)));
        if (index < 0) {
            index = -index - 1;
        }
        boolean[] rejected = null;
        int rejectedCount = 0;
        for (int step = 0; step < points.length && rejectedCount < ownerCount; step++) {
            int owner = owners[(index + step) % points.length];
            if (rejected != null && rejected[owner]) {
                continue;
            }
            if (LoadBalancer.eligible(targets[owner], weights[owner], excluded)) {
                return targets[owner];
            }
            if (rejected == null) {
                rejected = new boolean[targets.length];
            }
            rejected[owner] = true;
            rejectedCount++;
        }
        return null;
    }

    /** Returns the ring as sorted (point, owner index) pairs. */
    private List<long[]> buildRing() {
        long unscaledSize = 0;
        for (int weight : weights) {
            unscaledSize += pointsFor(weight, 1.0);
        }
        double scale = unscaledSize > MAX_RING_SIZE ? (double) MAX_RING_SIZE / unscaledSize : 1.0;
        List<long[]> ring = new ArrayList<>();
        for (int i = 0; i < targets.length; i++) {
            int count = pointsFor(weights[i], scale);
            for (int point = 0; point < count; point++) {
                ring.add(new long[] {hash(targets[i].address() + "#" + point), i});
            }
        }
        ring.sort((left, right) -> Long.compare(left[0], right[0]));
        return ring;
    }

    private static int pointsFor(int weight, double scale) {
        if (weight <= 0) {
            return 0;
        }
        return Math.max(1, (int) Math.round((double) weight * POINTS_PER_100_WEIGHT / 100 * scale));
    }

    /** Hashes {@code text} with 64-bit FNV-1a over its UTF-16 code units, then MurmurHash3's 64-bit finalizer. */
    static long hash(String text) {
        long hash = FNV_OFFSET;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            hash = (hash ^ (c & 0xff)) * FNV_PRIME;
            hash = (hash ^ (c >>> 8)) * FNV_PRIME;
        }
        hash ^= hash >>> 33;
        hash *= 0xff51afd7ed558ccdL;
        hash ^= hash >>> 33;
        hash *= 0xc4ceb9fe1a85ec53L;
        hash ^= hash >>> 33;
        return hash;
    }

    /** Source of a request's hash key: {@code client-ip}, {@code consumer} or a header. */
    private record KeySource(String kind, String headerName) {

        static KeySource parse(String hashOn) {
            if (hashOn.startsWith("header:")) {
                return new KeySource("header", hashOn.substring("header:".length()));
            }
            return new KeySource(hashOn, null);
        }

        String key(SelectionContext ctx) {
            String key = switch (kind) {
                case "consumer" -> ctx.consumer();
                case "header" -> ctx.headerValue(headerName);
                default -> null;
            };
            if (key == null) {
                key = ctx.clientIp();
            }
            return key == null ? "" : key;
        }
    }
}

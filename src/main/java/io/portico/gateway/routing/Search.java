package io.portico.gateway.routing;

/**
 * The state of one {@link Router#match} call: the best entry found so far, and counts of the work done that
 * tests use to show that a lookup does not scan all routes.
 *
 * <p>Entry arrays are sorted by {@link RouteEntry#order()}, so an offer stops at the first entry that cannot
 * beat the best one, or at the first whose conditions hold.
 */
final class Search {

    private final RequestView request;
    private final String path;
    private RouteEntry best;
    private int bestOrder = Integer.MAX_VALUE;
    private int examined;
    private int visited;

    Search(RequestView request, String path) {
        this.request = request;
        this.path = path;
    }

    String path() {
        return path;
    }

    RouteEntry best() {
        return best;
    }

    /** Returns whether an entry of order {@code order} would beat the best entry found so far. */
    boolean canImprove(int order) {
        return order < bestOrder;
    }

    /** Returns how many entries had their conditions or regular expression checked. */
    int examined() {
        return examined;
    }

    /** Returns how many path indexes and trie nodes the lookup entered. */
    int visited() {
        return visited;
    }

    /** Counts a path index or trie node that the lookup entered. */
    void visit() {
        visited++;
    }

    /**
     * Offers entries whose host and path match the request. The first one that ranks before the best so far and
     * whose conditions hold becomes the best.
     */
    void offer(RouteEntry[] entries) {
        for (RouteEntry entry : entries) {
            if (entry.order() >= bestOrder) {
                return;
            }
            examined++;
            if (entry.route().conditionsHold(request)) {
                accept(entry);
                return;
            }
        }
    }

    /**
     * Offers regular-expression entries whose host matches the request. The first one that ranks before the best
     * so far, whose expression is found in the path and whose conditions hold becomes the best.
     */
    void offerRegex(RouteEntry[] entries) {
        for (RouteEntry entry : entries) {
            if (entry.order() >= bestOrder) {
                return;
            }
            examined++;
            if (entry.path().find(path) && entry.route().conditionsHold(request)) {
                accept(entry);
                return;
            }
        }
    }

    private void accept(RouteEntry entry) {
        best = entry;
        bestOrder = entry.order();
    }
}

package io.portico.admin;

import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.MultiMap;
import io.vertx.ext.web.RoutingContext;
import java.util.List;

/**
 * The check of the query parameters of admin routes that take a fixed set of them. Without it a misspelt parameter
 * is ignored, so {@code DELETE /cache?rout=orders} would purge every route's entries and
 * {@code GET /quotas?consumr=acme} would list every consumer's counters.
 */
final class AdminQueryParameters {

    private AdminQueryParameters() {
    }

    /**
     * Checks that every query parameter of the request is one of {@code accepted} and appears once.
     *
     * @throws Problem 400 naming the parameter and the accepted ones
     */
    static void check(RoutingContext ctx, List<String> accepted) {
        MultiMap parameters = ctx.queryParams();
        for (String name : parameters.names()) {
            if (!accepted.contains(name)) {
                throw new Problem(ProblemType.BAD_REQUEST, "unknown query parameter '" + name + "'; "
                        + ctx.request().method() + " " + ctx.request().path() + " takes "
                        + (accepted.isEmpty() ? "none" : String.join(", ", accepted)));
            }
            int count = parameters.getAll(name).size();
            if (count > 1) {
                throw new Problem(ProblemType.BAD_REQUEST, "query parameter '" + name + "' is given " + count
                        + " times; give it once");
            }
        }
    }
}

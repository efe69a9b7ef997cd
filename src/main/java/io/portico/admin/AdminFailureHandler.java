package io.portico.admin;

import io.portico.config.ValidationException;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.portico.store.ConflictException;
import io.portico.store.NotFoundException;
import io.portico.store.StoreException;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place that turns a failed admin request into an {@code application/problem+json} response.
 *
 * <table>
 *   <caption>Failure to response</caption>
 *   <tr><th>Failure</th><th>Status and problem type</th></tr>
 *   <tr><td>{@link Problem}</td><td>its own</td></tr>
 *   <tr><td>{@link ValidationException}</td><td>400 invalid-configuration, with one entry per field</td></tr>
 *   <tr><td>{@link ConflictException}</td><td>412 precondition-failed on a revision mismatch, else 409</td></tr>
 *   <tr><td>{@link NotFoundException}</td><td>404 not-found</td></tr>
 *   <tr><td>other {@link StoreException}</td><td>503 store-unavailable, logged at DEBUG when the database is
 *       unreachable and at WARN otherwise</td></tr>
 *   <tr><td>status only (no route, body too large)</td><td>the matching type</td></tr>
 *   <tr><td>other failure with a 4xx status, such as the router's own rejection of an invalid Host</td>
 *       <td>the type matching the status, logged at DEBUG</td></tr>
 *   <tr><td>anything else</td><td>500 internal-error, logged once at ERROR</td></tr>
 * </table>
 */
final class AdminFailureHandler implements Handler<RoutingContext> {

    private static final Logger LOG = LoggerFactory.getLogger(AdminFailureHandler.class);

    @Override
    public void handle(RoutingContext ctx) {
        // Authentication pauses the request until the body handler reads it. A failure before that, such as a
        // body over the limit that its Content-Length announces, must resume it so the client can finish sending.
        ctx.request().resume();
        toProblem(ctx).send(ctx.response(), null);
    }

    private static Problem toProblem(RoutingContext ctx) {
        Throwable failure = ctx.failure();
        if (failure == null) {
            return forStatus(ctx);
        }
        if (failure instanceof Problem problem) {
            return problem;
        }
        if (failure instanceof ValidationException invalid) {
            return new Problem(ProblemType.INVALID_CONFIGURATION, invalid.summary(), invalid.errors());
        }
        if (failure instanceof ConflictException conflict) {
            return new Problem(conflict.revisionMismatch() ? ProblemType.PRECONDITION_FAILED : ProblemType.CONFLICT,
                    conflict.getMessage());
        }
        if (failure instanceof NotFoundException notFound) {
            return new Problem(ProblemType.NOT_FOUND, notFound.getMessage());
        }
        if (failure instanceof StoreException storeFailure) {
            logStoreFailure(ctx, storeFailure);
            return new Problem(ProblemType.STORE_UNAVAILABLE, "the configuration store is unavailable; retry later");
        }
        if (ctx.statusCode() >= 400 && ctx.statusCode() < 500) {
            // Vert.x Web fails a request that it rejects itself with a status and an exception. The client caused it.
            LOG.debug("Admin request {} {} rejected with status {}: {}", ctx.request().method(), ctx.request().path(),
                    ctx.statusCode(), failure.toString());
            return forStatus(ctx);
        }
        LOG.error("Admin request {} {} failed", ctx.request().method(), ctx.request().path(), failure);
        return new Problem(ProblemType.INTERNAL_ERROR, "the request failed; the Portico log has the details");
    }

    /**
     * Logs a store failure of one request. An unreachable database is logged at DEBUG only, because the
     * configuration watcher logs each outage once, with a WARN line when it begins and an INFO line when it ends.
     */
    private static void logStoreFailure(RoutingContext ctx, StoreException failure) {
        if (failure.unreachable()) {
            LOG.debug("The configuration store is unreachable during {} {}", ctx.request().method(),
                    ctx.request().path(), failure);
            return;
        }
        LOG.warn("The configuration store failed during {} {}: {}; check the database's log", ctx.request().method(),
                ctx.request().path(), failure.getMessage());
        LOG.debug("Stack trace of the store failure during {} {}", ctx.request().method(), ctx.request().path(),
                failure);
    }

    private static Problem forStatus(RoutingContext ctx) {
        switch (ctx.statusCode()) {
            case 400:
                return new Problem(ProblemType.BAD_REQUEST, "the request is malformed");
            case 404:
                return new Problem(ProblemType.NOT_FOUND, "no admin API route matches " + ctx.request().path()
                        + "; GET /admin/v1/openapi.json lists the routes");
            case 405:
                return new Problem(ProblemType.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed on "
                        + ctx.request().path());
            case 413:
                return new Problem(ProblemType.BODY_TOO_LARGE, "the request body is larger than "
                        + AdminServer.MAX_BODY_BYTES + " bytes");
            case 415:
                return new Problem(ProblemType.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json");
            default:
                LOG.error("Admin request {} {} failed with status {}", ctx.request().method(), ctx.request().path(),
                        ctx.statusCode());
                return new Problem(ProblemType.INTERNAL_ERROR, "the request failed; the Portico log has the details");
        }
    }
}

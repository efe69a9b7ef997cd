package io.portico.gateway;

import static java.util.Objects.requireNonNull;

import io.portico.metrics.CacheOutcome;
import io.portico.metrics.Rejection;
import io.portico.metrics.RequestMetrics;
import io.portico.pipeline.GatewayRoute;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * Records the metrics of each request when its exchange ends: count, duration and bytes by route, the traffic
 * control policy that rejected it, read from the problem it failed with, and the response cache's outcome, read
 * from the {@code Cache-Status} header. Reading both at the end keeps the policies free of metric calls.
 */
final class RequestRecorder {

    private static final CharSequence CACHE_STATUS = HttpHeaders.createOptimized("Cache-Status");

    private final RequestMetrics metrics;

    RequestRecorder(RequestMetrics metrics) {
        this.metrics = requireNonNull(metrics, "metrics");
    }

    /** Counts {@code ctx} as active, and records it once its exchange is over. */
    void track(RequestContext ctx) {
        metrics.requestStarted();
        ctx.onEnd(() -> ended(ctx));
    }

    private void ended(RequestContext ctx) {
        metrics.requestEnded();
        GatewayRoute route = ctx.route();
        String api = route == null || route.spec().api() == null ? "" : route.spec().api();
        RequestMetrics.RouteMeters meters = metrics.route(route == null ? "" : route.name(), api);
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        String method = request.decoderResult().isFailure() ? "OTHER" : request.method().name();
        int status = response.ended() ? response.getStatusCode() : RequestMetrics.ABORTED;
        long bytesIn = ctx.tunnelled() ? ctx.tunnelBytesFromClient() : request.bytesRead();
        long bytesOut = ctx.tunnelled() ? ctx.tunnelBytesToClient() : response.bytesWritten();
        meters.ended(method, status, ctx.consumer() == null ? "" : ctx.consumer(),
                System.nanoTime() - ctx.startNanos(), bytesIn, bytesOut);
        Rejection rejection = rejection(ctx);
        if (rejection != null) {
            meters.rejected(rejection);
        }
        if (route != null) {
            CacheOutcome outcome = CacheOutcome.parse(response.headers().get(CACHE_STATUS));
            if (outcome != null) {
                meters.cache(outcome);
            }
        }
    }

    /** Returns the rejection that the failure of {@code ctx} reports, or null when it is no traffic control one. */
    private static Rejection rejection(RequestContext ctx) {
        ProblemType failure = ctx.failure();
        if (failure == null) {
            return null;
        }
        return switch (failure) {
            case RATE_LIMITED -> Rejection.RATE_LIMIT;
            case RATE_LIMIT_UNAVAILABLE -> Rejection.RATE_LIMIT_UNAVAILABLE;
            case CONCURRENCY_LIMITED -> Rejection.CONCURRENCY_LIMIT;
            case QUOTA_EXCEEDED -> Rejection.QUOTA;
            case TOKEN_LIMIT_EXCEEDED -> Rejection.TOKEN_LIMIT;
            case TOKEN_LIMIT_UNAVAILABLE -> Rejection.TOKEN_LIMIT_UNAVAILABLE;
            case BUDGET_EXCEEDED -> Rejection.budget(ctx.attribute(Rejection.BUDGET_BY_ATTRIBUTE));
            default -> null;
        };
    }
}

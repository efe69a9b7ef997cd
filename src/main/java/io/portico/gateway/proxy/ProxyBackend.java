package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.gateway.upstream.Upstreams;
import io.portico.pipeline.Backend;
import io.portico.pipeline.RequestContext;
import io.portico.problem.ProblemType;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.impl.headers.HeadersMultiMap;

/**
 * The backend of REST routes: forwards the request to a target of the route's service and streams the
 * response back. Bodies are never buffered in either direction.
 */
public final class ProxyBackend implements Backend {

    private final Upstreams upstreams;
    private final ProxySettings settings;
    private final CharSequence requestIdHeader;

    public ProxyBackend(Upstreams upstreams, ProxySettings settings) {
        this.upstreams = requireNonNull(upstreams, "upstreams");
        this.settings = requireNonNull(settings, "settings");
        this.requestIdHeader = HttpHeaders.createOptimized(settings.requestIdHeader());
    }

    @Override
    public void handle(RequestContext ctx) {
        String service = ctx.route().spec().service();
        UpstreamGroup group = upstreams.group(service);
        if (group == null && upstreams.isClosed()) {
            // A stop closes the upstreams after the listeners' drain, so the request is cut off like its connection.
            ctx.response().reset(RequestContext.RESET_INTERNAL_ERROR);
            return;
        }
        if (group == null) {
            ctx.fail(ProblemType.NO_HEALTHY_TARGET, "service '" + service + "' is not available");
            return;
        }
        new ProxyExchange(ctx, upstreams, group, settings, requestIdHeader).start();
    }

    /** Builds the headers with the same steps as the exchange, which sends them once a target is picked. */
    @Override
    public MultiMap upstreamHeaders(RequestContext ctx) {
        MultiMap headers = HeadersMultiMap.httpHeaders();
        ProxyHeaders.writeRequestHeaders(ctx, settings, requestIdHeader, headers);
        return headers;
    }
}

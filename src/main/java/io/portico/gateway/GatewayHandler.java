package io.portico.gateway;

import static java.util.Objects.requireNonNull;

import io.portico.gateway.routing.InvalidForwardedPathException;
import io.portico.gateway.routing.RequestView;
import io.portico.gateway.routing.RouteMatch;
import io.portico.metrics.RequestMetrics;
import io.portico.net.IpAddress;
import io.portico.pipeline.GatewayRoute;
import io.portico.pipeline.RequestContext;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry of the data plane: gives each request an id, normalises its path, routes it and runs the route's
 * pipeline. Reads the current {@link GatewayRuntime} once per request, so a configuration change never affects
 * a request already in flight.
 */
final class GatewayHandler implements Handler<HttpServerRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayHandler.class);

    private final CharSequence requestIdHeader;
    private final AccessLog accessLog;
    private final RequestRecorder recorder;
    private final ClientAddressResolver clientAddresses;
    private volatile GatewayRuntime runtime = GatewayRuntime.empty();
    private volatile boolean draining;
    private final long bodyTimeoutMillis;

    /**
     * Creates the handler.
     *
     * @param bodyTimeoutMillis how long the rest of a request body is read and dropped after its response ended,
     *     before the connection is closed
     */
    GatewayHandler(String requestIdHeader, boolean accessLog, ClientAddressResolver clientAddresses,
                   RequestMetrics metrics, long bodyTimeoutMillis) {
        this.bodyTimeoutMillis = bodyTimeoutMillis;
        // An AsciiString keeps its hash code, so the header maps do not hash the name for every request.
        this.requestIdHeader = HttpHeaders.createOptimized(requireNonNull(requestIdHeader, "requestIdHeader"));
        this.accessLog = new AccessLog(accessLog);
        this.recorder = new RequestRecorder(metrics);
        this.clientAddresses = requireNonNull(clientAddresses, "clientAddresses");
    }

    void runtime(GatewayRuntime runtime) {
        this.runtime = requireNonNull(runtime, "runtime");
    }

    GatewayRuntime runtime() {
        return runtime;
    }

    /** Makes new requests close their connection after the response, while a shutdown drains. */
    void draining(boolean draining) {
        this.draining = draining;
    }

    @Override
    public void handle(HttpServerRequest request) {
        long start = System.nanoTime();
        GatewayRuntime current = runtime;
        String requestId = RequestIds.propagateOrGenerate(request.getHeader(requestIdHeader));
        request.response().putHeader(requestIdHeader, requestId);
        if (draining) {
            request.response().putHeader("connection", "close");
        }
        String host = host(request);
        String path = PathNormalizer.normalize(request.path());
        RouteMatch encodedSlashMatch = null;
        if (path == null) {
            // A path with encoded slashes is rejected below, unless the route it matches serves it without upstream.
            String withEncodedSlashes = PathNormalizer.normalizeKeepingEncodedSlashes(request.path());
            if (withEncodedSlashes != null) {
                encodedSlashMatch = matchEncodedSlashes(current, request, host, withEncodedSlashes);
            }
            if (encodedSlashMatch != null) {
                path = withEncodedSlashes;
            }
        }
        RequestContext ctx = new RequestContext(request, requestId, clientAddresses.resolve(request), host,
                path == null ? String.valueOf(request.path()) : path, start);
        ctx.watchResponse();
        ctx.responseEndSignal(ResponseEndSignal::register);
        if (ctx.expectsContinue() && request.version() == HttpVersion.HTTP_1_1) {
            // A client that got no 100 Continue may or may not send its body, so the connection cannot be reused.
            ctx.onResponseHeaders(headers -> {
                if (!ctx.continueSent()) {
                    headers.set(HttpHeaders.CONNECTION, "close");
                }
            });
        }
        accessLog.track(ctx);
        recorder.track(ctx);
        if (request.version() != HttpVersion.HTTP_2) {
            ctx.onEnd(() -> afterHttp1Response(request));
        }
        StrictDecoding.onMalformedBody(request, () -> rejectMalformedBody(ctx));
        Problem http2Problem = request.version() == HttpVersion.HTTP_2 ? http2HeadProblem(ctx) : null;
        if (http2Problem != null) {
            ctx.fail(http2Problem);
            return;
        }
        if (path == null) {
            ctx.fail(ProblemType.BAD_REQUEST, "the request path is invalid");
            return;
        }
        if (request.version() == HttpVersion.HTTP_1_1 && !hasOneHost(request)) {
            // RFC 9112 section 3.2: a server must reject an HTTP/1.1 request without exactly one Host header.
            ctx.fail(ProblemType.BAD_REQUEST, "an HTTP/1.1 request must carry exactly one Host header");
            return;
        }
        try {
            dispatch(ctx, current, encodedSlashMatch);
        } catch (RuntimeException e) {
            LOG.error("Request {} to {} failed in the gateway", requestId, ctx.path(), e);
            ctx.fail(new Problem(ProblemType.INTERNAL_ERROR, null));
        }
    }

    /**
     * Closes the HTTP/1.x connection of {@code request} after a response that carried {@code Connection: close}, as
     * RFC 9112 section 9.6 requires of the server: at once when the request body ended, else once it ends. Vert.x
     * closes only for the request's own {@code Connection} header, not for one that Portico set on the response.
     */
    private void afterHttp1Response(HttpServerRequest request) {
        HttpServerResponse response = request.response();
        if (response.closed()) {
            return;
        }
        boolean close = response.headers().contains(HttpHeaders.CONNECTION, HttpHeaders.CLOSE, true);
        // A request without a body may not have ended yet, because its end waits behind a paused read.
        if (request.isEnded() || !RequestContext.mayHaveBody(request)) {
            if (close) {
                request.connection().close();
            }
            return;
        }
        if (close) {
            // Closing before the body ends could reset the connection before the client read the response.
            request.end().onSuccess(ended -> request.connection().close());
        }
        closeUnlessBodyEnds(request);
    }

    /**
     * Closes the HTTP/1.x connection of {@code request} when the rest of its body, which its early response left
     * unread, has not arrived within the body timeout. Vert.x reads and drops that rest, so without a limit a client
     * that stops sending would hold the connection until its idle timeout.
     */
    private void closeUnlessBodyEnds(HttpServerRequest request) {
        if (request.isEnded() || bodyTimeoutMillis <= 0) {
            return;
        }
        Vertx.currentContext().owner().setTimer(bodyTimeoutMillis, id -> {
            if (!request.isEnded()) {
                LOG.debug("The rest of a request body did not arrive within {} ms of its response; closing the"
                        + " connection", bodyTimeoutMillis);
                request.connection().close();
            }
        });
    }

    /**
     * Responds to an HTTP/1.x request that the decoder rejected with the matching problem, and closes the connection,
     * because the bytes that follow a malformed head cannot be framed reliably. The client address is the TCP peer,
     * because the headers of a rejected head are not read.
     */
    void rejectInvalid(HttpServerRequest request) {
        long start = System.nanoTime();
        String requestId = RequestIds.generate();
        Problem problem = InvalidRequests.problem(request.decoderResult().cause());
        SocketAddress remote = request.remoteAddress();
        IpAddress peer = remote == null ? null : IpAddress.parse(remote.hostAddress());
        LOG.debug("Rejected request {} from {}: {}", requestId, peer == null ? "-" : peer, problem.detail());
        request.response().putHeader(requestIdHeader, requestId).putHeader(HttpHeaders.CONNECTION, "close");
        RequestContext ctx = new RequestContext(request, requestId, peer == null ? List.of() : List.of(peer), "", "-",
                start);
        ctx.watchResponse();
        accessLog.track(ctx);
        recorder.track(ctx);
        ctx.fail(problem);
        request.connection().close();
    }

    /**
     * Ends a request whose chunked body the decoder found malformed after the request was routed, and closes the
     * connection, because the bytes after the malformed chunk cannot be framed.
     */
    private void rejectMalformedBody(RequestContext ctx) {
        HttpServerResponse response = ctx.response();
        if (!response.headWritten()) {
            response.putHeader(HttpHeaders.CONNECTION, "close");
        }
        ctx.rejectBody(new Problem(ProblemType.BAD_REQUEST, HeadGuard.MALFORMED_CHUNKED_BODY));
        // Vert.x flushes the response before it closes the connection.
        ctx.request().connection().close();
    }

    /**
     * Routes {@code ctx} with the routes of {@code current} and runs the route's pipeline.
     *
     * @param encodedSlashMatch the match of a path with encoded slashes that {@link #matchEncodedSlashes} accepted;
     *     null for every other path
     */
    private void dispatch(RequestContext ctx, GatewayRuntime current, RouteMatch encodedSlashMatch) {
        RouteMatch match = encodedSlashMatch != null ? encodedSlashMatch : current.router().match(new View(ctx, null));
        if (match == null) {
            match = matchPreflight(ctx, current);
        }
        if (match == null) {
            ctx.fail(ProblemType.ROUTE_NOT_FOUND, "no route matches " + ctx.request().method().name() + " "
                    + ctx.path());
            return;
        }
        GatewayRoute route = current.route(match.route().name());
        ctx.route(route, match);
        String query = ctx.request().query();
        String forwardedPath;
        try {
            forwardedPath = current.router().forwardedPath(match, ctx.path());
        } catch (InvalidForwardedPathException e) {
            // The route and this request path together produce a target that no upstream may receive.
            LOG.debug("Request {}: route {} cannot forward {}: {}", ctx.requestId(), match.route().name(),
                    ctx.path(), e.getMessage());
            ctx.fail(ProblemType.BAD_REQUEST, "route '" + match.route().name() + "' cannot forward this request"
                    + " path: " + e.getMessage());
            return;
        }
        ctx.forwardedUri(query == null ? forwardedPath : forwardedPath + "?" + query);
        route.handle(ctx);
    }

    /**
     * Returns the route match of {@code path}, a normalised path that keeps encoded slashes, when the matched route's
     * backend serves the forwarded path itself and every encoded slash of {@code path} is in that forwarded path;
     * null otherwise, and the request is then rejected like every path with an encoded slash. A route prefix or
     * template parameter with an encoded slash is thus rejected, because policies may read it.
     */
    private static RouteMatch matchEncodedSlashes(GatewayRuntime current, HttpServerRequest request, String host,
                                                  String path) {
        try {
            RouteMatch match = current.router().match(new View(request, host, path, null));
            if (match == null) {
                return null;
            }
            String forwarded = current.router().forwardedPath(match, path);
            if (encodedSlashes(forwarded) != encodedSlashes(path)) {
                return null;
            }
            return current.route(match.route().name()).acceptsEncodedSlashes(forwarded) ? match : null;
        } catch (RuntimeException e) {
            // The request then gets the 400 of every other path with an encoded slash.
            LOG.debug("Routing the path {} with encoded slashes failed", path, e);
            return null;
        }
    }

    /** Counts the encoded slashes of a normalised path, which spells each one {@code %2F}. */
    private static int encodedSlashes(String path) {
        int count = 0;
        for (int at = path.indexOf("%2F"); at >= 0; at = path.indexOf("%2F", at + 3)) {
            count++;
        }
        return count;
    }

    /**
     * Matches a CORS preflight ({@code OPTIONS} with {@code Origin} and {@code Access-Control-Request-Method})
     * that no route matched as it is, by the method in {@code Access-Control-Request-Method}. Routes usually
     * list the methods they serve, not {@code OPTIONS}. The match counts only when the route or its API has a
     * {@code cors} policy, which responds to every preflight itself, so an {@code OPTIONS} request never reaches
     * an upstream through a route that does not accept that method.
     */
    private static RouteMatch matchPreflight(RequestContext ctx, GatewayRuntime current) {
        HttpServerRequest request = ctx.request();
        String requestedMethod = request.getHeader(HttpHeaders.ACCESS_CONTROL_REQUEST_METHOD);
        if (request.method() != HttpMethod.OPTIONS || requestedMethod == null
                || request.getHeader(HttpHeaders.ORIGIN) == null) {
            return null;
        }
        RouteMatch match = current.router().match(new View(ctx, requestedMethod));
        if (match == null) {
            return null;
        }
        return current.respondsToPreflights(match.route().name()) ? match : null;
    }

    /**
     * Returns why the head of the HTTP/2 request of {@code ctx} is rejected, or null when it is not, and marks the
     * request as having no body when its HEADERS frame ended the stream. The problem is 431 for a header list larger
     * than {@code limits.maxHeaderSize}, and 400 for a malformed head. HPACK can carry any octet in {@code :path},
     * so the target gets the checks that the HTTP/1.x decoder applies to the request line, and it must be in origin
     * form, because RFC 9113 section 8.3.1 allows no other form for an http or https request.
     */
    private static Problem http2HeadProblem(RequestContext ctx) {
        HttpServerRequest request = ctx.request();
        Http2HeadGuard guard = StrictDecoding.http2Guard(request);
        if (guard != null) {
            ctx.noBody(guard.takeEndedByHeaders(request.streamId()));
            Problem problem = guard.takeProblem(request.streamId());
            if (problem != null) {
                return problem;
            }
        }
        String target = request.uri();
        if (target == null || !target.startsWith("/")) {
            return new Problem(ProblemType.BAD_REQUEST, "the :path of an HTTP/2 request must be in origin form, an "
                    + "absolute path with an optional query such as /a?b (RFC 9113 section 8.3.1)");
        }
        String targetProblem = RequestHeadRules.targetProblem(target);
        return targetProblem == null ? null : new Problem(ProblemType.BAD_REQUEST, targetProblem);
    }

    private static boolean hasOneHost(HttpServerRequest request) {
        return request.headers().getAll(HttpHeaders.HOST).size() == 1;
    }

    private static String host(HttpServerRequest request) {
        HostAndPort authority = request.authority();
        if (authority == null) {
            return "";
        }
        String host = authority.host();
        // A fully qualified name may end in a dot, and it names the same host, so it must match the same routes.
        if (host.length() > 1 && host.charAt(host.length() - 1) == '.') {
            host = host.substring(0, host.length() - 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    /** The view of a request that the router matches on. */
    private static final class View implements RequestView {
        private final HttpServerRequest request;
        private final String host;
        private final String path;
        private final String method;

        /** Creates the view of {@code ctx}, with {@code method} in place of the request's method unless null. */
        View(RequestContext ctx, String method) {
            this(ctx.request(), ctx.host(), ctx.path(), method);
        }

        /** Creates the view of {@code request} with its normalised {@code host} and {@code path}. */
        View(HttpServerRequest request, String host, String path, String method) {
            this.request = request;
            this.host = host;
            this.path = path;
            this.method = method;
        }

        @Override
        public String method() {
            return method != null ? method : request.method().name();
        }

        @Override
        public String host() {
            return host;
        }

        @Override
        public String path() {
            return path;
        }

        @Override
        public String header(String name) {
            return request.getHeader(name);
        }

        @Override
        public String queryParameter(String name) {
            return request.getParam(name);
        }
    }
}

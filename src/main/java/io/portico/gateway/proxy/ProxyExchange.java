package io.portico.gateway.proxy;

import io.portico.config.RouteSpec;
import io.portico.config.ServiceSpec;
import io.portico.gateway.upstream.Outcome;
import io.portico.gateway.upstream.RefusedStreams;
import io.portico.gateway.upstream.RetryBudget;
import io.portico.gateway.upstream.SelectionContext;
import io.portico.gateway.upstream.TargetState;
import io.portico.gateway.upstream.TlsFailure;
import io.portico.gateway.upstream.UpstreamGroup;
import io.portico.gateway.upstream.Upstreams;
import io.portico.net.ContentLength;
import io.portico.net.TimeoutList;
import io.portico.net.TransferCodings;
import io.portico.net.client.DrainExpiredException;
import io.portico.net.client.Http1Client;
import io.portico.net.client.Http1Exchange;
import io.portico.net.client.Http1ResponseHandler;
import io.portico.net.client.InvalidResponseException;
import io.portico.pipeline.RequestContext;
import io.portico.pipeline.ResponseTap;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.http.impl.headers.HeadersMultiMap;
import io.vertx.core.net.HostAndPort;
import io.vertx.core.streams.ReadStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One proxied request: chooses targets, retries when that is safe, and streams the bodies. Runs entirely on
 * the request's event loop.
 *
 * <p>A failed attempt is retried on another target when the service allows more attempts, the retry budget
 * has room, and repeating the request cannot duplicate its effect: a connection failure before any request
 * byte was sent is always retried; a failure after sending, or a status listed in {@code retries.statuses},
 * only for idempotent methods without a request body. A retry always goes to a target not tried yet for this
 * request. A response with a retryable status is relayed to the client as it is when it cannot be retried.
 *
 * <p>An HTTP/2 attempt that the target refused without processing it (REFUSED_STREAM, or a stream above the last
 * stream id of a GOAWAY) does not count as a retry. The request is sent again through the normal target selection
 * when it has no body or a buffered one: up to {@value #MAX_GOAWAY_RESENDS} times for refusals by a GOAWAY of a
 * connection that processed other streams, and up to {@value #MAX_REFUSED_RESENDS} times for other refusals. A body
 * that declares at most {@value #RESENDABLE_BODY} bytes is therefore read whole before it goes to a service that
 * speaks HTTP/2. A refusal never counts as a target failure.
 *
 * <p>An attempt goes through the group's {@link Http1Client} when the service has one (plain http without HTTP/2)
 * and through Vert.x's client otherwise. Both kinds report the same outcomes and apply the same timeouts.
 */
final class ProxyExchange {

    private static final Logger LOG = LoggerFactory.getLogger(ProxyExchange.class);
    /** Largest declared response body, in bytes, that is relayed without a read timer of its own. */
    private static final long SMALL_BODY = 64 * 1024;
    /** HTTP/2 error code CANCEL (RFC 9113 section 7), which Vert.x also sends when a request times out. */
    private static final long CANCEL = 0x8;
    /** Maximum re-sends of refused attempts per request, so that a target that refuses every stream ends the loop. */
    private static final int MAX_REFUSED_RESENDS = 2;
    /**
     * Maximum re-sends per request of attempts that a GOAWAY refused after its connection processed other streams.
     * Each such GOAWAY shows that the target works and ends connections after some requests, as nginx does after
     * {@code keepalive_requests}. When that number is below the concurrent requests, the requests that one GOAWAY
     * refuses are sent again together on the next connection, and a share of them is refused again, so a request
     * may need several re-sends. The limit only ends the loop against a target that misbehaves.
     */
    private static final int MAX_GOAWAY_RESENDS = 32;
    /**
     * Largest declared request body, in bytes, that is read whole before it goes to an HTTP/2 service, so that a
     * request the target refuses can be sent again.
     */
    static final long RESENDABLE_BODY = 64 * 1024;
    /** The access-log field of a request that the retirement of its upstream client cut off, and its value. */
    private static final String RETIRED_FIELD = "upstream_retired";
    private static final String RETIRED_REASON = "drain_expired";
    /** The access-log field with the number of retries of a request that had any. */
    private static final String RETRIES_FIELD = "upstream_retries";
    /** The access-log field of a request whose retry the retry budget rejected, and its value. */
    private static final String BUDGET_FIELD = "upstream_retry_budget";
    private static final String BUDGET_EXHAUSTED = "exhausted";

    private final RequestContext ctx;
    private final Upstreams upstreams;
    private final String serviceName;
    private UpstreamGroup group;
    private final ProxySettings settings;
    private final CharSequence requestIdHeader;
    private final HttpServerRequest request;
    private final RouteSpec route;
    private final ServiceSpec service;
    private final boolean hasBody;
    private final boolean idempotent;
    private final boolean webSocket;
    private final long maxBodySize;
    private final long readTimeoutMillis;
    private final TimeoutList.Entry responseTimeout = new TimeoutList.Entry(this::onResponseTimeout);
    /** The client's body as the upstream request reads it; null until a streamed body is sent. */
    private IdleReadStream requestBody;
    /** The deadline of a small response body, which has no timer of its own, or null. */
    private TimeoutList.Entry bodyDeadline;
    private final List<TargetState> tried = new ArrayList<>(2);
    private TargetState target;
    private Problem lastFailure;
    /** The failed TLS connection behind {@link #lastFailure}, or null when that failure had another cause. */
    private TlsFailure lastTlsFailure;
    private HttpClientRequest upstreamRequest;
    /** True while an HTTP/2 response head is held until the first bytes of its declared body arrive. */
    private boolean awaitingBody;
    /** The read timeout that reset the current attempt, reported in place of the reset it causes. */
    private TimeoutException readTimedOut;
    private Http1Attempt http1Attempt;
    private long attemptStartNanos;
    private long totalTimer = -1;
    private boolean bodySent;
    /** Refused attempts sent again so far, other than those counted in {@link #goAwayResends}. */
    private int refusedResends;
    /** Attempts refused by the GOAWAY of a connection that processed other streams and sent again so far. */
    private int goAwayResends;
    /** True once the request was sent again because the retirement of a client cut off an attempt. */
    private boolean retiredResent;
    /** Retries of this request sent so far. */
    private int retries;
    private boolean finished;
    /** Outcome reported for an attempt still running when the exchange finishes: cancelled, or a total timeout. */
    private Outcome abandoned = Outcome.CANCELLED;

    ProxyExchange(RequestContext ctx, Upstreams upstreams, UpstreamGroup group, ProxySettings settings,
                  CharSequence requestIdHeader) {
        this.ctx = ctx;
        this.upstreams = upstreams;
        this.serviceName = group.name();
        this.group = group;
        this.settings = settings;
        this.requestIdHeader = requestIdHeader;
        this.request = ctx.request();
        this.route = ctx.route().spec();
        this.service = group.spec();
        this.hasBody = ctx.bufferedBody() != null ? ctx.bufferedBody().length() > 0
                : !ctx.noBody() && RequestContext.mayHaveBody(request);
        this.idempotent = RetryBudget.isIdempotent(request.method());
        this.webSocket = request.version() == HttpVersion.HTTP_1_1 && ProxyHeaders.isWebSocketUpgrade(request);
        this.maxBodySize = route.maxBodySize() != null ? route.maxBodySize() : settings.defaultMaxBodySize();
        this.readTimeoutMillis = service.timeouts().read().toMillis();
    }

    void start() {
        if (maxBodySize >= 0 && ctx.declaredLength() > maxBodySize) {
            // The body is not paused, so the server reads and drops what the client still sends, up to the body
            // timeout, and the connection can serve the next request or close once the body ended.
            ctx.fail(ProblemType.BODY_TOO_LARGE, "the request body exceeds " + maxBodySize + " bytes");
            return;
        }
        // The body stays paused until an upstream request can take it, so a failed connection loses nothing. A body
        // that a policy read whole is sent from RequestContext.bufferedBody, and its request has ended.
        ctx.pauseBody();
        if (webSocket && hasBody) {
            rejectHandshakeWithBody();
            return;
        }
        ctx.continueIfExpected();
        ctx.onClose(this::onClientClosed);
        ctx.onBodyRejected(this::onBodyRejected);
        if (service.timeouts().total() != null && !webSocket) {
            totalTimer = vertx().setTimer(service.timeouts().total().toMillis(), id -> onTotalTimeout());
        }
        group.retryBudget().onRequest();
        if (bufferForResend()) {
            readBodyThenAttempt();
        } else {
            attempt();
        }
    }

    /**
     * Returns whether the request body is read whole before the first attempt: a body with a declared length of at
     * most {@value #RESENDABLE_BODY} bytes, sent to a service that speaks HTTP/2, whose targets may refuse a request
     * that Portico then sends again. A body without a declared length, or a larger one, streams.
     */
    private boolean bufferForResend() {
        long length = ctx.declaredLength();
        return hasBody && ctx.bufferedBody() == null && service.pool().http2() && length > 0
                && length <= RESENDABLE_BODY;
    }

    /**
     * Reads the request body into {@link RequestContext#bufferedBody} and then starts the first attempt. The body
     * timeout applies to the client's silences while it sends the body, as it does to a streamed body.
     */
    private void readBodyThenAttempt() {
        ReadStream<Buffer> body = body();
        Buffer whole = Buffer.buffer((int) ctx.declaredLength());
        body.handler(whole::appendBuffer);
        body.exceptionHandler(cause -> {
            LOG.debug("Reading the body of request {} failed", ctx.requestId(), cause);
            finish(new Problem(ProblemType.BAD_REQUEST, "reading the request body failed"));
        });
        body.endHandler(end -> {
            if (!finished) {
                ctx.bufferedBody(whole);
                attempt();
            }
        });
        body.resume();
    }

    private void attempt() {
        if (!tried.isEmpty() && !refreshGroup()) {
            finish(serviceRemoved());
            return;
        }
        TargetState next = group.select(selectionContext(), tried);
        if (next == null) {
            finish(lastFailure != null ? lastFailure : noTarget());
            return;
        }
        attempt(next);
    }

    private Problem serviceRemoved() {
        return new Problem(ProblemType.NO_HEALTHY_TARGET, "service '" + serviceName + "' was removed");
    }

    private Problem noTarget() {
        if (group.anyCircuitOpen()) {
            long retryAt = group.circuitRetryAtMillis();
            if (retryAt > 0 && !ctx.response().headWritten()) {
                long seconds = Math.max(1, (retryAt - System.currentTimeMillis() + 999) / 1000);
                ctx.response().putHeader(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
            }
            return new Problem(ProblemType.CIRCUIT_OPEN, "service '" + service.name()
                    + "' has no available target: the circuit breakers of its failing targets are open");
        }
        return new Problem(ProblemType.NO_HEALTHY_TARGET, "service '" + service.name() + "' has no healthy target");
    }

    /**
     * Switches to the service's current group, because a configuration change may have replaced it since the last
     * attempt. Returns false when the service was removed.
     */
    private boolean refreshGroup() {
        UpstreamGroup current = upstreams.group(serviceName);
        if (current == null) {
            return false;
        }
        group = current;
        return true;
    }

    private void attempt(TargetState next) {
        target = next;
        tried.add(target);
        ctx.upstreamAddress(target.address());
        target.onRequestStart();
        attemptStartNanos = System.nanoTime();
        TargetState current = target;
        upstreamRequest = null;
        http1Attempt = null;
        Future<HttpClientRequest> request = null;
        try {
            Http1Client http1 = http1Client();
            if (http1 != null) {
                http1Attempt = new Http1Attempt(current);
                http1Attempt.send(http1);
            } else {
                request = group.client().request(requestOptions(current));
            }
        } catch (IllegalStateException retired) {
            // A configuration change retired this group's client between the lookup and now.
            current.onRequestEnd(elapsed(), Outcome.CANCELLED);
            tried.remove(current);
            UpstreamGroup replacement = upstreams.group(serviceName);
            if (replacement == null || replacement == group) {
                finish(new Problem(ProblemType.NO_HEALTHY_TARGET, "service '" + serviceName + "' is not available"));
                return;
            }
            group = replacement;
            attempt();
            return;
        }
        if (request == null) {
            return;
        }
        request.onComplete(connected -> {
            if (finished) {
                current.onRequestEnd(elapsed(), abandoned);
                if (connected.succeeded()) {
                    connected.result().reset();
                }
            } else if (connected.failed()) {
                current.onRequestEnd(elapsed(), Outcome.of(connected.cause()));
                onAttemptFailed(connected.cause(), true);
            } else if (webSocket) {
                openTunnel(connected.result(), current);
            } else {
                send(connected.result(), current);
            }
        });
    }

    /**
     * Rejects a WebSocket handshake that declares a body with 400. RFC 6455 section 4.1 makes the handshake a GET
     * without one, and the tunnel would forward the declared length without the body, so the upstream would wait for
     * bytes that never come. The body is not read, so the connection is closed after the response.
     */
    private void rejectHandshakeWithBody() {
        ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        ctx.onEnd(() -> request.connection().close());
        ctx.fail(ProblemType.BAD_REQUEST, "a WebSocket handshake request must not have a body, but this one declares"
                + " one with Content-Length or Transfer-Encoding");
    }

    /**
     * Sends the WebSocket handshake on {@code upstream}. The read timeout runs until the handshake response arrives,
     * and then on the body of a rejection. The tunnel after a 101 has none, because a WebSocket connection may stay
     * silent for as long as its peers choose.
     */
    private void openTunnel(HttpClientRequest upstream, TargetState current) {
        upstreamRequest = upstream;
        WebSocketTunnel.writeHandshake(ctx, upstream, current, settings);
        startReadTimeout();
        upstream.connect().onComplete(result -> {
            responseTimeout.cancel();
            if (finished) {
                current.onRequestEnd(elapsed(), abandoned);
                if (result.succeeded()) {
                    result.result().request().reset();
                }
            } else if (result.failed()) {
                Throwable cause = attemptFailure(result.cause());
                current.onRequestEnd(elapsed(), Outcome.of(cause));
                onAttemptFailed(cause, false);
            } else {
                onHandshakeResponse(result.result(), current);
            }
        });
    }

    private void onHandshakeResponse(HttpClientResponse response, TargetState current) {
        int status = response.statusCode();
        if (status < 200 && status != 101) {
            // Vert.x's client delivers a 1xx other than 100 and 103 as the final response.
            onInterimAsFinal(status, () -> response.request().reset(), current);
            return;
        }
        if (status == 101) {
            current.onRequestEnd(elapsed(), Outcome.response(status));
            complete();
            WebSocketTunnel.join(ctx, response, settings);
            return;
        }
        relayRejectedHandshake(response, current);
    }

    /**
     * Relays the upstream's rejection of a WebSocket handshake like any other response body, with the read timeout
     * on each silence. Unlike {@link #needsBodyReadTimeout}, the timer runs for a small declared body too, because a
     * rejection is rare enough for its cost not to matter and a stalled one would hold both connections forever.
     */
    private void relayRejectedHandshake(HttpClientResponse response, TargetState current) {
        long latency = elapsed();
        int status = response.statusCode();
        WebSocketTunnel.writeRejectionHead(ctx, response, settings);
        ReadStream<Buffer> body = response;
        if (responseHasBody(status)) {
            body = new IdleReadStream(response, readTimeoutMillis, vertx(), this::onBodyReadTimeout);
        }
        relayBody(status, body, null, latency, current);
    }

    private void startReadTimeout() {
        readTimedOut = null;
        if (readTimeoutMillis > 0) {
            TimeoutList.current(readTimeoutMillis).add(responseTimeout);
        }
    }

    /** Returns the read timeout that reset the attempt when there was one, or {@code cause} otherwise. */
    private Throwable attemptFailure(Throwable cause) {
        return readTimedOut != null ? readTimedOut : cause;
    }

    private RequestOptions requestOptions(TargetState current) {
        // The read timeout until the response head is kept by TimeoutList instead of a Vert.x timer per request.
        return group.requestOptions(current).setMethod(request.method()).setURI(ctx.forwardedUri())
                .setIdleTimeout(0);
    }

    private void send(HttpClientRequest upstream, TargetState current) {
        upstreamRequest = upstream;
        upstream.exceptionHandler(cause -> LOG.debug("Upstream request {} to {} failed: {}", ctx.requestId(),
                current.address(), cause.toString()));
        writeRequestHead(upstream, current);
        startReadTimeout();

        Future<HttpClientResponse> response;
        if (hasBody && ctx.bufferedBody() != null) {
            bodySent = true;
            response = upstream.send(ctx.bufferedBody());
        } else if (hasBody) {
            bodySent = true;
            response = upstream.send(body());
        } else {
            response = upstream.send();
        }

        response.onComplete(result -> {
            responseTimeout.cancel();
            if (finished) {
                current.onRequestEnd(elapsed(), abandoned);
            } else if (result.failed()) {
                Throwable cause = attemptFailure(result.cause());
                if (RefusedStreams.isRefused(upstream, cause)) {
                    onRefused(cause, current, RefusedStreams.goAwayAfterProcessing(upstream));
                    return;
                }
                current.onRequestEnd(elapsed(), Outcome.of(cause));
                onAttemptFailed(cause, false);
            } else {
                onResponse(result.result(), current);
            }
        });
    }

    private void writeRequestHead(HttpClientRequest upstream, TargetState current) {
        writeRequestHeaders(upstream.headers());
        upstream.authority(upstreamAuthority(current));
    }

    private void writeRequestHeaders(MultiMap headers) {
        ProxyHeaders.writeRequestHeaders(ctx, settings, requestIdHeader, headers);
    }

    /** Returns the authority the upstream request names in its Host header. */
    private HostAndPort upstreamAuthority(TargetState current) {
        HostAndPort authority = request.authority();
        return route.preserveHost() && authority != null ? authority : current.authority();
    }

    /**
     * Returns the group's Netty HTTP/1.1 client when it can carry this request, or null for Vert.x's client. That
     * client speaks plain HTTP/1.1 only and cannot switch protocols, so it takes no WebSocket upgrade or CONNECT.
     */
    private Http1Client http1Client() {
        Http1Client http1 = group.http1Client();
        if (http1 == null || webSocket || request.method() == HttpMethod.CONNECT) {
            return null;
        }
        return http1;
    }

    private ReadStream<Buffer> body() {
        ReadStream<Buffer> body = request;
        if (maxBodySize >= 0 && ctx.declaredLength() < 0) {
            body = new LimitedReadStream(request, maxBodySize, this::onBodyTooLarge);
        }
        // Time the upstream spends not taking the body pauses the stream and does not count as client silence.
        IdleReadStream idle = new IdleReadStream(body, settings.bodyTimeoutMillis(), vertx(),
                this::onRequestBodyTimeout);
        idle.whenEnded(this::onRequestBodyEnd);
        idle.whenFailed(this::onRequestBodyFailed);
        requestBody = idle;
        return idle;
    }

    /**
     * Starts the read timeout again once the client's body has ended, so that the upstream gets the whole read
     * timeout to respond to a complete request, however long the upload took.
     */
    private void onRequestBodyEnd() {
        if (responseTimeout.running() && !awaitingBody) {
            TimeoutList.current(readTimeoutMillis).add(responseTimeout);
        }
    }

    private void onResponse(HttpClientResponse response, TargetState current) {
        Runnable discard = () -> {
            // Without a handler, Vert.x would log the reset that discarding this response causes as an error.
            response.exceptionHandler(cause -> LOG.debug("Discarded response of request {} from {}: {}",
                    ctx.requestId(), current.address(), cause.toString()));
            response.request().reset();
        };
        // HTTP/1.x responses come from a decoder that rejects such names, but HPACK can carry any octet.
        if (response.version() == HttpVersion.HTTP_2 && !ProxyHeaders.hasValidFieldNames(response.headers())) {
            // RFC 9113 section 8.1.1: an intermediary must not forward a malformed response.
            discard.run();
            current.onRequestEnd(elapsed(), Outcome.CONNECTION_ERROR);
            onAttemptFailed(new MalformedResponseException("a header field name contains a character that a field"
                    + " name must not contain, such as ':' or a space"), false);
            return;
        }
        List<String> codings = response.headers().getAll(HttpHeaders.TRANSFER_ENCODING);
        if (!codings.isEmpty() && responseHasBody(response.statusCode()) && !TransferCodings.isChunkedAlone(codings)) {
            // Netty reads such a body as chunked, and relaying it without its other coding would hand the client
            // coded bytes as if they were plain. Portico sends no TE field, so no server may apply one.
            rejectResponse("the Transfer-Encoding applies a coding other than one chunked", discard, current);
            return;
        }
        if (response.version() == HttpVersion.HTTP_2 && declaredLength(response.statusCode(), response.headers()) > 0) {
            relayWhenBodyStarts(response, discard, current);
            return;
        }
        onResponse(response.statusCode(), response.headers(), response, discard, current);
    }

    /**
     * Relays an HTTP/2 response that declares a non-zero {@code Content-Length} once its first body bytes arrive, and
     * fails the attempt with a malformed response when its stream ends without any. Relayed to an HTTP/1.1 client,
     * such a head would promise bytes that never come, and the client would read the next response on the connection
     * as this one's body. The read timeout runs again until the first bytes arrive.
     */
    private void relayWhenBodyStarts(HttpClientResponse response, Runnable discard, TargetState current) {
        awaitingBody = true;
        startReadTimeout();
        BodyStartCheck.await(response, body -> {
            if (bodyWaitEnded(current)) {
                discard.run();
            } else {
                onResponse(response.statusCode(), response.headers(), body, discard, current);
            }
        }, () -> {
            if (!bodyWaitEnded(current)) {
                current.onRequestEnd(elapsed(), Outcome.CONNECTION_ERROR);
                onAttemptFailed(new MalformedResponseException("the response declares a Content-Length of "
                        + declaredLength(response.statusCode(), response.headers())
                        + " bytes, but its stream ended without a body"), false);
            }
        }, failure -> {
            if (!bodyWaitEnded(current)) {
                Throwable cause = attemptFailure(failure);
                current.onRequestEnd(elapsed(), Outcome.of(cause));
                onAttemptFailed(cause, false);
            }
        });
    }

    /** Ends the wait for the first body bytes; returns true, after reporting the attempt, when the exchange is over. */
    private boolean bodyWaitEnded(TargetState current) {
        awaitingBody = false;
        responseTimeout.cancel();
        if (finished) {
            current.onRequestEnd(elapsed(), abandoned);
        }
        return finished;
    }

    /**
     * Returns the {@code Content-Length} of a response to this request that has a body, or -1 when it declares none
     * or cannot have a body: a response to HEAD, 204 and 304 carry the length of a body they do not contain.
     */
    private long declaredLength(int status, MultiMap responseHeaders) {
        return responseHasBody(status) ? ContentLength.parse(responseHeaders.get(HttpHeaders.CONTENT_LENGTH)) : -1;
    }

    /**
     * Relays a response to the client, or retries the request when its status allows.
     *
     * @param discard aborts the response when it is retried
     */
    private void onResponse(int status, MultiMap responseHeaders, ReadStream<Buffer> response, Runnable discard,
                            TargetState current) {
        if (status < 200) {
            onInterimAsFinal(status, discard, current);
            return;
        }
        if (status > 599) {
            // RFC 9110 section 15 defines status codes from 100 to 599. Vert.x's client hands on any three digits.
            rejectResponse("status " + status + " is above 599", discard, current);
            return;
        }
        TargetState next = service.retries().statuses().contains(status) ? retryTarget(current) : null;
        if (next != null) {
            current.onRequestEnd(elapsed(), Outcome.response(status));
            LOG.debug("Retrying request {} after status {} from {}", ctx.requestId(), status, current.address());
            discard.run();
            attempt(next);
            return;
        }

        long latency = elapsed();
        HttpServerResponse out = ctx.response();
        ResponseTap tap = writeResponseHead(status, responseHeaders, out);
        if (isEventStream(out.headers())) {
            // An event stream may stay silent until its first event, and a client such as a browser's EventSource
            // reports the stream open only when the head arrives, so the head is sent at once.
            out.writeHead();
        }
        ReadStream<Buffer> body = response;
        if (needsBodyReadTimeout(responseHeaders)) {
            body = new IdleReadStream(response, service.timeouts().read().toMillis(), vertx(),
                    this::onBodyReadTimeout);
        } else if (readTimeoutMillis > 0 && declaredLength(status, responseHeaders) > 0) {
            // A small body usually arrives with its head, so one deadline for all of it costs less than a timer.
            bodyDeadline = new TimeoutList.Entry(this::onBodyReadTimeout);
            TimeoutList.current(readTimeoutMillis).add(bodyDeadline);
        }
        TappedReadStream tapped = null;
        if (tap != null) {
            tapped = new TappedReadStream(body, tap);
            body = tapped;
        }
        relayBody(status, body, tapped, latency, current);
    }

    /**
     * Streams {@code body} to the client's response, whose head is set, then reports the attempt's outcome to
     * {@code current}. A failed relay resets the upstream request and, unless the upstream's body had ended, aborts
     * {@code tapped}. The client then gets a 502 when the upstream failed before any byte reached it, because the
     * head, except an event stream's, is only sent with the first body bytes, and a reset otherwise.
     *
     * @param tapped the body as passed to a policy's tap, or null
     * @param latency the attempt's time until the response head, in nanoseconds
     */
    private void relayBody(int status, ReadStream<Buffer> body, TappedReadStream tapped, long latency,
                           TargetState current) {
        HttpServerResponse out = ctx.response();
        BodyRelay.start(body, out, piped -> {
            if (bodyDeadline != null) {
                bodyDeadline.cancel();
            }
            Outcome failure = Outcome.CONNECTION_ERROR;
            boolean retired = piped.failed() && cutByRetirement(piped.cause());
            if (finished) {
                failure = abandoned;
            } else if (piped.cause() instanceof BodyRelay.ClientWriteFailed || retired) {
                // A client that stops reading, or a configuration change that retired the upstream client, is no
                // sign of a target failure, so the exchange counts as cancelled.
                failure = Outcome.CANCELLED;
            }
            current.onRequestEnd(latency, piped.succeeded() ? Outcome.response(status) : failure);
            if (tapped != null && piped.failed()) {
                tapped.abort();
            }
            if (piped.failed() && !finished) {
                LOG.debug("Response body of request {} from {} failed", ctx.requestId(), current.address(),
                        piped.cause());
                resetUpstream();
                if (retired) {
                    ctx.logField(RETIRED_FIELD, RETIRED_REASON);
                }
                if (!out.headWritten() && !(piped.cause() instanceof BodyRelay.ClientWriteFailed)) {
                    failBeforeBody(piped.cause(), out);
                    return;
                }
                out.reset(RequestContext.RESET_INTERNAL_ERROR);
            }
            complete();
        });
    }

    /**
     * Ends the exchange with a 502 when the upstream's response failed before any byte of it reached the client,
     * for example with a malformed first chunk. Nothing was relayed, so the client gets a problem document in place
     * of a reset that would look like a client abort. The upstream's status and headers are dropped, and the request
     * id and the Connection header that Portico set are kept. The request is not retried, because a policy's tap
     * has seen the response head.
     */
    private void failBeforeBody(Throwable cause, HttpServerResponse out) {
        dropUpstreamHead(out);
        if (cutByRetirement(cause)) {
            finish(retiredProblem());
            return;
        }
        String outcome = cause instanceof InvalidResponseException ? "sent an invalid response"
                : "broke off its response before the body arrived";
        finish(new Problem(ProblemType.UPSTREAM_UNAVAILABLE, "service '" + service.name() + "' " + outcome));
    }

    /** Drops the upstream's status and headers from {@code out}, keeping the request id and Portico's Connection. */
    private void dropUpstreamHead(HttpServerResponse out) {
        MultiMap headers = out.headers();
        String connection = headers.get(HttpHeaders.CONNECTION);
        headers.clear();
        headers.set(requestIdHeader, ctx.requestId());
        if (connection != null) {
            headers.set(HttpHeaders.CONNECTION, connection);
        }
        if (out.isChunked()) {
            out.setChunked(false);
        }
    }

    /**
     * Fails the attempt whose client delivered an interim (1xx) status as the final response: a
     * {@code 101 Switching Protocols} to a request that asked for no upgrade, or, from Vert.x's client, any 1xx
     * other than 100 and 103, which it does not skip. Relaying it would end the exchange without a final response,
     * and a proxy in front of Portico that receives a 101 would treat the connection as a tunnel and pass the next
     * bytes unchecked. The target is charged with a connection error, and the connection or stream is reset.
     */
    private void onInterimAsFinal(int status, Runnable discard, TargetState current) {
        rejectResponse("status " + status + " where a final response was due", discard, current);
    }

    /** Fails the attempt with an invalid response whose status cannot be relayed, as after a broken connection. */
    private void rejectResponse(String reason, Runnable discard, TargetState current) {
        current.onRequestEnd(elapsed(), Outcome.CONNECTION_ERROR);
        discard.run();
        onAttemptFailed(new InvalidResponseException("invalid response from " + current.address() + ": " + reason),
                false);
    }

    /** Writes the response head; returns the response tap that wants the body, or null. */
    private ResponseTap writeResponseHead(int status, MultiMap responseHeaders, HttpServerResponse out) {
        out.setStatusCode(status);
        MultiMap headers = out.headers();
        ProxyHeaders.copyResponseHeaders(responseHeaders, headers);
        ProxyHeaders.apply(route.responseHeaders(), headers);
        ResponseTap tap = ctx.responseTap();
        if (tap != null && !tap.head(status, headers)) {
            tap = null;
        }
        headers.set(requestIdHeader, ctx.requestId());
        ctx.applyResponseHeaderHooks(headers);
        // HTTP/1.1 needs chunked framing when the upstream declared no length; HTTP/2 frames bodies itself.
        if (!headers.contains(HttpHeaders.CONTENT_LENGTH) && request.version() != HttpVersion.HTTP_2
                && responseHasBody(status)) {
            out.setChunked(true);
        }
        return tap;
    }

    private static boolean isEventStream(MultiMap headers) {
        String type = headers.get(HttpHeaders.CONTENT_TYPE);
        return type != null && type.regionMatches(true, 0, "text/event-stream", 0, "text/event-stream".length());
    }

    /**
     * Returns true when the body may arrive slowly: streamed without a declared length, or larger than
     * {@value #SMALL_BODY} bytes. Vert.x stops the request's idle timeout once the response head arrives, so
     * those bodies get a timer of their own. A small body usually arrives with its head, so it gets one deadline
     * of the read timeout after the head instead, kept by {@link TimeoutList}.
     */
    private boolean needsBodyReadTimeout(MultiMap responseHeaders) {
        if (webSocket || request.method() == HttpMethod.HEAD) {
            return false;
        }
        String length = responseHeaders.get(HttpHeaders.CONTENT_LENGTH);
        if (length == null) {
            return true;
        }
        try {
            return Long.parseLong(length.trim()) > SMALL_BODY;
        } catch (NumberFormatException e) {
            return true;
        }
    }

    private void onResponseTimeout() {
        if (!awaitingBody && requestBody != null && !requestBody.ended()
                && requestBody.pausedMillis() < readTimeoutMillis) {
            // The client is still sending its body, and its silence is the body timeout's to judge. The upstream is
            // late only once it has held the body back for the whole read timeout or the body has ended.
            TimeoutList.current(readTimeoutMillis).add(responseTimeout);
            return;
        }
        String awaited = awaitingBody ? "no body bytes after the response head" : "no response head";
        TimeoutException cause = new TimeoutException("the upstream sent " + awaited + " within " + readTimeoutMillis
                + " ms");
        readTimedOut = cause;
        if (upstreamRequest != null) {
            // Fails the response future with this cause, which is reported and retried as a timeout.
            upstreamRequest.reset(CANCEL, cause);
        } else if (http1Attempt != null) {
            http1Attempt.timeOut(cause);
        }
    }

    /** Aborts the upstream request of the current attempt, if any, without reporting anything. */
    private void resetUpstream() {
        if (upstreamRequest != null) {
            upstreamRequest.reset();
        }
        if (http1Attempt != null) {
            http1Attempt.reset();
        }
    }

    private void onBodyReadTimeout() {
        if (finished) {
            return;
        }
        LOG.debug("Response body of request {} from {} was silent for {} ms", ctx.requestId(),
                target.address(), service.timeouts().read().toMillis());
        abandoned = Outcome.TIMEOUT;
        HttpServerResponse out = ctx.response();
        if (!out.headWritten()) {
            // No byte reached the client, so it gets a 504 in place of a reset that would look like its own abort.
            dropUpstreamHead(out);
            finish(new Problem(ProblemType.UPSTREAM_TIMEOUT, "service '" + service.name() + "' sent no body bytes"
                    + " within " + service.timeouts().read().toMillis() + " ms of its response head"));
            resetUpstream();
            return;
        }
        finished = true;
        cancelTotalTimer();
        resetUpstream();
        out.reset(RequestContext.RESET_INTERNAL_ERROR);
    }

    private void onAttemptFailed(Throwable cause, boolean beforeSending) {
        if (Outcome.of(cause) == Outcome.NO_CONNECTION) {
            onPoolExhausted(cause, beforeSending);
            return;
        }
        boolean timeout = isTimeout(cause);
        lastTlsFailure = tlsFailure(cause);
        String outcome = timeout ? "did not respond in time"
                : cause instanceof InvalidResponseException ? "sent an invalid response"
                : cause instanceof MalformedResponseException ? "sent a malformed response: " + cause.getMessage()
                : lastTlsFailure != null ? "could not be reached: the TLS connection failed"
                : "could not be reached";
        String detail = "service '" + service.name() + "' " + outcome;
        ProblemType type = timeout ? ProblemType.UPSTREAM_TIMEOUT : ProblemType.UPSTREAM_UNAVAILABLE;
        onAttemptFailed(cause, new Problem(type, detail), repeatable(beforeSending));
    }

    /**
     * Handles an attempt that found no free connection to its target in the service's pool in time, so nothing of
     * the request was sent. The gateway's pool was full, not the target slow, so the problem has a type of its own.
     */
    private void onPoolExhausted(Throwable cause, boolean beforeSending) {
        lastTlsFailure = null;
        long waitMillis = group.connectionWaitMillis();
        int maxConnections = service.pool().maxConnections();
        target.onPoolExhausted(waitMillis, maxConnections);
        Problem problem = new Problem(ProblemType.UPSTREAM_POOL_EXHAUSTED, "service '" + service.name()
                + "' has no free connection to target " + target.address() + ": all " + maxConnections
                + " pooled connections stayed busy for " + waitMillis + " ms");
        onAttemptFailed(cause, problem, repeatable(beforeSending));
    }

    /**
     * Retries the request on another target when {@code repeatable}, attempts remain, an untried target is available
     * and the retry budget has room, and ends the exchange with {@code problem} otherwise.
     */
    private void onAttemptFailed(Throwable cause, Problem problem, boolean repeatable) {
        LOG.debug("Attempt for request {} to {} failed", ctx.requestId(), target.address(), cause);
        lastFailure = problem;
        if (repeatable && attemptsLeft()) {
            if (!refreshGroup()) {
                finish(serviceRemoved());
                return;
            }
            TargetState next = group.select(selectionContext(), tried);
            if (next != null && acquireRetry(target)) {
                attempt(next);
                return;
            }
            if (next != null) {
                next.release();
            }
        }
        finish(lastFailure);
    }

    /**
     * Takes a retry from the retry budget and returns true, or returns false when the budget is spent. Counts the
     * result in the metrics of {@code failed}, the target of the attempt to retry, and in the access-log line.
     */
    private boolean acquireRetry(TargetState failed) {
        boolean sent = group.retryBudget().tryAcquireRetry();
        failed.onRetry(sent);
        if (sent) {
            retries++;
            ctx.putLogField(RETRIES_FIELD, retries);
        } else {
            ctx.logField(BUDGET_FIELD, BUDGET_EXHAUSTED);
        }
        return sent;
    }

    /**
     * Handles an attempt that a configuration change cut off before its response head arrived: the change retired
     * the client that carried the attempt, and the client's drain time ended first. The target is not at fault, so
     * the attempt counted as cancelled and the target stays selectable. A request that a retry could repeat safely
     * is sent once more through the service's current group, which takes neither an attempt of
     * {@code retries.attempts} nor the retry budget. Any other request fails with {@link #retiredProblem()}.
     */
    private void onClientRetired(Throwable cause, TargetState current, boolean beforeSending) {
        LOG.debug("Attempt for request {} to {} was cut off by the retirement of its client", ctx.requestId(),
                current.address(), cause);
        tried.remove(current);
        if (!retiredResent && repeatable(beforeSending) && refreshGroup()) {
            retiredResent = true;
            attempt();
            return;
        }
        ctx.logField(RETIRED_FIELD, RETIRED_REASON);
        finish(retiredProblem());
    }

    /** Returns the 502 of a request that the retirement of its upstream client cut off. */
    private Problem retiredProblem() {
        return new Problem(ProblemType.UPSTREAM_UNAVAILABLE, "service '" + service.name() + "' was reconfigured,"
                + " and the connection that carried the request closed before the response ended; send the request"
                + " again");
    }

    /** Returns true when {@code failure} comes from a retired client whose drain time ended. */
    private static boolean cutByRetirement(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof DrainExpiredException) {
                return true;
            }
        }
        return false;
    }

    /**
     * Handles an HTTP/2 attempt that the target refused without processing it. The request is sent again through
     * the normal target selection, which may choose the same target, when its body can be sent again and the limit
     * of re-sends is not reached: {@value #MAX_GOAWAY_RESENDS} when {@code goAwayAfterProcessing}, because a GOAWAY
     * of a connection that processed other streams refused it, and {@value #MAX_REFUSED_RESENDS} otherwise. Such a
     * re-send takes neither an attempt of {@code retries.attempts} nor the retry budget. Otherwise the attempt fails,
     * and one with a body that can be sent again is retried like an attempt that sent nothing.
     */
    private void onRefused(Throwable cause, TargetState current, boolean goAwayAfterProcessing) {
        current.onRequestEnd(elapsed(), Outcome.REFUSED);
        Problem problem = new Problem(ProblemType.UPSTREAM_UNAVAILABLE, "service '" + service.name()
                + "' refused the request without processing it (HTTP/2 REFUSED_STREAM or GOAWAY)");
        // A streamed body has been read from the client, at least in part, and cannot be sent again.
        boolean resendable = !hasBody || ctx.bufferedBody() != null;
        boolean withinLimit = goAwayAfterProcessing ? goAwayResends < MAX_GOAWAY_RESENDS
                : refusedResends < MAX_REFUSED_RESENDS;
        if (!resendable || !withinLimit) {
            onAttemptFailed(cause, problem, resendable);
            return;
        }
        if (goAwayAfterProcessing) {
            goAwayResends++;
        } else {
            refusedResends++;
        }
        LOG.debug("Target {} refused request {} without processing it, sending it again: {}", current.address(),
                ctx.requestId(), cause.toString());
        lastFailure = problem;
        // The refused attempt does not count as tried, so the target stays selectable.
        tried.remove(current);
        attempt();
    }

    /**
     * Classifies the failure of an attempt as a failed TLS connection and reports it to the target's rate-limited
     * WARN line. Returns null when the service speaks plain http or the failure is not a TLS error.
     */
    private TlsFailure tlsFailure(Throwable cause) {
        if (!service.protocol().equals("https")) {
            return null;
        }
        TlsFailure failure = TlsFailure.of(cause, service.tls() != null && service.tls().clientCertificate() != null);
        if (failure != null) {
            target.onTlsFailure(failure);
        }
        return failure;
    }

    /** Returns whether repeating a failed attempt cannot duplicate the effect of the request. */
    private boolean repeatable(boolean beforeSending) {
        return beforeSending ? !bodySent : idempotent && !hasBody;
    }

    private boolean attemptsLeft() {
        return tried.size() < service.retries().attempts();
    }

    /**
     * Returns the target to retry a response with a retryable status on, or null when the response must be relayed:
     * no retry is allowed, no untried target is available, or the retry budget is spent.
     */
    private TargetState retryTarget(TargetState responded) {
        if (!attemptsLeft() || !repeatable(false) || !refreshGroup()) {
            return null;
        }
        TargetState next = group.select(selectionContext(), tried);
        if (next != null && !acquireRetry(responded)) {
            next.release();
            return null;
        }
        return next;
    }

    private void onBodyTooLarge() {
        // Finish first, so the failure that resetting the upstream request causes is not reported as a 502.
        finish(new Problem(ProblemType.BODY_TOO_LARGE, "the request body exceeds " + maxBodySize + " bytes"));
        resetUpstream();
        ctx.onEnd(() -> ctx.request().connection().close());
    }

    /**
     * Ends the exchange with 408 when the client stops sending its request body, or resets the response when it has
     * started. The rest of the body can no longer be framed, so an HTTP/1.x connection is closed.
     */
    private void onRequestBodyTimeout() {
        LOG.debug("Request {} sent no body bytes for {} ms", ctx.requestId(), settings.bodyTimeoutMillis());
        boolean http1 = request.version() != HttpVersion.HTTP_2;
        if (http1 && !ctx.response().headWritten()) {
            ctx.response().putHeader(HttpHeaders.CONNECTION, "close");
        }
        // Finish first, so the failure that resetting the upstream request causes is not reported as a 502.
        finish(new Problem(ProblemType.REQUEST_TIMEOUT, "the request body was not received: no bytes arrived for "
                + settings.bodyTimeoutMillis() + " ms"));
        resetUpstream();
        if (http1) {
            // Vert.x keeps a connection whose request has not ended; closing flushes the response first.
            request.connection().close();
        }
    }

    /**
     * Ends the exchange with {@code problem} when the client's body turned out malformed, or leaves a response
     * that has started to the connection close that follows. The upstream request is reset in both cases, because
     * the body it received so far is incomplete.
     */
    private void onBodyRejected(Problem problem) {
        LOG.debug("Request {} has a malformed body: {}", ctx.requestId(), problem.detail());
        // Finish first, so the failure that resetting the upstream request causes is not reported as a 502.
        finish(problem);
        resetUpstream();
    }

    private void onTotalTimeout() {
        totalTimer = -1;
        if (finished) {
            return;
        }
        abandoned = Outcome.TIMEOUT;
        // Finish first, so the failure that resetting the upstream request causes is neither retried nor reported
        // as a 502.
        finish(new Problem(ProblemType.UPSTREAM_TIMEOUT,
                "service '" + service.name() + "' did not complete within " + service.timeouts().total().toMillis()
                        + " ms"));
        resetUpstream();
    }

    /**
     * Ends the exchange as aborted when the client's body fails before it ended: the client reset its HTTP/2 stream
     * or closed its connection. The client cannot receive a response, so the attempt counts as cancelled and no
     * problem is sent. This runs before the upstream request learns of the failure, which it would otherwise report
     * as a connection error of the target.
     */
    private void onRequestBodyFailed(Throwable cause) {
        if (finished) {
            return;
        }
        LOG.debug("The body of request {} failed before it ended; the client went away: {}", ctx.requestId(),
                cause.toString());
        onClientClosed();
        if (!ctx.response().closed()) {
            // A failed body cannot be framed any further; a stream or connection left open would hang.
            ctx.response().reset(RequestContext.RESET_INTERNAL_ERROR);
        }
    }

    private void onClientClosed() {
        if (finished) {
            return;
        }
        finished = true;
        cancelTotalTimer();
        resetUpstream();
    }

    private void finish(Problem problem) {
        if (finished) {
            return;
        }
        if (upstreams.isClosed()) {
            cutOff();
            return;
        }
        complete();
        if (problem == lastFailure && lastTlsFailure != null) {
            ctx.logField("upstream_tls_error", lastTlsFailure.reason());
        }
        ctx.fail(problem);
    }

    /**
     * Cuts the client's connection or stream without a response, because the node closed its upstream clients. A
     * stop does that only after the listeners' drain, which closes the client connections still open, but such a
     * close may reach this exchange after the closed clients failed its attempt. That failure, or the missing group
     * of a retry, is no fault of the service, so the request ends as if the close had come first: without a status
     * or a problem.
     */
    private void cutOff() {
        LOG.debug("Request {} is cut off: the node closed its upstream clients at the end of a stop's drain",
                ctx.requestId());
        complete();
        resetUpstream();
        ctx.response().reset(RequestContext.RESET_INTERNAL_ERROR);
    }

    private void complete() {
        finished = true;
        cancelTotalTimer();
    }

    private void cancelTotalTimer() {
        if (totalTimer >= 0) {
            vertx().cancelTimer(totalTimer);
            totalTimer = -1;
        }
    }

    private SelectionContext selectionContext() {
        return new SelectionContext(ctx.clientAddress(), ctx.consumer(), request::getHeader);
    }

    private long elapsed() {
        return System.nanoTime() - attemptStartNanos;
    }

    private boolean responseHasBody(int status) {
        return request.method() != HttpMethod.HEAD && status >= 200 && status != 204 && status != 304;
    }

    private static Vertx vertx() {
        return Vertx.currentContext().owner();
    }

    /**
     * Returns whether the framing of {@code request} announces a body. An HTTP/2 request without Content-Length may
     * have one until its stream ends, unless {@link RequestContext#noBody()} shows that its HEADERS frame ended it.
     */
    private static boolean isTimeout(Throwable failure) {
        for (Throwable cause = failure; cause != null && cause.getCause() != cause; cause = cause.getCause()) {
            if (cause instanceof TimeoutException || cause.getClass().getSimpleName().contains("Timeout")) {
                return true;
            }
        }
        return false;
    }

    /**
     * One attempt sent through the service's {@link Http1Client}. Its callbacks run on the request's event loop and
     * report to {@link TargetState#onRequestEnd} once, like the attempts through Vert.x's client.
     */
    private final class Http1Attempt implements Http1ResponseHandler {

        private final TargetState current;
        private Http1Exchange exchange;
        private boolean streamed;

        Http1Attempt(TargetState current) {
            this.current = current;
        }

        /** Sends the request; throws {@link IllegalStateException} when a configuration change retired the client. */
        void send(Http1Client client) {
            MultiMap headers = HeadersMultiMap.httpHeaders();
            writeRequestHeaders(headers);
            HostAndPort authority = upstreamAuthority(current);
            headers.set(HttpHeaders.HOST,
                    authority == current.authority() ? current.hostHeader() : TargetState.hostHeader(authority));
            long connectTimeout = service.timeouts().connect().toMillis();
            // The same wait for a pooled connection as UpstreamGroup.requestOptions gives Vert.x's client.
            long waitTimeout = 2 * connectTimeout;
            if (hasBody && ctx.bufferedBody() == null) {
                streamed = true;
                exchange = client.sendStreaming(request.method(), current.origin(), ctx.forwardedUri(), headers, body(),
                        connectTimeout, waitTimeout, this);
            } else {
                Buffer body = hasBody ? ctx.bufferedBody() : null;
                exchange = client.send(request.method(), current.origin(), ctx.forwardedUri(), headers, body,
                        connectTimeout, waitTimeout, this);
            }
        }

        @Override
        public void sent(Http1Exchange sent) {
            // From here on the client's body is read, so a failure can no longer be retried as one before sending.
            bodySent |= streamed;
            if (readTimeoutMillis > 0 && !finished) {
                TimeoutList.current(readTimeoutMillis).add(responseTimeout);
            }
        }

        @Override
        public void response(Http1Exchange response) {
            responseTimeout.cancel();
            if (finished) {
                current.onRequestEnd(elapsed(), abandoned);
                response.reset();
                return;
            }
            onResponse(response.status(), response.headers(), response, response::reset, current);
        }

        @Override
        public void failed(Throwable cause) {
            responseTimeout.cancel();
            if (finished) {
                current.onRequestEnd(elapsed(), abandoned);
                return;
            }
            current.onRequestEnd(elapsed(), Outcome.of(cause));
            // A request that no connection took was never sent, so a retry cannot repeat its effect.
            boolean beforeSending = exchange == null || !exchange.wasSent();
            if (cause instanceof DrainExpiredException) {
                onClientRetired(cause, current, beforeSending);
                return;
            }
            onAttemptFailed(cause, beforeSending);
        }

        /** Fails the attempt with {@code cause}, because no response head arrived within the read timeout. */
        void timeOut(TimeoutException cause) {
            if (exchange != null) {
                exchange.abort(cause);
            }
        }

        /**
         * Aborts the attempt. Its failure reaches {@link #failed} or the response body's exception handler, which
         * report the outcome as Vert.x's client does after a reset.
         */
        void reset() {
            if (exchange != null) {
                exchange.abort(new IOException("the upstream request to " + current.address() + " was aborted"));
            }
        }
    }

    /** An upstream response that must not be relayed, because it is malformed. */
    private static final class MalformedResponseException extends Exception {
        private static final long serialVersionUID = 1L;

        MalformedResponseException(String message) {
            super(message, null, false, false);
        }
    }
}

package io.portico.pipeline;

import static java.util.Objects.requireNonNull;

import io.portico.gateway.routing.RouteMatch;
import io.portico.net.ContentLength;
import io.portico.net.IpAddress;
import io.portico.problem.Problem;
import io.portico.problem.ProblemType;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiPredicate;
import java.util.function.Consumer;

/**
 * The state of one request while it passes through the pipeline: the client request and response, the route
 * it matched, the resolved client address and identity, and attributes that policies share. One instance per
 * request, used on the request's event loop only.
 */
public final class RequestContext {

    /**
     * The HTTP/2 error code of a client stream that Portico cuts short: {@code INTERNAL_ERROR}. A reset with
     * {@code NO_ERROR}, Vert.x's default, means to the client that the response is complete (RFC 9113 section 8.1),
     * so it would take a truncated body for a whole one. An HTTP/1.x connection is closed whatever the code.
     */
    public static final long RESET_INTERNAL_ERROR = 0x2;

    private final HttpServerRequest request;
    private final String requestId;
    private final List<IpAddress> forwardedFor;
    private final String host;
    private final String path;
    private final long startNanos;
    /** Lower-case names of the headers whose credential an authentication policy removed; null while none. */
    private List<String> removedCredentialHeaders;
    /** The prefix length of {@link #clientNetwork}'s last result, or -1 before its first call. */
    private int clientNetworkPrefixLength = -1;
    private String clientNetwork;
    private Map<String, Object> attributes;
    private List<Consumer<MultiMap>> responseHeaderHooks;
    private List<Runnable> closeHooks;
    private List<Runnable> endHooks;
    private boolean closeHooksRun;
    private boolean ended;
    private boolean continueSent;
    /** Whether the request carries {@code Expect: 100-continue}; null until first read. */
    private Boolean expectsContinue;
    private ResponseTap responseTap;
    private List<Object> logFields;
    private GatewayRoute route;
    private RouteMatch match;
    private String consumer;
    private Identity identity;
    private String upstreamAddress;
    private String forwardedUri;
    private Buffer bufferedBody;
    private boolean noBody;
    private ProblemType failure;
    private Consumer<Problem> bodyRejection;
    private BiPredicate<HttpServerRequest, Runnable> responseEndSignal;
    private boolean tunnelled;
    private long tunnelBytesFromClient;
    private long tunnelBytesToClient;

    /**
     * Creates the context of one request.
     *
     * @param forwardedFor the addresses the request came through that Portico believes, the client first and the
     *     socket peer last. Empty when the peer has no IP address.
     */
    public RequestContext(HttpServerRequest request, String requestId, List<IpAddress> forwardedFor, String host,
                          String path, long startNanos) {
        this.request = requireNonNull(request, "request");
        this.requestId = requireNonNull(requestId, "requestId");
        this.forwardedFor = requireNonNull(forwardedFor, "forwardedFor");
        this.host = requireNonNull(host, "host");
        this.path = requireNonNull(path, "path");
        this.startNanos = startNanos;
    }

    public HttpServerRequest request() {
        return request;
    }

    public HttpServerResponse response() {
        return request.response();
    }

    /**
     * Returns whether the client's request carried an {@code Authorization} header, even when an authentication
     * policy has removed it since: every policy that removes a credential header records it with
     * {@link #credentialHeaderRemoved}.
     */
    public boolean authorizationSent() {
        return request.headers().contains(HttpHeaders.AUTHORIZATION) || isCredentialHeaderRemoved("authorization");
    }

    /**
     * Records that an authentication policy removed the credential it consumed from request header {@code name},
     * the whole header or a part of it such as one cookie, so the upstream never receives that credential.
     */
    public void credentialHeaderRemoved(CharSequence name) {
        if (removedCredentialHeaders == null) {
            removedCredentialHeaders = new ArrayList<>(1);
        }
        removedCredentialHeaders.add(name.toString().toLowerCase(Locale.ROOT));
    }

    /** Returns whether an authentication policy removed a credential from header {@code name}, ignoring case. */
    public boolean isCredentialHeaderRemoved(String name) {
        return removedCredentialHeaders != null
                && removedCredentialHeaders.contains(name.toLowerCase(Locale.ROOT));
    }

    /** The id sent to the upstream and back to the client in the request id header. */
    public String requestId() {
        return requestId;
    }

    /**
     * The client's IP address as text, as used by load balancing, policies and logs: dotted decimal for IPv4,
     * the RFC 5952 form for IPv6, {@code -} when the connection has no IP peer. It is the socket peer's address
     * unless the peer is a trusted proxy (see {@link #forwardedFor()}).
     */
    public String clientAddress() {
        return forwardedFor.isEmpty() ? "-" : forwardedFor.get(0).toString();
    }

    /**
     * Returns true when {@code request} declares a body: a non-zero {@code Content-Length}, a
     * {@code Transfer-Encoding}, or an HTTP/2 stream that has not ended.
     */
    public static boolean mayHaveBody(HttpServerRequest request) {
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        if (length != null) {
            return !length.trim().equals("0");
        }
        if (request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null) {
            return true;
        }
        return request.version() == HttpVersion.HTTP_2 && !request.isEnded();
    }

    /**
     * Returns the client's address as limits count it, so that one IPv6 network counts as one client. An IPv6
     * address is replaced by its network of {@code ipv6PrefixLength} bits, written like {@code 2001:db8:1:2::/64}.
     * IPv4 addresses, IPv4-mapped IPv6 addresses included, and a prefix length of 128 give {@link #clientAddress()}.
     * The last network is kept, so policies with the same prefix length format it once per request.
     *
     * @param ipv6PrefixLength from 0 to 128
     */
    public String clientNetwork(int ipv6PrefixLength) {
        IpAddress client = clientIp();
        if (client == null || client.isIpv4() || ipv6PrefixLength == 128) {
            return clientAddress();
        }
        if (ipv6PrefixLength != clientNetworkPrefixLength) {
            clientNetwork = client.networkText(ipv6PrefixLength);
            clientNetworkPrefixLength = ipv6PrefixLength;
        }
        return clientNetwork;
    }

    /** The client's IP address, as matched by IP rules; null when the connection has no IP peer. */
    public IpAddress clientIp() {
        return forwardedFor.isEmpty() ? null : forwardedFor.get(0);
    }

    /**
     * The addresses this request came through that Portico believes, in forwarding order: the client first, then
     * each trusted proxy that reported the previous address, and the socket peer last. With no trusted proxy in
     * front, the list contains the peer alone. Forwarding headers sent to the upstream are built from it.
     */
    public List<IpAddress> forwardedFor() {
        return forwardedFor;
    }

    /** The requested host name, lower-cased and without port. */
    public String host() {
        return host;
    }

    /** The normalised request path, without the query string. */
    public String path() {
        return path;
    }

    /** {@code https} on the TLS listener, {@code http} otherwise. */
    public String scheme() {
        return request.isSSL() ? "https" : "http";
    }

    public long startNanos() {
        return startNanos;
    }

    public GatewayRoute route() {
        return route;
    }

    public RouteMatch match() {
        return match;
    }

    /** Records the route the request matched; set once by the gateway before the pipeline runs. */
    public void route(GatewayRoute route, RouteMatch match) {
        this.route = route;
        this.match = match;
    }

    /** The path and query sent to the upstream, after prefix stripping and rewriting. */
    public String forwardedUri() {
        return forwardedUri;
    }

    public void forwardedUri(String forwardedUri) {
        this.forwardedUri = forwardedUri;
    }

    /** The authenticated consumer's name; null until an authentication policy sets it. */
    public String consumer() {
        return consumer;
    }

    public void consumer(String consumer) {
        this.consumer = consumer;
    }

    /** Who sent the request; null until an authentication policy establishes it. */
    public Identity identity() {
        return identity;
    }

    /** Records the authenticated identity; also sets {@link #consumer()}. */
    public void identity(Identity identity) {
        this.identity = identity;
        this.consumer = identity == null ? null : identity.consumer();
    }

    /**
     * Sends {@code 100 Continue} when the client sent {@code Expect: 100-continue} and waits for it, once per
     * request. Every backend and policy that reads the body calls it first, after its own checks of the request
     * head, so a request rejected before then gets its final response without the client sending the body.
     */
    public void continueIfExpected() {
        if (continueSent) {
            return;
        }
        continueSent = true;
        if (expectsContinue() && !response().headWritten()) {
            response().writeContinue();
        }
    }

    /** Returns whether the client sent {@code Expect: 100-continue} on HTTP/1.1 or later. */
    public boolean expectsContinue() {
        if (expectsContinue == null) {
            // Read once, because the gateway and the backend both ask for every request.
            String expect = request.getHeader(HttpHeaders.EXPECT);
            expectsContinue = expect != null && expect.equalsIgnoreCase("100-continue")
                    && request.version() != HttpVersion.HTTP_1_0;
        }
        return expectsContinue;
    }

    /** Returns whether {@link #continueIfExpected} ran for this request. */
    public boolean continueSent() {
        return continueSent;
    }

    /** Returns the request's declared {@code Content-Length}, or -1 when it declares none or an invalid one. */
    public long declaredLength() {
        return ContentLength.parse(request.getHeader(HttpHeaders.CONTENT_LENGTH));
    }

    /**
     * Returns whether the request is known to have no body: an HTTP/2 request whose HEADERS frame ended the stream.
     * Returns false when the request may have a body, which its framing headers then declare.
     */
    public boolean noBody() {
        return noBody;
    }

    public void noBody(boolean noBody) {
        this.noBody = noBody;
    }

    /**
     * The whole request body when a policy has read it, such as a signature check that covers the body; null
     * otherwise. Backends send this buffer instead of reading the request, which has then ended.
     */
    public Buffer bufferedBody() {
        return bufferedBody;
    }

    public void bufferedBody(Buffer body) {
        this.bufferedBody = body;
    }

    /**
     * Pauses the request body, so that no bytes are lost while the request waits, unless the request has ended.
     * Policies and backends call this in place of {@code request().pause()}. A request has ended once a policy read
     * its whole body into {@link #bufferedBody}, and Vert.x 5.0.7's HTTP/2 request throws
     * {@link IllegalStateException} on {@code pause} after its end, where the HTTP/1.x request does nothing.
     */
    public void pauseBody() {
        if (!request.isEnded()) {
            request.pause();
        }
    }

    /** Resumes the request body unless the request has ended; the counterpart of {@link #pauseBody()}. */
    public void resumeBody() {
        if (!request.isEnded()) {
            request.resume();
        }
    }

    /** The {@code host:port} of the upstream target that served the request; null when none was reached. */
    public String upstreamAddress() {
        return upstreamAddress;
    }

    public void upstreamAddress(String upstreamAddress) {
        this.upstreamAddress = upstreamAddress;
    }

    /** The failure the gateway reported for this request, for the access log; null on success. */
    public ProblemType failure() {
        return failure;
    }

    /** Returns the attribute stored under {@code key}, or null. */
    @SuppressWarnings("unchecked")
    public <T> T attribute(String key) {
        return attributes == null ? null : (T) attributes.get(key);
    }

    public void attribute(String key, Object value) {
        if (attributes == null) {
            attributes = new HashMap<>();
        }
        attributes.put(key, value);
    }

    /**
     * Adds {@code key=value} to the request's access log line. Keys are lower-case words joined by underscores. The
     * value is turned into text only when the line is written, and quoted in the line when it needs to be.
     */
    public void logField(String key, Object value) {
        if (logFields == null) {
            logFields = new ArrayList<>(8);
        }
        logFields.add(key);
        logFields.add(value);
    }

    /**
     * Sets {@code key=value} in the request's access log line: replaces the value of the field with that key when
     * one was added before, and adds the field otherwise.
     */
    public void putLogField(String key, Object value) {
        if (logFields != null) {
            for (int i = 0; i + 1 < logFields.size(); i += 2) {
                if (key.equals(logFields.get(i))) {
                    logFields.set(i + 1, value);
                    return;
                }
            }
        }
        logField(key, value);
    }

    /** The fields of {@link #logField} and {@link #putLogField}, as alternating keys and values; empty when none. */
    public List<Object> logFields() {
        return logFields == null ? List.of() : logFields;
    }

    /** Registers a change to apply to the response headers just before they are sent to the client. */
    public void onResponseHeaders(Consumer<MultiMap> hook) {
        if (responseHeaderHooks == null) {
            responseHeaderHooks = new ArrayList<>(2);
        }
        responseHeaderHooks.add(hook);
    }

    /** Applies the registered response header changes to {@code headers}. */
    public void applyResponseHeaderHooks(MultiMap headers) {
        if (responseHeaderHooks == null) {
            return;
        }
        for (Consumer<MultiMap> hook : responseHeaderHooks) {
            hook.accept(headers);
        }
    }

    /**
     * Registers {@code hook} to run when the response's connection or stream closes, for example to abort an
     * upstream request that is still running. Use it instead of {@code response().closeHandler}, which takes a
     * single handler that the gateway uses to run these hooks and those of {@link #onEnd}.
     */
    public void onClose(Runnable hook) {
        if (closeHooks == null) {
            closeHooks = new ArrayList<>(2);
        }
        closeHooks.add(hook);
    }

    /**
     * Registers {@code hook} to run exactly once when the exchange is over: after the response was sent in full,
     * or when the client connection or stream closed first. Policies release what they hold for the request here,
     * such as a concurrency slot. Hooks run on the request's event loop, in the order they were registered.
     */
    public void onEnd(Runnable hook) {
        if (ended) {
            hook.run();
            return;
        }
        if (endHooks == null) {
            endHooks = new ArrayList<>(2);
        }
        endHooks.add(hook);
    }

    /**
     * Registers {@code hook} to run exactly once, just before the write that completes the response for the
     * client, so that what it releases is free before the client can see the response end. It runs at the end of
     * the exchange instead when the connection closes first, or when the connection offers no such point, as
     * HTTP/2 connections and contexts without a {@link #responseEndSignal} do.
     */
    public void onResponseEnding(Runnable hook) {
        Runnable once = new Once(hook);
        onEnd(once);
        if (!ended && responseEndSignal != null) {
            responseEndSignal.test(request, once);
        }
    }

    /**
     * Sets how {@link #onResponseEnding} hooks run before the write that completes the response: {@code signal} is
     * given the request and a hook, and returns false when it cannot run the hook for that request.
     */
    public void responseEndSignal(BiPredicate<HttpServerRequest, Runnable> signal) {
        this.responseEndSignal = signal;
    }

    /**
     * Installs the response's end and close handlers that run the hooks of {@link #onClose} and {@link #onEnd};
     * called once by the gateway when the request arrives.
     */
    public void watchResponse() {
        HttpServerResponse response = response();
        response.endHandler(end -> {
            // Vert.x 5 also calls the end handler when the connection closes before the response ended, and calls
            // it before the close handler. The close hooks run first, so that what they record, such as the usage
            // of an AI stream that the client left, reaches the end hooks and the access-log line among them.
            if (!response.ended()) {
                runCloseHooks();
            }
            runEndHooks();
        });
        response.closeHandler(closed -> {
            runCloseHooks();
            runEndHooks();
        });
    }

    /**
     * Ends the exchange of a request whose connection became a tunnel, such as a WebSocket session, once both of the
     * tunnel's connections closed: records the bytes relayed each way and runs the hooks of {@link #onClose} and
     * {@link #onEnd}. Vert.x runs neither the response's end handler nor its close handler after
     * {@code toNetSocket()}, so the tunnel calls this instead. Runs the hooks at most once, like the handlers.
     *
     * @param bytesFromClient bytes relayed from the client to the upstream after the handshake
     * @param bytesToClient bytes relayed from the upstream to the client after the handshake response head
     */
    public void tunnelClosed(long bytesFromClient, long bytesToClient) {
        if (ended) {
            return;
        }
        tunnelled = true;
        tunnelBytesFromClient = bytesFromClient;
        tunnelBytesToClient = bytesToClient;
        runCloseHooks();
        runEndHooks();
    }

    /** Returns whether the request's connection became a tunnel that {@link #tunnelClosed} ended. */
    public boolean tunnelled() {
        return tunnelled;
    }

    /** Bytes that the tunnel relayed from the client to the upstream; 0 unless {@link #tunnelled()}. */
    public long tunnelBytesFromClient() {
        return tunnelBytesFromClient;
    }

    /** Bytes that the tunnel relayed from the upstream to the client; 0 unless {@link #tunnelled()}. */
    public long tunnelBytesToClient() {
        return tunnelBytesToClient;
    }

    private void runCloseHooks() {
        if (closeHooksRun) {
            return;
        }
        closeHooksRun = true;
        if (closeHooks != null) {
            closeHooks.forEach(Runnable::run);
        }
    }

    private void runEndHooks() {
        if (ended) {
            return;
        }
        ended = true;
        if (endHooks != null) {
            endHooks.forEach(Runnable::run);
        }
    }

    /** Makes {@code tap} observe the proxied response of this request; replaces any earlier tap. */
    public void responseTap(ResponseTap tap) {
        this.responseTap = tap;
    }

    /** The tap that observes the proxied response; null when no policy set one. */
    public ResponseTap responseTap() {
        return responseTap;
    }

    /**
     * Sets what ends the exchange when the request body turns out to be malformed after the request was routed,
     * for example to reset an upstream request that is streaming the body. Replaces any earlier handler.
     */
    public void onBodyRejected(Consumer<Problem> handler) {
        this.bodyRejection = handler;
    }

    /**
     * Ends the exchange because the request body is malformed: runs the handler set by {@link #onBodyRejected}, or
     * fails the request with {@code problem} when there is none.
     */
    public void rejectBody(Problem problem) {
        if (bodyRejection != null) {
            bodyRejection.accept(problem);
        } else {
            fail(problem);
        }
    }

    /**
     * Records the failure of a request whose error response other code writes, such as an AI route's error in the
     * client's protocol, for the access log and metrics.
     */
    public void recordFailure(ProblemType type) {
        this.failure = type;
    }

    /** Ends the request with a gateway problem, unless the response has already started. */
    public void fail(ProblemType type, String detail) {
        fail(new Problem(type, detail));
    }

    /**
     * Ends the request with {@code problem}, written by the route's {@link ProblemRenderer} (problem+json before a
     * route matched); when the response has already started, the connection is reset.
     */
    public void fail(Problem problem) {
        this.failure = problem.type();
        HttpServerResponse response = response();
        if (response.headWritten()) {
            if (!response.ended()) {
                response.reset(RESET_INTERNAL_ERROR);
            }
            return;
        }
        applyResponseHeaderHooks(response.headers());
        ProblemRenderer renderer = route == null ? ProblemRenderer.PROBLEM_JSON : route.problems();
        renderer.render(this, problem);
    }

    /** A hook that runs at most once, whichever of its callers comes first. */
    private static final class Once implements Runnable {
        private Runnable hook;

        Once(Runnable hook) {
            this.hook = requireNonNull(hook, "hook");
        }

        @Override
        public void run() {
            Runnable current = hook;
            if (current != null) {
                hook = null;
                current.run();
            }
        }
    }
}

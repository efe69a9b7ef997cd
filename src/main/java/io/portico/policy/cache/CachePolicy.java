package io.portico.policy.cache;

import io.portico.cache.CacheControl;
import io.portico.cache.CacheStore;
import io.portico.cache.ChatCacheSettings;
import io.portico.pipeline.Policy;
import io.portico.pipeline.PolicyChain;
import io.portico.pipeline.RequestContext;
import io.portico.pipeline.ResponseTap;
import io.portico.problem.ProblemType;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code cache} policy: a shared HTTP cache (RFC 9111) in front of a REST route, and on an AI route the switch
 * that turns on the AI gateway's cache of chat completions.
 *
 * <p>On a REST route, GET and HEAD requests without a declared body or a {@code Range} header are looked up under
 * their key (see {@link CacheKeys}). A fresh stored response serves the request without reaching the upstream,
 * unless the request's {@code Cache-Control} asks otherwise: {@code no-cache} (or {@code Pragma: no-cache})
 * forwards it, {@code max-age} and {@code min-fresh} forward it when the stored response is too old, and
 * {@code only-if-cached} without a usable response gives 504. {@code If-None-Match} and {@code If-Modified-Since}
 * get 304 from a stored 200. Otherwise the request is forwarded and its response stored if {@link Freshness}
 * allows. A stored response expires when it stops being fresh; this cache never serves stale responses and never
 * revalidates. Each response carries a {@code Cache-Status} header (RFC 9211) named {@value #CACHE_NAME}.
 *
 * <p>While one miss is forwarded, identical misses on the same node wait for its response, up to the policy's
 * {@code lock.timeout}, and are then served from the store or forwarded themselves (see {@link RequestCollapsing}).
 */
final class CachePolicy implements Policy {

    static final String CACHE_NAME = "Portico";
    static final String CACHE_STATUS = "Cache-Status";
    private static final Logger LOG = LoggerFactory.getLogger(CachePolicy.class);
    private static final Set<HttpMethod> SAFE_METHODS =
            Set.of(HttpMethod.GET, HttpMethod.HEAD, HttpMethod.OPTIONS, HttpMethod.TRACE);

    private final CacheSettings settings;
    private final CacheStore store;
    private final CacheKeys keys;
    private final ChatCacheSettings chat;
    private final RequestCollapsing collapsing;

    CachePolicy(CacheSettings settings, CacheStore store, String route, RequestCollapsing collapsing) {
        this.settings = settings;
        this.store = store;
        this.collapsing = collapsing;
        this.keys = new CacheKeys(settings.key());
        this.chat = settings.chat() == null ? null : new ChatCacheSettings(store, route, settings.chat().ttl(),
                settings.chat().perConsumer(), settings.maxObjectSize());
    }

    @Override
    public void handle(RequestContext ctx, PolicyChain chain) {
        if (ctx.route().spec().ai() != null) {
            if (chat != null) {
                ctx.attribute(ChatCacheSettings.ATTRIBUTE, chat);
            }
            chain.proceed(ctx);
            return;
        }
        HttpServerRequest request = ctx.request();
        ForwardedRequest forwarded = new ForwardedRequest(ctx);
        if (!cacheable(request)) {
            ctx.onResponseHeaders(headers -> headers.add(CACHE_STATUS, CACHE_NAME + "; fwd=bypass"));
            if (!SAFE_METHODS.contains(request.method())) {
                ctx.responseTap(new Invalidation(store, keys.primary(ctx, forwarded), ctx.requestId()));
            }
            chain.proceed(ctx);
            return;
        }
        CacheControl directives = CacheControl.request(request.headers());
        String key = keys.primary(ctx, forwarded);
        if (directives.has("no-cache")) {
            if (directives.has("only-if-cached")) {
                // No stored response may serve a no-cache request, since this cache does not revalidate.
                ctx.onResponseHeaders(headers -> headers.add(CACHE_STATUS, CACHE_NAME + "; fwd=request"));
                ctx.logField("cache", "forward");
                ctx.fail(ProblemType.NOT_CACHED, "the request says only-if-cached and no-cache");
                return;
            }
            forward(ctx, chain, new Lookup(key, key, forwarded, directives, new Collapse(null)), "request", null);
            return;
        }
        lookup(ctx, chain, key, forwarded, directives, new Collapse(Vertx.currentContext()));
    }

    /**
     * Looks up the request under primary key {@code key}, then serves it from the store or forwards it. A
     * {@code Vary} marker selects the variant by the headers of the request as {@code forwarded}.
     */
    private void lookup(RequestContext ctx, PolicyChain chain, String key, ForwardedRequest forwarded,
                        CacheControl directives, Collapse collapse) {
        store.get(key).onComplete(found -> {
            if (found.failed()) {
                lookupFailed(ctx, chain, directives, collapse, found.cause());
                return;
            }
            StoredResponse entry = found.result() == null ? null : StoredResponse.decode(found.result());
            if (entry != null && entry.isMarker() && forwarded.removedCredentialFromAny(entry.varyNames())) {
                // No variant can be selected by a header whose credential the upstream never receives.
                answer(ctx, chain, new Lookup(key, key, forwarded, directives, collapse), null, "vary-miss");
                return;
            }
            if (entry != null && entry.isMarker()) {
                String variant = CacheKeys.variant(key, entry, forwarded.headers());
                store.get(variant).onComplete(selected -> {
                    if (selected.failed()) {
                        lookupFailed(ctx, chain, directives, collapse, selected.cause());
                        return;
                    }
                    StoredResponse stored = selected.result() == null ? null
                            : StoredResponse.decode(selected.result());
                    answer(ctx, chain, new Lookup(key, variant, forwarded, directives, collapse), stored,
                            "vary-miss");
                });
                return;
            }
            answer(ctx, chain, new Lookup(key, key, forwarded, directives, collapse), entry, "uri-miss");
        });
    }

    /**
     * Forwards a request whose look-up failed, such as while Redis is unavailable, without storing its response: the
     * store that just failed would most likely fail the write too. The store's client logs the outage itself.
     */
    private void lookupFailed(RequestContext ctx, PolicyChain chain, CacheControl directives, Collapse collapse,
                              Throwable cause) {
        LOG.debug("Cache look-up for request {} in the {} store failed: {}", ctx.requestId(), store.type(),
                cause.toString());
        String collapsed = collapse.attempted ? "; collapsed=?0" : "";
        ctx.onResponseHeaders(headers -> headers.add(CACHE_STATUS, CACHE_NAME + "; fwd=miss" + collapsed
                + "; detail=store-error"));
        ctx.logField("cache", "miss");
        if (directives.has("only-if-cached")) {
            ctx.fail(ProblemType.NOT_CACHED, "the request says only-if-cached and the cache store failed");
            return;
        }
        chain.proceed(ctx);
    }

    /** Serves {@code entry} when it is usable for this request, else forwards the request. */
    private void answer(RequestContext ctx, PolicyChain chain, Lookup lookup, StoredResponse entry, String miss) {
        long now = System.currentTimeMillis();
        CacheControl directives = lookup.directives();
        String forward = entry == null || entry.isMarker() ? miss : unusable(entry, directives, now);
        if (forward == null) {
            serve(ctx, entry, now, lookup.collapse().waitedFor);
            return;
        }
        if (directives.has("only-if-cached")) {
            // The 504 reports the same reason, and the same access-log outcome, as a forwarded request would.
            ctx.onResponseHeaders(headers -> headers.add(CACHE_STATUS, CACHE_NAME + "; fwd=" + forward));
            ctx.logField("cache", forward.equals("request") ? "forward" : "miss");
            ctx.fail(ProblemType.NOT_CACHED, "the request says only-if-cached and no fresh response is stored");
            return;
        }
        if (forward.equals("request") || !settings.lock().enabled() || !mayWait(ctx)) {
            forward(ctx, chain, lookup, forward, null);
            return;
        }
        Context context = lookup.collapse().context;
        if (context != null && Vertx.currentContext() != context) {
            // A store may complete a look-up on another thread, but the wait must start on the request's event loop.
            context.runOnContext(ignored -> collapse(ctx, chain, lookup, forward));
            return;
        }
        collapse(ctx, chain, lookup, forward);
    }

    /**
     * Forwards a miss as the leader of its lock key, or waits for the leader that is already forwarding an
     * identical miss (see {@link RequestCollapsing}). After a wait, the request is looked up again when the
     * leader's response was stored, and forwarded otherwise.
     */
    private void collapse(RequestContext ctx, PolicyChain chain, Lookup lookup, String reason) {
        long timeoutMillis = settings.lock().timeout().toMillis();
        RequestCollapsing.Claim claim = collapsing.claim(store, lookup.lockKey(), timeoutMillis,
                mayLead(ctx.request(), lookup.directives()));
        if (claim == null || claim.leader()) {
            forward(ctx, chain, lookup, reason, claim == null ? null : claim.flight());
            return;
        }

        Collapse collapse = lookup.collapse();
        long now = System.nanoTime();
        if (collapse.waitedFor == null) {
            collapse.deadlineNanos = now + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        }
        collapse.attempted = true;
        long remainingMillis = TimeUnit.NANOSECONDS.toMillis(collapse.deadlineNanos - now);
        Future<RequestCollapsing.Outcome> waited = remainingMillis <= 0 ? null
                : collapsing.await(claim.flight(), remainingMillis, ctx::onEnd);
        if (waited == null) {
            forward(ctx, chain, lookup, reason, null);
            return;
        }

        if (collapse.waitedFor == null) {
            collapse.waitedFor = reason;
        }
        waited.onSuccess(outcome -> {
            switch (outcome) {
                case STORED -> lookup(ctx, chain, lookup.key(), lookup.forwarded(), lookup.directives(), collapse);
                case NOT_STORED, TIMED_OUT -> forward(ctx, chain, lookup, reason, null);
                case CANCELLED -> LOG.debug("Request {} ended while it waited for an identical request",
                        ctx.requestId());
                default -> throw new IllegalStateException("unknown outcome " + outcome);
            }
        });
    }

    /**
     * Returns whether a request may wait for an identical request's response. A request whose client sent
     * {@code Authorization} bypasses collapsing, so it neither waits nor leads, because its response is stored only
     * when the upstream allows it explicitly (see {@link Freshness}). This applies also when an authentication
     * policy has removed the header.
     */
    private static boolean mayWait(RequestContext ctx) {
        return !ctx.authorizationSent();
    }

    /**
     * Returns whether a request's response can be stored for the requests that wait for it: a GET, with neither
     * {@code no-store} nor a validator whose 304 response would not be stored. Other requests that may wait do so
     * when a leader exists, and are forwarded without one.
     */
    private static boolean mayLead(HttpServerRequest request, CacheControl directives) {
        return request.method() == HttpMethod.GET && !directives.has("no-store")
                && !request.headers().contains(HttpHeaders.IF_NONE_MATCH)
                && !request.headers().contains(HttpHeaders.IF_MODIFIED_SINCE);
    }

    /**
     * Returns why {@code entry} cannot serve the request, as a {@code fwd} value, or null when it can: {@code stale}
     * when its freshness has ended, {@code request} when the request's {@code max-age} or {@code min-fresh} rules
     * it out (see {@link CacheControl#accepts}).
     */
    private static String unusable(StoredResponse entry, CacheControl directives, long now) {
        if (now >= entry.freshUntilMillis()) {
            return "stale";
        }
        return directives.accepts(entry.ageSeconds(now), entry.freshUntilMillis() - now) ? null : "request";
    }

    /**
     * Forwards the request and stores its response if it may.
     *
     * @param flight the flight that the request leads, resolved by the response capture and at the end of the
     *     exchange; null when it leads none
     */
    private void forward(RequestContext ctx, PolicyChain chain, Lookup lookup, String reason,
                         RequestCollapsing.Flight flight) {
        ctx.logField("cache", reason.equals("request") ? "forward" : "miss");
        ctx.responseTap(new ResponseCapture(settings, store, lookup.key(), ctx.request(), lookup.forwarded(),
                ctx.authorizationSent(), lookup.directives(), reason, lookup.collapse().attempted, flight,
                ctx.requestId()));
        if (flight != null) {
            ctx.onEnd(flight::abandon);
        }
        chain.proceed(ctx);
    }

    /**
     * Serves {@code entry}.
     *
     * @param waitedFor the {@code fwd} reason of a request that waited for an identical request's response, which
     *     its {@code Cache-Status} reports as collapsed; null for a plain hit
     */
    private static void serve(RequestContext ctx, StoredResponse entry, long now, String waitedFor) {
        HttpServerRequest request = ctx.request();
        HttpServerResponse response = ctx.response();
        MultiMap headers = response.headers();
        // Fields the gateway already set for this request, such as its request id, keep this request's values.
        Set<String> own = new HashSet<>();
        for (String name : headers.names()) {
            own.add(name.toLowerCase(Locale.ROOT));
        }
        for (Map.Entry<String, String> header : entry.headers()) {
            if (!own.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                headers.add(header.getKey(), header.getValue());
            }
        }
        int status = entry.status();
        if (status == 200 && notModified(request, entry)) {
            status = 304;
        }
        headers.set(HttpHeaders.AGE, Long.toString(entry.ageSeconds(now)));
        long ttl = Math.max(0, (entry.freshUntilMillis() - now) / 1000);
        if (waitedFor == null) {
            headers.add(CACHE_STATUS, CACHE_NAME + "; hit; ttl=" + ttl);
            ctx.logField("cache", "hit");
        } else {
            headers.add(CACHE_STATUS, CACHE_NAME + "; fwd=" + waitedFor + "; collapsed; ttl=" + ttl);
            ctx.logField("cache", "collapsed");
        }
        ctx.applyResponseHeaderHooks(headers);
        response.setStatusCode(status);
        Buffer body = entry.body();
        boolean bodyless = status == 304 || status == 204 || request.method() == HttpMethod.HEAD;
        headers.remove(HttpHeaders.TRANSFER_ENCODING);
        if (status == 304 || status == 204) {
            headers.remove(HttpHeaders.CONTENT_LENGTH);
        } else {
            headers.set(HttpHeaders.CONTENT_LENGTH, Integer.toString(body.length()));
        }
        if (bodyless) {
            response.end();
        } else {
            response.end(body);
        }
    }

    /** Returns whether the client's validators match {@code entry} (RFC 9110 section 13.2.2). */
    private static boolean notModified(HttpServerRequest request, StoredResponse entry) {
        String ifNoneMatch = request.getHeader(HttpHeaders.IF_NONE_MATCH);
        if (ifNoneMatch != null) {
            String etag = entry.header("etag");
            return etag != null && matches(ifNoneMatch, etag);
        }
        String ifModifiedSince = request.getHeader(HttpHeaders.IF_MODIFIED_SINCE);
        String lastModified = entry.header("last-modified");
        if (ifModifiedSince == null || lastModified == null) {
            return false;
        }
        long since = Freshness.date(ifModifiedSince, Long.MIN_VALUE);
        long modified = Freshness.date(lastModified, Long.MAX_VALUE);
        return since != Long.MIN_VALUE && modified <= since;
    }

    /**
     * The keys and directives of one look-up.
     *
     * @param key the primary key, under which the response is stored
     * @param lockKey the key that identical misses collapse on: the variant key when the look-up found a marker,
     *     else the primary key
     * @param forwarded the request as Portico forwards it, which the keys were built from
     */
    private record Lookup(String key, String lockKey, ForwardedRequest forwarded, CacheControl directives,
                          Collapse collapse) {
    }

    /** The request collapsing state of one request, kept across its look-ups; used on its event loop only. */
    private static final class Collapse {
        /** The request's event loop context; null for a request that is never collapsed. */
        private final Context context;
        /** The {@code fwd} reason of the request's first wait; null until it waits. */
        private String waitedFor;
        /** When the request stops waiting, from its first wait on, in {@link System#nanoTime()} units. */
        private long deadlineNanos;
        /** Whether the request tried to wait, so a response it forwards reports {@code collapsed=?0}. */
        private boolean attempted;

        Collapse(Context context) {
            this.context = context;
        }
    }

    /** Compares entity tags weakly: {@code W/"x"} matches {@code "x"}; {@code *} matches any tag. */
    private static boolean matches(String ifNoneMatch, String etag) {
        String stored = weak(etag.trim());
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.equals("*") || weak(tag).equals(stored)) {
                return true;
            }
        }
        return false;
    }

    private static String weak(String tag) {
        return tag.startsWith("W/") ? tag.substring(2) : tag;
    }

    /** Returns whether the request may be served from the cache: GET or HEAD, no declared body, range or upgrade. */
    private static boolean cacheable(HttpServerRequest request) {
        HttpMethod method = request.method();
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            return false;
        }
        if (request.headers().contains("range") || request.headers().contains(HttpHeaders.UPGRADE)) {
            return false;
        }
        // An HTTP/2 request is not known to have ended when the pipeline starts, so a body is recognised by its
        // declared length only. A GET body has no meaning a cache could key on (RFC 9110 section 9.3.1).
        String length = request.getHeader(HttpHeaders.CONTENT_LENGTH);
        boolean declaresBody = length != null && !length.trim().equals("0");
        return !declaresBody && !request.headers().contains(HttpHeaders.TRANSFER_ENCODING);
    }

    /**
     * Removes the stored response of a request's target URI once an unsafe request to it succeeds (RFC 9111 section
     * 4.4), with every {@code Vary} variant that its marker lists (see {@link Variants}). NOTE: the URIs in
     * {@code Location} and {@code Content-Location} are not invalidated.
     */
    private record Invalidation(CacheStore store, String key, String requestId) implements ResponseTap {
        @Override
        public boolean head(int status, MultiMap headers) {
            if (status < 400) {
                Variants.remove(store, key, cause -> LOG.debug("Removing the cache entry of request {} from the {}"
                        + " store failed: {}", requestId, store.type(), cause.toString()));
            }
            return false;
        }

        @Override
        public void chunk(Buffer data) {
            // Never called: head() asks for no body.
        }

        @Override
        public void end() {
            // Nothing to finish.
        }

        @Override
        public void abort() {
            // Nothing to finish.
        }
    }
}

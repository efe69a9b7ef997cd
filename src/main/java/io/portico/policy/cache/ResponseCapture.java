package io.portico.policy.cache;

import io.portico.cache.CacheControl;
import io.portico.cache.CacheStore;
import io.portico.net.ContentLength;
import io.portico.pipeline.ResponseTap;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies a forwarded response into the cache while the proxy streams it to the client. The body is copied only up
 * to the policy's {@code maxObjectSize}: a larger one is dropped as soon as it passes the limit and is not stored,
 * while the client still receives all of it. A response that declares its length is stored as soon as its last
 * byte arrives, before the proxy writes that byte to the client, so a client that repeats the request at once
 * finds it in a local store.
 *
 * <p>When the request leads a flight of {@link RequestCollapsing}, the capture resolves it as soon as the response
 * turns out not to be stored, or once the write of a stored response has completed.
 */
final class ResponseCapture implements ResponseTap {

    private static final Logger LOG = LoggerFactory.getLogger(ResponseCapture.class);
    /** Headers not stored: the cache status and age are written anew on each hit. */
    private static final List<String> NOT_STORED = List.of("cache-status", "age");

    private final CacheSettings settings;
    private final CacheStore store;
    private final String key;
    private final HttpServerRequest request;
    private final ForwardedRequest forwarded;
    private final boolean authorizationSent;
    private final CacheControl requestDirectives;
    private final String forward;
    private final boolean collapseAttempted;
    private final RequestCollapsing.Flight flight;
    private final String requestId;
    private StoredResponse head;
    private List<String> varyNames;
    private Buffer body;
    /** The response's {@code Content-Length}, or -1 when it declares none. */
    private long declaredLength = -1;

    /**
     * Creates the capture of one forwarded request.
     *
     * @param key the primary key of the request
     * @param forwarded the request as Portico forwards it, whose headers select the {@code Vary} variant
     * @param authorizationSent whether the client's request carried {@code Authorization}
     * @param forward why the request was forwarded, as the {@code fwd} parameter of {@code Cache-Status}
     * @param collapseAttempted whether the request tried to wait for an identical request's response first, which
     *     {@code Cache-Status} reports as {@code collapsed=?0}
     * @param flight the flight that the request leads, which learns whether the response is stored; null when it
     *     leads none
     */
    ResponseCapture(CacheSettings settings, CacheStore store, String key, HttpServerRequest request,
                    ForwardedRequest forwarded, boolean authorizationSent, CacheControl requestDirectives,
                    String forward, boolean collapseAttempted, RequestCollapsing.Flight flight, String requestId) {
        this.settings = settings;
        this.store = store;
        this.key = key;
        this.request = request;
        this.forwarded = forwarded;
        this.authorizationSent = authorizationSent;
        this.requestDirectives = requestDirectives;
        this.forward = forward;
        this.collapseAttempted = collapseAttempted;
        this.flight = flight;
        this.requestId = requestId;
    }

    @Override
    public boolean head(int status, MultiMap headers) {
        long now = System.currentTimeMillis();
        Freshness.Verdict verdict = Freshness.judge(settings, requestDirectives, authorizationSent, status, headers,
                now);
        String reason = verdict.reason();
        List<String> vary = varyNames(headers);
        if (reason == null && forwarded.removedCredentialFromAny(vary)) {
            reason = "vary";
        }

        long declared = ContentLength.parse(headers.get("content-length"));
        if (reason == null && declared > settings.maxObjectSize()) {
            reason = "too-large";
        }
        if (reason == null && request.method().name().equals("HEAD")) {
            // A HEAD response has no body to serve a later GET with.
            reason = "head";
        }

        StringBuilder cacheStatus = new StringBuilder(CachePolicy.CACHE_NAME).append("; fwd=").append(forward);
        if (collapseAttempted) {
            cacheStatus.append("; collapsed=?0");
        }
        cacheStatus.append("; fwd-status=").append(status);
        if (reason == null && declared >= 0) {
            // The whole body is known to fit; a body of unknown length is stored only if it turns out to fit.
            cacheStatus.append("; stored");
        }
        if (reason != null) {
            cacheStatus.append("; detail=").append(reason);
        }
        headers.add(CachePolicy.CACHE_STATUS, cacheStatus.toString());
        if (reason != null) {
            // The requests waiting for this response go to the upstream now, while it is still being relayed.
            resolve(RequestCollapsing.Outcome.NOT_STORED);
            return false;
        }

        List<Map.Entry<String, String>> kept = new ArrayList<>(headers.size());
        for (Map.Entry<String, String> header : headers) {
            if (!NOT_STORED.contains(header.getKey().toLowerCase(Locale.ROOT))) {
                kept.add(Map.entry(header.getKey(), header.getValue()));
            }
        }
        varyNames = vary;
        long freshUntil = now + verdict.remainingMillis();
        head = StoredResponse.response(now, freshUntil, verdict.initialAgeSeconds(), status, kept, null);
        body = Buffer.buffer((int) Math.min(Math.max(declared, 0), 64 * 1024));
        declaredLength = declared;
        if (declared == 0) {
            store();
        }
        return true;
    }

    @Override
    public void chunk(Buffer data) {
        if (body == null) {
            return;
        }
        if (body.length() + data.length() > settings.maxObjectSize()) {
            LOG.debug("Response to request {} exceeds the cache's {} bytes and is not stored", requestId,
                    settings.maxObjectSize());
            body = null;
            resolve(RequestCollapsing.Outcome.NOT_STORED);
            return;
        }
        body.appendBuffer(data);
        if (body.length() == declaredLength) {
            // The client has the whole response once this piece is written, so the entry is stored first.
            store();
        }
    }

    @Override
    public void end() {
        store();
    }

    private void store() {
        if (body == null || head == null) {
            return;
        }
        StoredResponse response = StoredResponse.response(head.storedAtMillis(), head.freshUntilMillis(),
                head.initialAgeSeconds(), head.status(), head.headers(), body);
        body = null;
        if (flight == null) {
            Variants.store(store, key, response, varyNames, forwarded, this::storeFailed);
            return;
        }
        flight.storing();
        // The waiting requests look the key up once the write has completed, successfully or not.
        Variants.store(store, key, response, varyNames, forwarded, this::storeFailed)
                .onComplete(written -> flight.resolve(RequestCollapsing.Outcome.STORED));
    }

    @Override
    public void abort() {
        body = null;
        if (flight != null) {
            flight.abandon();
        }
    }

    private void resolve(RequestCollapsing.Outcome outcome) {
        if (flight != null) {
            flight.resolve(outcome);
        }
    }

    private void storeFailed(Throwable cause) {
        LOG.debug("Storing the response to request {} in the {} cache failed: {}", requestId, store.type(),
                cause.toString());
    }

    private static List<String> varyNames(MultiMap headers) {
        List<String> names = new ArrayList<>();
        for (String vary : headers.getAll("vary")) {
            for (String name : vary.split(",")) {
                String trimmed = name.trim().toLowerCase(Locale.ROOT);
                if (!trimmed.isEmpty() && !names.contains(trimmed)) {
                    names.add(trimmed);
                }
            }
        }
        return names;
    }
}

package io.portico.gateway.proxy;

import static java.util.Objects.requireNonNull;

import io.portico.pipeline.Identity;
import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpHeaders;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the upstream who sent a request: sets the consumer's name, team, credential name, authentication method
 * and chosen labels from {@link RequestContext#identity()} in headers. Every one of these headers that the client
 * sent is removed first, on every request whether it was authenticated or not, so a client can never forge them.
 * A value containing a control character (CR, LF and NUL included) is not sent.
 */
public final class IdentityHeaders {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityHeaders.class);

    private final CharSequence consumer;
    private final CharSequence team;
    private final CharSequence credential;
    private final CharSequence method;
    private final Map<String, CharSequence> labels;
    private final List<CharSequence> all;

    /**
     * Creates the mechanism with the given header names.
     *
     * @param labels consumer label names to the header name that carries each
     */
    public IdentityHeaders(String consumer, String team, String credential, String method,
                           Map<String, String> labels) {
        // Names as AsciiString keep their hash code, so the header maps do not hash them for every request.
        this.consumer = HttpHeaders.createOptimized(requireNonNull(consumer, "consumer"));
        this.team = HttpHeaders.createOptimized(requireNonNull(team, "team"));
        this.credential = HttpHeaders.createOptimized(requireNonNull(credential, "credential"));
        this.method = HttpHeaders.createOptimized(requireNonNull(method, "method"));
        Map<String, CharSequence> byLabel = new LinkedHashMap<>();
        labels.forEach((label, header) -> byLabel.put(label, HttpHeaders.createOptimized(header)));
        this.labels = Map.copyOf(byLabel);
        List<CharSequence> names = new ArrayList<>(List.of(this.consumer, this.team, this.credential, this.method));
        names.addAll(this.labels.values());
        this.all = List.copyOf(names);
    }

    /** Returns the names of every identity header, the label headers included. */
    List<CharSequence> names() {
        return all;
    }

    /**
     * Removes every identity header from the upstream request {@code headers}, then sets those that the
     * request's identity has values for.
     */
    void apply(RequestContext ctx, MultiMap headers) {
        for (CharSequence name : all) {
            headers.remove(name);
        }
        Identity identity = ctx.identity();
        if (identity == null) {
            return;
        }
        set(ctx, headers, consumer, identity.consumer());
        set(ctx, headers, team, identity.team());
        set(ctx, headers, credential, identity.credential());
        set(ctx, headers, method, identity.method());
        if (!labels.isEmpty()) {
            labels.forEach((label, name) -> set(ctx, headers, name, identity.labels().get(label)));
        }
    }

    private static void set(RequestContext ctx, MultiMap headers, CharSequence name, String value) {
        if (value == null) {
            return;
        }
        if (!isSafe(value)) {
            LOG.debug("Request {}: identity header {} not sent, because its value contains a control character",
                    ctx.requestId(), name);
            return;
        }
        headers.set(name, value);
    }

    /** Returns false when {@code value} contains a control character, CR, LF and NUL included; tab is allowed. */
    static boolean isSafe(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < ' ' && c != '\t' || c == 0x7f) {
                return false;
            }
        }
        return true;
    }
}

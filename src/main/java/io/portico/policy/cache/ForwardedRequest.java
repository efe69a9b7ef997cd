package io.portico.policy.cache;

import io.portico.pipeline.RequestContext;
import io.vertx.core.MultiMap;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.impl.HttpUtils;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

/**
 * The query and headers of one request as Portico forwards it upstream, which cache keys and {@code Vary}
 * selections are built from. Authentication policies have removed the credential they consumed from both, unless
 * configured with {@code keepCredential}. The headers carry Portico's identity headers in place of any that the
 * client sent, so a client can neither forge a consumer's variant nor share another consumer's. The headers and
 * parameters are built on first use. A look-up that completes on another thread may build them once more, with the
 * same result.
 */
final class ForwardedRequest {

    private final RequestContext ctx;
    private volatile MultiMap headers;
    private volatile MultiMap params;

    ForwardedRequest(RequestContext ctx) {
        this.ctx = ctx;
    }

    /** Returns the request headers that the route's backend sends upstream, without {@code Host}. */
    MultiMap headers() {
        MultiMap built = headers;
        if (built == null) {
            built = ctx.route().upstreamHeaders(ctx);
            headers = built;
        }
        return built;
    }

    /**
     * Returns whether one of {@code headerNames} is a header from which an authentication policy removed the
     * credential it consumed. The upstream never receives that credential, so a {@code Vary} on such a header
     * cannot tell callers apart, and a response that names one is neither stored nor served for this request.
     */
    boolean removedCredentialFromAny(List<String> headerNames) {
        for (String name : headerNames) {
            if (ctx.isCredentialHeaderRemoved(name)) {
                return true;
            }
        }
        return false;
    }

    /** Returns the query string sent upstream, without {@code ?}, or null when the forwarded URI has none. */
    String query() {
        String uri = ctx.forwardedUri();
        if (uri == null) {
            return ctx.request().query();
        }
        int question = uri.indexOf('?');
        return question < 0 ? null : uri.substring(question + 1);
    }

    /** Returns the decoded values of query parameter {@code name} sent upstream, compared without case. */
    List<String> params(String name) {
        MultiMap built = params;
        if (built == null) {
            HttpServerRequest request = ctx.request();
            String query = query();
            // The client's own parameters are reused unless a policy removed some, which is the common case.
            built = Objects.equals(query, request.query()) ? request.params()
                    : HttpUtils.params(query == null ? "" : "?" + query, StandardCharsets.UTF_8, false);
            params = built;
        }
        return built.getAll(name);
    }
}

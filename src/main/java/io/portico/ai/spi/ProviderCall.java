package io.portico.ai.spi;

import static java.util.Objects.requireNonNull;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;

/**
 * One HTTP request to a provider, fully built: absolute URL, headers with credentials, and body. Adapters that
 * sign requests do so on the final body.
 */
public final class ProviderCall {

    private final HttpMethod method;
    private final String url;
    private final MultiMap headers;
    private final Buffer body;

    public ProviderCall(HttpMethod method, String url, MultiMap headers, Buffer body) {
        this.method = requireNonNull(method, "method");
        this.url = requireNonNull(url, "url");
        this.headers = requireNonNull(headers, "headers");
        this.body = body;
    }

    /** A POST of a JSON body with the usual content headers. */
    public static ProviderCall postJson(String url, Buffer body) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap()
                .set("content-type", "application/json")
                .set("accept", "application/json");
        return new ProviderCall(HttpMethod.POST, url, headers, body);
    }

    public HttpMethod method() {
        return method;
    }

    public String url() {
        return url;
    }

    public MultiMap headers() {
        return headers;
    }

    /** The request body; null for a request without one. */
    public Buffer body() {
        return body;
    }
}

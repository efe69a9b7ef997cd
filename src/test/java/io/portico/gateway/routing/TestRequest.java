package io.portico.gateway.routing;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/** An in-memory {@link RequestView} built fluently in tests. */
final class TestRequest implements RequestView {

    private final String method;
    private final String host;
    private final String path;
    private final Map<String, String> headers = new HashMap<>();
    private final Map<String, String> query = new HashMap<>();

    private TestRequest(String method, String host, String path) {
        this.method = method;
        this.host = host;
        this.path = path;
    }

    /** Returns a GET request for {@code path} without a host. */
    static TestRequest get(String path) {
        return new TestRequest("GET", null, path);
    }

    static TestRequest request(String method, String host, String path) {
        return new TestRequest(method, host, path);
    }

    TestRequest header(String name, String value) {
        headers.put(name.toLowerCase(Locale.ROOT), value);
        return this;
    }

    TestRequest query(String name, String value) {
        query.put(name, value);
        return this;
    }

    @Override
    public String method() {
        return method;
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
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    @Override
    public String queryParameter(String name) {
        return query.get(name);
    }

    @Override
    public String toString() {
        return method + " " + host + path + " " + headers + " " + query;
    }
}

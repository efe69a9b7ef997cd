package io.portico.testing;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Sends HTTP/1.1 requests from a chosen local address, such as {@code 127.0.0.9} or {@code ::1}, so that tests
 * can play clients and proxies with different addresses on one machine. Linux routes all of 127.0.0.0/8 to the
 * loopback interface.
 */
public final class LoopbackClient implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();

    /** A response with its body read as text. */
    public record Response(int status, MultiMap headers, String body) {
    }

    /**
     * Sends {@code method} to {@code host:port} and {@code uri} from {@code localAddress}, with {@code headers}, and
     * waits for the whole response.
     */
    public Response send(String localAddress, String host, int port, HttpMethod method, String uri,
                         Map<String, String> headers) {
        HttpClientOptions options = new HttpClientOptions().setKeepAlive(false);
        options.setLocalAddress(localAddress);
        HttpClientAgent client = vertx.createHttpClient(options);
        RequestOptions request = new RequestOptions().setMethod(method).setHost(host).setPort(port).setURI(uri);
        // An IPv6 address in the Host header needs brackets (RFC 3986 section 3.2.2).
        request.putHeader("Host", (host.contains(":") ? "[" + host + "]" : host) + ":" + port);
        headers.forEach(request::putHeader);
        Future<Response> result = ContextRequests.start(vertx, () -> client.request(request)
                .compose(sent -> sent.send())
                .compose(response -> response.body().map(body -> new Response(response.statusCode(),
                        MultiMap.caseInsensitiveMultiMap().addAll(response.headers()), body.toString()))));
        try {
            return result.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException(method + " " + uri + " from " + localAddress + " failed", e);
        } finally {
            client.close();
        }
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("client failed to stop", e);
        }
    }
}

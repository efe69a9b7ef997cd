package io.portico.policy.auth;

import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on 127.0.0.1 with an ephemeral port whose behaviour the test sets, counting the requests it
 * receives: a stand-in for a key set endpoint or an authorization server.
 */
public final class TestHttpServer implements AutoCloseable {

    private final Vertx vertx = Vertx.vertx();
    private final HttpServer server;
    private final AtomicInteger requests = new AtomicInteger();
    private volatile Handler<HttpServerRequest> handler = request -> request.response().setStatusCode(404).end();

    private TestHttpServer() {
        server = vertx.createHttpServer().requestHandler(request -> {
            requests.incrementAndGet();
            handler.handle(request);
        });
    }

    public static TestHttpServer start() {
        TestHttpServer server = new TestHttpServer();
        try {
            server.server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            server.close();
            throw new IllegalStateException("test server failed to start", e);
        }
        return server;
    }

    /** Replaces how the server responds. */
    public void handler(Handler<HttpServerRequest> handler) {
        this.handler = handler;
    }

    /** Responds to every request with {@code status} and the JSON {@code body}. */
    public void respond(int status, String body) {
        handler(request -> request.response().setStatusCode(status).putHeader("content-type", "application/json")
                .end(body));
    }

    public Vertx vertx() {
        return vertx;
    }

    public int requests() {
        return requests.get();
    }

    public String url(String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
    }
}

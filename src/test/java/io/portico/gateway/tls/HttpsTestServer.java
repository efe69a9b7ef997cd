package io.portico.gateway.tls;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Vert.x HTTPS server on 127.0.0.1 and an ephemeral port, configured by a {@link ServerTls} and updated through
 * its change listener, the way the gateway wires it. Every request gets the HTTP version and the TLS protocol of
 * its connection as the body, such as {@code HTTP_2 TLSv1.3}.
 */
final class HttpsTestServer implements AutoCloseable {

    private final HttpServer server;

    private HttpsTestServer(HttpServer server) {
        this.server = server;
    }

    static HttpsTestServer start(Vertx vertx, ServerTls tls) throws TimeoutException {
        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(0);
        tls.configure(options);
        HttpServer server = vertx.createHttpServer(options)
                .requestHandler(request -> request.response()
                        .end(request.version() + " " + request.connection().sslSession().getProtocol()));
        tls.onChange(server::updateSSLOptions);
        server.listen().await(10, TimeUnit.SECONDS);
        return new HttpsTestServer(server);
    }

    int port() {
        return server.actualPort();
    }

    @Override
    public void close() throws TimeoutException {
        server.close().await(10, TimeUnit.SECONDS);
    }
}

import io.portico.net.client.Http1Client;
import io.portico.net.client.Http1Exchange;
import io.portico.net.client.Http1ResponseHandler;
import io.portico.net.client.Origin;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;

/**
 * A reverse proxy with the least work that Vert.x's HTTP server and Portico's upstream HTTP/1.1 client allow, used
 * by bench/netty-floor.sh to measure what the server side of Portico's stack costs before any gateway work. It runs
 * one Vert.x event loop on the native transport, copies the request headers except Connection, adds X-Forwarded-For,
 * sends the request with {@link Http1Client} and writes the response's status, headers except Connection, and body
 * in one call once the body is read. It handles requests without a body only and checks nothing, so it is a
 * measuring tool, not a proxy to run.
 *
 * <p>Usage: {@code java -cp PORTICO_JAR VertxProxy LISTEN_PORT UPSTREAM_PORT}, both on 127.0.0.1.
 */
public final class VertxProxy {

    private VertxProxy() {
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        Origin upstream = Origin.http("127.0.0.1", Integer.parseInt(args[1]));
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setPreferNativeTransport(true));
        Http1Client client = new Http1Client(vertx);
        vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(port))
                .requestHandler(request -> relay(client, upstream, request))
                .listen()
                .await();
        System.out.println("listening on 127.0.0.1:" + port + ", native transport " + vertx.isNativeTransportEnabled());
    }

    private static void relay(Http1Client client, Origin upstream, HttpServerRequest request) {
        MultiMap headers = HttpHeaders.headers();
        request.headers().forEach(header -> {
            if (!header.getKey().equalsIgnoreCase("connection")) {
                headers.add(header.getKey(), header.getValue());
            }
        });
        headers.add("X-Forwarded-For", request.remoteAddress().host());
        client.send(request.method(), upstream, request.uri(), headers, null, 5_000, 5_000,
                new Http1ResponseHandler() {
                    @Override
                    public void response(Http1Exchange exchange) {
                        HttpServerResponse response = request.response().setStatusCode(exchange.status());
                        exchange.headers().forEach(header -> {
                            if (!header.getKey().equalsIgnoreCase("connection")) {
                                response.headers().add(header.getKey(), header.getValue());
                            }
                        });
                        exchange.bodyHandler(response::end);
                    }

                    @Override
                    public void failed(Throwable cause) {
                        request.response().setStatusCode(502).end();
                    }
                });
    }
}

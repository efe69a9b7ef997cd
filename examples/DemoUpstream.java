import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.WebSocketConnectOptions;
import java.net.URI;

/**
 * A demo upstream and WebSocket client for trying Portico by hand, run from source with the Portico jar on the
 * class path (Java 17 runs single source files directly):
 *
 * <pre>
 * java -cp target/portico.jar examples/DemoUpstream.java serve 8082
 * java -cp target/portico.jar examples/DemoUpstream.java ws ws://127.0.0.1:8080/ws "hello"
 * </pre>
 *
 * {@code serve} listens on 127.0.0.1 and responds to {@code /events} with five server-sent events, one per second,
 * and {@code /ws} as a WebSocket echo. {@code ws} connects, sends one text message and prints the echo.
 */
public final class DemoUpstream {

    /** Kept in a field: Vert.x closes a client that is no longer referenced, even mid-handshake. */
    private static io.vertx.core.http.WebSocketClient client;

    public static void main(String[] args) {
        if (args.length >= 2 && args[0].equals("serve")) {
            serve(Integer.parseInt(args[1]));
        } else if (args.length >= 3 && args[0].equals("ws")) {
            echo(URI.create(args[1]), args[2]);
        } else {
            System.err.println("usage: DemoUpstream serve PORT | ws URL MESSAGE");
            System.exit(2);
        }
    }

    private static void serve(int port) {
        Vertx vertx = Vertx.vertx();
        vertx.createHttpServer()
                .webSocketHandler(socket -> socket.textMessageHandler(socket::writeTextMessage))
                .requestHandler(request -> {
                    HttpServerResponse response = request.response();
                    if (!request.path().equals("/events")) {
                        response.end("demo upstream: try /events or a WebSocket on /ws\n");
                        return;
                    }
                    response.setChunked(true).putHeader("Content-Type", "text/event-stream");
                    int[] sent = {0};
                    vertx.setPeriodic(0, 1000, id -> {
                        sent[0]++;
                        response.write("id: " + sent[0] + "\ndata: tick " + sent[0] + "\n\n");
                        if (sent[0] == 5) {
                            vertx.cancelTimer(id);
                            response.end();
                        }
                    });
                })
                .listen(port, "127.0.0.1")
                .onSuccess(server -> System.out.println("demo upstream on http://127.0.0.1:" + server.actualPort()))
                .onFailure(cause -> {
                    System.err.println("cannot listen on port " + port + ": " + cause.getMessage());
                    vertx.close();
                });
    }

    private static void echo(URI url, String message) {
        Vertx vertx = Vertx.vertx();
        WebSocketConnectOptions options = new WebSocketConnectOptions().setHost(url.getHost())
                .setPort(url.getPort()).setURI(url.getRawPath());
        client = vertx.createWebSocketClient();
        client.connect(options).onSuccess(socket -> {
            socket.textMessageHandler(reply -> {
                System.out.println("echo: " + reply);
                socket.close().onComplete(closed -> vertx.close());
            });
            socket.writeTextMessage(message);
        }).onFailure(cause -> {
            System.err.println("WebSocket connection to " + url + " failed: " + cause.getMessage());
            vertx.close();
        });
    }
}

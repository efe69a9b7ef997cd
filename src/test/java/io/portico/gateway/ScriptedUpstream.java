package io.portico.gateway;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.NetSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A raw socket upstream on 127.0.0.1 that responds to the first request head of each connection with the bytes
 * scripted for its path, or with a 404 for other paths, and then closes the connection.
 */
final class ScriptedUpstream {

    private ScriptedUpstream() {
    }

    /** Starts the upstream on an ephemeral port. {@code responses} maps request paths to response bytes as text. */
    static NetServer listen(Vertx vertx, Map<String, String> responses) throws Exception {
        return listen(vertx, new NetServerOptions(), responses);
    }

    /** Starts the upstream with {@code options}, for example with TLS. */
    static NetServer listen(Vertx vertx, NetServerOptions options, Map<String, String> responses) throws Exception {
        NetServer server = vertx.createNetServer(options).connectHandler(socket -> serve(socket, responses));
        return server.listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }

    private static void serve(NetSocket socket, Map<String, String> responses) {
        StringBuilder received = new StringBuilder();
        socket.handler(data -> {
            received.append(data.toString(StandardCharsets.ISO_8859_1));
            if (received.indexOf("\r\n\r\n") < 0) {
                return;
            }
            String path = received.toString().split(" ", 3)[1];
            socket.handler(null);
            String response = responses.getOrDefault(path, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
            socket.write(Buffer.buffer(response.getBytes(StandardCharsets.ISO_8859_1))).onComplete(written ->
                    socket.close());
        });
    }
}

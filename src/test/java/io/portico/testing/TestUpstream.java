package io.portico.testing;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP upstream on 127.0.0.1 with an ephemeral port, serving fixed test endpoints:
 * <ul>
 *   <li>{@code /echo/**}: returns the request line, headers and body digest as JSON;</li>
 *   <li>{@code /status/N}: responds with status N;</li>
 *   <li>{@code /slow?ms=N}: responds after N milliseconds;</li>
 *   <li>{@code /bytes?n=N}: streams N bytes of a fixed pattern;</li>
 *   <li>{@code /sse}: sends one server-sent event each time {@link #releaseEvent()} is called, up to three;</li>
 *   <li>{@code /drip?chunks=N&ms=M}: streams N chunked lines {@code chunk I}, the first at once, then one every M
 *       milliseconds;</li>
 *   <li>{@code /hold}: answers only when {@link #releaseHeld()} is called;</li>
 *   <li>{@code /health}: answers with the status set by {@link #healthStatus(int)}, 200 at first;</li>
 *   <li>{@code /ws}: a WebSocket echo that accepts the subprotocol {@code echo.v1}.</li>
 * </ul>
 * {@link #respondWith(int)} makes every path but {@code /health} answer with one fixed status instead.
 */
public final class TestUpstream implements AutoCloseable {

    private final Vertx vertx;
    private final HttpServer server;
    private final String name;
    private final AtomicInteger requests = new AtomicInteger();
    private final BlockingQueue<Boolean> sseReleases = new LinkedBlockingQueue<>();
    private final Map<String, AtomicInteger> requestsByPath = new ConcurrentHashMap<>();
    private final List<String> requestIds = new CopyOnWriteArrayList<>();
    private final Queue<HttpServerResponse> heldResponses = new ConcurrentLinkedQueue<>();
    private volatile int fixedStatus;
    private volatile long echoDelayMillis;
    private volatile int healthStatus = 200;

    private TestUpstream(Vertx vertx, String name, HttpServerOptions options) {
        this.vertx = vertx;
        this.name = name;
        this.server = vertx.createHttpServer(options)
                .webSocketHandshakeHandler(handshake -> {
                    if (handshake.path().equals("/ws")) {
                        handshake.accept();
                    } else {
                        handshake.reject(404);
                    }
                })
                .webSocketHandler(socket -> socket.textMessageHandler(socket::writeTextMessage)
                        .binaryMessageHandler(socket::writeBinaryMessage))
                .requestHandler(this::handle);
    }

    /** Starts an upstream whose responses carry {@code X-Upstream: name}. */
    public static TestUpstream start(String name) {
        return start(name, new HttpServerOptions());
    }

    public static TestUpstream start(String name, HttpServerOptions options) {
        Vertx vertx = Vertx.vertx();
        TestUpstream upstream = new TestUpstream(vertx, name, options.setHost("127.0.0.1").setPort(0)
                .setWebSocketSubProtocols(List.of("echo.v1")));
        try {
            upstream.server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            vertx.close();
            throw new IllegalStateException("upstream failed to start", e);
        }
        return upstream;
    }

    public int port() {
        return server.actualPort();
    }

    /** Number of HTTP requests received so far. */
    public int requests() {
        return requests.get();
    }

    /** Number of HTTP requests received so far for exactly {@code path}, without query. */
    public int requests(String path) {
        AtomicInteger count = requestsByPath.get(path);
        return count == null ? 0 : count.get();
    }

    /** The {@code X-Request-Id} header of every request received so far, in arrival order; absent ones left out. */
    public List<String> requestIds() {
        return List.copyOf(requestIds);
    }

    /** Delays every {@code /echo} response by {@code millis}; 0 responds at once again. */
    public void echoDelay(long millis) {
        echoDelayMillis = millis;
    }

    /** Makes every path but {@code /health} respond with {@code status}; 0 restores the normal endpoints. */
    public void respondWith(int status) {
        fixedStatus = status;
    }

    /** Sets the status of {@code /health} responses. */
    public void healthStatus(int status) {
        healthStatus = status;
    }

    /** Responds to every {@code /hold} request received so far with 200 and body {@code held NAME}. */
    public void releaseHeld() {
        HttpServerResponse response;
        while ((response = heldResponses.poll()) != null) {
            response.end("held " + name);
        }
    }

    /** Lets the open {@code /sse} stream send its next event. */
    public void releaseEvent() {
        sseReleases.add(Boolean.TRUE);
    }

    private void handle(HttpServerRequest request) {
        requests.incrementAndGet();
        String path = request.path();
        requestsByPath.computeIfAbsent(path, key -> new AtomicInteger()).incrementAndGet();
        String requestId = request.getHeader("X-Request-Id");
        if (requestId != null) {
            requestIds.add(requestId);
        }
        HttpServerResponse response = request.response().putHeader("X-Upstream", name);
        int fixed = fixedStatus;
        if (path.equals("/health")) {
            response.setStatusCode(healthStatus).end(name);
        } else if (fixed != 0) {
            response.setStatusCode(fixed).end(name);
        } else if (path.startsWith("/status/")) {
            response.setStatusCode(Integer.parseInt(path.substring("/status/".length()))).end(name);
        } else if (path.equals("/slow")) {
            long delay = Long.parseLong(request.getParam("ms", "1000"));
            vertx.setTimer(delay, id -> response.end("slow " + name));
        } else if (path.equals("/bytes")) {
            streamBytes(response, Long.parseLong(request.getParam("n", "0")));
        } else if (path.equals("/drip")) {
            int chunks = Integer.parseInt(request.getParam("chunks", "10"));
            drip(response, chunks, Long.parseLong(request.getParam("ms", "100")), 1);
        } else if (path.equals("/hold")) {
            heldResponses.add(response);
        } else if (path.equals("/sse-quiet")) {
            // Sends an event stream's head, and its only event after the given delay.
            response.setChunked(true).putHeader("Content-Type", "text/event-stream").writeHead();
            vertx.setTimer(Long.parseLong(request.getParam("ms", "3000")), id -> response.end("data: late\n\n"));
        } else if (path.equals("/head-only")) {
            // Sends a chunked response head and then stays silent.
            response.setChunked(true).writeHead();
        } else if (path.equals("/partial")) {
            // Declares a 20-byte body, sends 8 bytes of it and then stays silent.
            response.putHeader("Content-Length", "20").write("partial ");
        } else if (path.equals("/sse")) {
            response.setChunked(true).putHeader("Content-Type", "text/event-stream").write(": open\n\n");
            sendEvents(response, 1);
        } else {
            echo(request, response);
        }
    }

    private void sendEvents(HttpServerResponse response, int index) {
        vertx.executeBlocking(() -> sseReleases.poll(30, TimeUnit.SECONDS)).onSuccess(released -> {
            if (released == null || response.closed()) {
                response.reset();
                return;
            }
            response.write("id: " + index + "\ndata: event " + index + "\n\n");
            if (index == 3) {
                response.end();
            } else {
                sendEvents(response, index + 1);
            }
        });
    }

    private void drip(HttpServerResponse response, int chunks, long intervalMillis, int index) {
        if (response.closed()) {
            return;
        }
        if (index == 1) {
            response.setChunked(true).putHeader("Content-Type", "text/plain");
        }
        response.write("chunk " + index + "\n");
        if (index == chunks) {
            response.end();
        } else {
            vertx.setTimer(intervalMillis, id -> drip(response, chunks, intervalMillis, index + 1));
        }
    }

    private static void streamBytes(HttpServerResponse response, long total) {
        response.putHeader("Content-Length", Long.toString(total));
        Buffer chunk = Buffer.buffer(new byte[64 * 1024]);
        long[] sent = {0};
        Runnable[] pump = new Runnable[1];
        pump[0] = () -> {
            while (sent[0] < total && !response.writeQueueFull()) {
                int size = (int) Math.min(chunk.length(), total - sent[0]);
                response.write(size == chunk.length() ? chunk : chunk.slice(0, size));
                sent[0] += size;
            }
            if (sent[0] >= total) {
                // A drain handler set by an earlier run may call this again after the end.
                response.drainHandler(null);
                if (!response.ended()) {
                    response.end();
                }
            } else {
                response.drainHandler(v -> pump[0].run());
            }
        };
        pump[0].run();
    }

    private void echo(HttpServerRequest request, HttpServerResponse response) {
        MessageDigest digest = sha256();
        long[] length = {0};
        request.handler(data -> {
            length[0] += data.length();
            digest.update(data.getBytes());
        });
        request.endHandler(end -> {
            if (echoDelayMillis > 0) {
                vertx.setTimer(echoDelayMillis, id -> respondEcho(request, response, length[0], digest));
            } else {
                respondEcho(request, response, length[0], digest);
            }
        });
    }

    private void respondEcho(HttpServerRequest request, HttpServerResponse response, long length,
                             MessageDigest digest) {
        JsonObject headers = new JsonObject();
        for (Map.Entry<String, String> header : request.headers()) {
            String key = header.getKey().toLowerCase(java.util.Locale.ROOT);
            JsonArray values = headers.getJsonArray(key);
            if (values == null) {
                values = new JsonArray();
                headers.put(key, values);
            }
            values.add(header.getValue());
        }
        JsonObject body = new JsonObject()
                .put("upstream", name)
                .put("method", request.method().name())
                .put("uri", request.uri())
                .put("version", request.version().name())
                .put("headers", headers)
                .put("bodyLength", length)
                .put("bodySha256", HexFormat.of().formatHex(digest.digest()));
        response.putHeader("Content-Type", "application/json").end(body.encode());
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("upstream failed to stop", e);
        }
    }
}

package io.portico.testing;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.admin.AdminServer;
import io.portico.config.Json;
import io.portico.node.NodeConfig;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/** A real admin server on 127.0.0.1 and an ephemeral port, backed by an in-memory store, and an HTTP client. */
public final class AdminFixture implements AutoCloseable {

    /** The admin token the server expects. */
    public static final String TOKEN = "pat_test-token-0123456789";

    private final Vertx vertx;
    private final InMemoryConfigStore store = new InMemoryConfigStore();
    private final StoreSnapshotSource snapshots;
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final AdminServer server;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;

    private AdminFixture() {
        vertx = Vertx.vertx();
        snapshots = new StoreSnapshotSource(vertx, store);
        NodeConfig.AdminListener listener = new NodeConfig.AdminListener("127.0.0.1", 0, null);
        server = new AdminServer(vertx, listener, TOKEN, store, new InMemoryAccountStore(), snapshots, ready::get);
        port = await(server.start());
    }

    /** Starts a server. */
    public static AdminFixture start() {
        return new AdminFixture();
    }

    public InMemoryConfigStore store() {
        return store;
    }

    public StoreSnapshotSource snapshots() {
        return snapshots;
    }

    public AdminServer server() {
        return server;
    }

    public AtomicBoolean ready() {
        return ready;
    }

    /** Returns {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** Sends a request with the admin token; {@code headers} are name, value pairs. */
    public HttpResponse<String> send(String method, String path, String body, String... headers) {
        String[] withToken = new String[headers.length + 2];
        withToken[0] = "Authorization";
        withToken[1] = "Bearer " + TOKEN;
        System.arraycopy(headers, 0, withToken, 2, headers.length);
        return sendRaw(method, path, body, withToken);
    }

    /**
     * Sends a request with exactly the given headers. A body is sent as {@code application/json} unless the
     * headers set a Content-Type.
     */
    public HttpResponse<String> sendRaw(String method, String path, String body, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl() + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        boolean contentType = false;
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
            contentType |= headers[i].equalsIgnoreCase("Content-Type");
        }
        if (body != null && !contentType) {
            request.header("Content-Type", "application/json");
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    public HttpResponse<String> get(String path, String... headers) {
        return send("GET", path, null, headers);
    }

    public HttpResponse<String> post(String path, String body, String... headers) {
        return send("POST", path, body, headers);
    }

    public HttpResponse<String> put(String path, String body, String... headers) {
        return send("PUT", path, body, headers);
    }

    public HttpResponse<String> patch(String path, String body, String... headers) {
        return send("PATCH", path, body, headers);
    }

    public HttpResponse<String> delete(String path, String... headers) {
        return send("DELETE", path, null, headers);
    }

    /** Parses a response body as JSON. */
    public static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("not JSON: " + response.body(), e);
        }
    }

    /** Waits for a Vert.x future. */
    public static <T> T await(Future<T> future) {
        try {
            return future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the future failed or timed out", e);
        }
    }

    @Override
    public void close() {
        await(server.stop());
        await(vertx.close());
    }
}

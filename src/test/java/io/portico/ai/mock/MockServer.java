package io.portico.ai.mock;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import java.io.IOException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Base of the provider mocks: a real HTTP server on 127.0.0.1 and an ephemeral port that records every request and
 * can fail the next requests with scripted faults.
 */
public abstract class MockServer implements AutoCloseable {

    /** Faults the next requests meet, in order; each is used once. */
    public enum Fault {
        /** 429 with {@code Retry-After: 1}. */
        RATE_LIMITED,
        /** 500 with the provider's error body. */
        SERVER_ERROR,
        /** 401 with the provider's error body. */
        UNAUTHORIZED,
        /** Waits two seconds before the response headers. */
        SLOW,
        /** Sends the headers and the first part of a stream, then closes the connection. */
        CUT_STREAM
    }

    /** One request the mock received. */
    public record Received(String method, String path, io.vertx.core.MultiMap headers, JsonNode body) {
    }

    private final Vertx vertx;
    private final HttpServer server;
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger closedEarly = new AtomicInteger();
    private final AtomicInteger responded = new AtomicInteger();

    protected MockServer() {
        this.vertx = Vertx.vertx();
        this.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1").setPort(0))
                .requestHandler(this::receive);
        try {
            server.listen().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("the mock server failed to start", e);
        }
    }

    public int port() {
        return server.actualPort();
    }

    public String url() {
        return "http://127.0.0.1:" + port();
    }

    /** Makes the next requests meet {@code next}, one fault per request. */
    public void fail(Fault... next) {
        faults.addAll(List.of(next));
    }

    public List<Received> received() {
        return received;
    }

    public Received last() {
        return received.get(received.size() - 1);
    }

    /** Returns the number of requests whose connection the client closed before the response ended. */
    public int closedEarly() {
        return closedEarly.get();
    }

    /** Returns the number of responses whose last byte the mock has written to the connection. */
    public int responded() {
        return responded.get();
    }

    private void receive(HttpServerRequest request) {
        request.response().bodyEndHandler(written -> responded.incrementAndGet());
        request.response().closeHandler(closed -> {
            if (!request.response().ended()) {
                closedEarly.incrementAndGet();
            }
        });
        request.body().onSuccess(body -> {
            JsonNode json;
            try {
                json = body.length() == 0 ? null : Json.MAPPER.readTree(body.getBytes());
            } catch (IOException e) {
                request.response().setStatusCode(400).end(errorBody(400, "invalid JSON"));
                return;
            }
            received.add(new Received(request.method().name(), request.path(), request.headers(), json));
            Fault fault = faults.poll();
            if (fault == Fault.SLOW) {
                vertx.setTimer(2000, id -> handle(request, json, null));
                return;
            }
            handle(request, json, fault);
        });
    }

    private void handle(HttpServerRequest request, JsonNode body, Fault fault) {
        HttpServerResponse response = request.response();
        if (fault == Fault.RATE_LIMITED) {
            response.setStatusCode(429).putHeader("retry-after", "1").putHeader("content-type", "application/json")
                    .end(errorBody(429, "Rate limit reached"));
            return;
        }
        if (fault == Fault.SERVER_ERROR) {
            response.setStatusCode(500).putHeader("content-type", "application/json")
                    .end(errorBody(500, "The server had an error while processing your request"));
            return;
        }
        if (fault == Fault.UNAUTHORIZED) {
            response.setStatusCode(401).putHeader("content-type", "application/json")
                    .end(errorBody(401, "Invalid authentication"));
            return;
        }
        serve(request, body, fault == Fault.CUT_STREAM);
    }

    /** Serves a request that meets no fault, or one whose stream must break off after its first part. */
    protected abstract void serve(HttpServerRequest request, JsonNode body, boolean cutStream);

    /** The provider's error body for {@code status}. */
    protected abstract String errorBody(int status, String message);

    protected static String json(JsonNode node) {
        return node.toString();
    }

    protected static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    /** Writes server-sent events one by one, a few milliseconds apart, then ends or cuts the response. */
    protected void sendEvents(HttpServerResponse response, List<String> events, boolean cut) {
        response.setChunked(true).putHeader("content-type", "text/event-stream");
        writeFrom(response, events, 0, cut);
    }

    private void writeFrom(HttpServerResponse response, List<String> events, int index, boolean cut) {
        if (cut && index == Math.min(2, events.size())) {
            response.reset();
            return;
        }
        if (index == events.size()) {
            response.end();
            return;
        }
        response.write(Buffer.buffer(events.get(index)));
        vertx.setTimer(2, id -> writeFrom(response, events, index + 1, cut));
    }

    @Override
    public void close() {
        vertx.close().toCompletionStage().toCompletableFuture().join();
    }
}

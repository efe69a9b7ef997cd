package io.portico.net.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Conditions;
import io.portico.testing.TestCertificates;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.streams.ReadStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.zip.GZIPOutputStream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Http1Client against real Vert.x servers on 127.0.0.1. */
class Http1ClientTest {

    private Vertx vertx;
    private Context context;
    private Http1Client client;
    /** The server side of every connection that reached a test server. */
    private final Set<HttpConnection> connections = ConcurrentHashMap.newKeySet();
    /** The framing of each next response of {@link #gzipBodyCutShortIsInvalid}. */
    private final Queue<String> framings = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        context = vertx.getOrCreateContext();
        client = new Http1Client(vertx);
    }

    @AfterEach
    void stop() throws Exception {
        client.close().await(5, TimeUnit.SECONDS);
        vertx.close().await(5, TimeUnit.SECONDS);
    }

    /** What a request got back: status, headers, body, and the failure if there was one. */
    private record Result(int status, MultiMap headers, String body, Throwable failure) { }

    private HttpServer server(Consumer<HttpServerRequest> handler) throws Exception {
        return server(new HttpServerOptions(), handler);
    }

    private HttpServer server(HttpServerOptions options, Consumer<HttpServerRequest> handler) throws Exception {
        return vertx.createHttpServer(options.setHost("127.0.0.1").setPort(0))
                .requestHandler(request -> {
                    connections.add(request.connection());
                    handler.accept(request);
                })
                .listen().await(5, TimeUnit.SECONDS);
    }

    private Result call(Http1Client with, HttpMethod method, String url, String body) throws Exception {
        return callAsync(with, method, url, body).get(10, TimeUnit.SECONDS);
    }

    /** Sends a request from the test's context and returns a future of its result. */
    private CompletableFuture<Result> callAsync(Http1Client with, HttpMethod method, String url, String body) {
        CompletableFuture<Result> result = new CompletableFuture<>();
        context.runOnContext(ignored -> with.send(method, url, MultiMap.caseInsensitiveMultiMap(),
                body == null ? null : Buffer.buffer(body), 2_000, new Http1ResponseHandler() {
                    @Override
                    public void response(Http1Exchange exchange) {
                        exchange.exceptionHandler(cause -> result.complete(new Result(exchange.status(),
                                exchange.headers(), null, cause)));
                        exchange.bodyHandler(whole -> result.complete(new Result(exchange.status(),
                                exchange.headers(), whole.toString(), null)));
                    }

                    @Override
                    public void failed(Throwable cause) {
                        result.complete(new Result(0, null, null, cause));
                    }
                }));
        return result;
    }

    private Result get(String url) throws Exception {
        return call(client, HttpMethod.GET, url, null);
    }

    private static String url(HttpServer server, String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    private static String url(NetServer server, String path) {
        return "http://127.0.0.1:" + server.actualPort() + path;
    }

    @Test
    void contentLengthBodyIsReadWhole() throws Exception {
        HttpServer server = server(request -> request.body().onSuccess(body -> request.response()
                .putHeader("x-method", request.method().name())
                .putHeader("x-host", request.getHeader("host"))
                .putHeader("x-length", String.valueOf(request.getHeader("content-length")))
                .end("echo:" + body + ":" + request.uri())));

        Result result = call(client, HttpMethod.POST, url(server, "/v1/chat?x=1"), "{\"a\":1}");

        assertThat(result.failure()).isNull();
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.body()).isEqualTo("echo:{\"a\":1}:/v1/chat?x=1");
        assertThat(result.headers().get("x-method")).isEqualTo("POST");
        assertThat(result.headers().get("x-host")).isEqualTo("127.0.0.1:" + server.actualPort());
        assertThat(result.headers().get("x-length")).isEqualTo("7");
    }

    @Test
    void keepAliveReusesConnection() throws Exception {
        HttpServer server = server(request -> request.response().end("ok"));

        for (int i = 0; i < 5; i++) {
            assertThat(get(url(server, "/")).body()).isEqualTo("ok");
        }

        assertThat(connections).hasSize(1);
    }

    @Test
    void connectionCloseIsNotReused() throws Exception {
        HttpServer server = server(request -> request.response().putHeader("connection", "close").end("bye"));

        assertThat(get(url(server, "/")).body()).isEqualTo("bye");
        assertThat(get(url(server, "/")).body()).isEqualTo("bye");

        assertThat(connections).hasSize(2);
    }

    @Test
    void chunkedBodyArrivesInOrder() throws Exception {
        HttpServer server = server(request -> {
            request.response().setChunked(true);
            for (int i = 0; i < 5; i++) {
                int n = i;
                vertx.setTimer(5L * (i + 1), id -> {
                    request.response().write("part" + n + ";");
                    if (n == 4) {
                        request.response().end();
                    }
                });
            }
        });
        List<String> pieces = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> ended = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/stream"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .handler(piece -> pieces.add(piece.toString()))
                        .exceptionHandler(ended::completeExceptionally)
                        .endHandler(end -> ended.complete(null)), ended)));
        ended.get(10, TimeUnit.SECONDS);

        assertThat(String.join("", pieces)).isEqualTo("part0;part1;part2;part3;part4;");
        assertThat(pieces.size()).isGreaterThan(1);
    }

    @Test
    void lastContentArrivesWithEnd() throws Exception {
        HttpServer server = server(request -> request.response().end("whole body"));

        assertThat(handlerCalls(url(server, "/"))).containsExactly("last:whole body");
    }

    @Test
    void lastContentOfChunkedBodyComesAsEnd() throws Exception {
        HttpServer server = server(request -> request.response().setChunked(true).write("a").onSuccess(written ->
                vertx.setTimer(20, id -> request.response().end("b"))));

        // A chunked body ends with an empty last chunk, so its last piece of content comes before a separate end.
        assertThat(handlerCalls(url(server, "/"))).containsExactly("content:a", "content:b", "end");
    }

    /** Sends a GET to {@code url} with content, last-content and end handlers, and returns their calls in order. */
    private List<String> handlerCalls(String url) throws Exception {
        List<String> calls = Collections.synchronizedList(new ArrayList<>());
        CompletableFuture<Void> ended = new CompletableFuture<>();
        context.runOnContext(ignored -> client.send(HttpMethod.GET, url, MultiMap.caseInsensitiveMultiMap(), null,
                2_000, responses(exchange -> exchange
                        .handler(piece -> calls.add("content:" + piece))
                        .lastContentHandler(piece -> {
                            calls.add("last:" + piece);
                            ended.complete(null);
                        })
                        .exceptionHandler(ended::completeExceptionally)
                        .endHandler(end -> {
                            calls.add("end");
                            ended.complete(null);
                        }), ended)));
        ended.get(10, TimeUnit.SECONDS);
        return calls;
    }

    @Test
    void bodyUntilCloseIsReadWhole() throws Exception {
        NetServer server = rawServer(socket -> socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n"
                + "until the end").onSuccess(written -> socket.close()));

        Result result = get(url(server, "/"));

        assertThat(result.failure()).isNull();
        assertThat(result.body()).isEqualTo("until the end");
    }

    @Test
    void errorStatusBodyIsReadWhole() throws Exception {
        HttpServer server = server(request -> request.response().setStatusCode(429)
                .putHeader("retry-after", "3").end("{\"error\":\"slow down\"}"));

        Result result = get(url(server, "/"));

        assertThat(result.status()).isEqualTo(429);
        assertThat(result.headers().get("retry-after")).isEqualTo("3");
        assertThat(result.body()).isEqualTo("{\"error\":\"slow down\"}");
    }

    @Test
    void idleConnectionClosedByServerIsReplaced() throws Exception {
        HttpServer server = server(new HttpServerOptions().setIdleTimeout(100)
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS), request -> request.response().end("ok"));

        assertThat(get(url(server, "/")).body()).isEqualTo("ok");
        Thread.sleep(400);
        Result second = get(url(server, "/"));

        assertThat(second.failure()).isNull();
        assertThat(second.body()).isEqualTo("ok");
        assertThat(connections).hasSize(2);
    }

    @Test
    void idleConnectionsCloseAfterIdleTimeout() throws Exception {
        Http1Client quick = new Http1Client(vertx, new Http1ClientOptions(64, Duration.ofMillis(100), null));
        HttpServer server = server(request -> request.response().end("ok"));
        CountDownLatch closed = new CountDownLatch(1);

        assertThat(call(quick, HttpMethod.GET, url(server, "/"), null).body()).isEqualTo("ok");
        connections.iterator().next().closeHandler(ignored -> closed.countDown());

        assertThat(closed.await(5, TimeUnit.SECONDS)).isTrue();
        quick.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void fullPoolWaitTimesOut() throws Exception {
        Http1Client single = new Http1Client(vertx, new Http1ClientOptions(1, Duration.ofSeconds(60), null));
        List<HttpServerRequest> heldRequests = new CopyOnWriteArrayList<>();
        CountDownLatch holding = new CountDownLatch(1);
        HttpServer server = server(request -> {
            heldRequests.add(request);
            holding.countDown();
        });
        CompletableFuture<Result> first = new CompletableFuture<>();
        context.runOnContext(ignored -> single.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .bodyHandler(body -> first.complete(new Result(exchange.status(), null, body.toString(),
                                null))), first)));
        assertThat(holding.await(10, TimeUnit.SECONDS)).as("server received the first request").isTrue();

        CompletableFuture<Result> second = new CompletableFuture<>();
        context.runOnContext(ignored -> single.send(HttpMethod.GET, Origin.http("127.0.0.1", server.actualPort()),
                "/", MultiMap.caseInsensitiveMultiMap(), null, 2_000, 100, responses(exchange -> exchange
                        .bodyHandler(body -> second.complete(new Result(exchange.status(), null, body.toString(),
                                null))), second)));
        Throwable waitFailure = second.handle((result, failure) -> failure).get(10, TimeUnit.SECONDS);
        heldRequests.forEach(request -> request.response().end("held"));

        assertThat(waitFailure).isInstanceOf(PoolWaitTimeoutException.class);
        assertThat(first.get(10, TimeUnit.SECONDS).body()).isEqualTo("held");
        assertThat(connections).hasSize(1);
        single.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void gzipBodyPassesThroughWithoutDecompression() throws Exception {
        byte[] compressed = gzip("plain text");
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(compressed)));
        Http1Client raw = new Http1Client(vertx, new Http1ClientOptions(64, Duration.ofSeconds(60), null, false,
                null));

        Result result = call(raw, HttpMethod.GET, url(server, "/"), null);

        assertThat(result.headers().get("content-encoding")).isEqualTo("gzip");
        assertThat(result.body()).isEqualTo(Buffer.buffer(compressed).toString());
        raw.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void rejectedRemoteAddressFailsBeforeSending() throws Exception {
        AtomicInteger received = new AtomicInteger();
        HttpServer server = server(request -> {
            received.incrementAndGet();
            request.response().end("ok");
        });
        Http1Client guarded = new Http1Client(vertx, new Http1ClientOptions(64, Duration.ofSeconds(60), null, true,
                remote -> !remote.getAddress().isLoopbackAddress()));

        Result result = call(guarded, HttpMethod.GET, url(server, "/"), null);

        assertThat(result.failure()).isInstanceOf(IOException.class).hasMessageContaining("is not allowed");
        assertThat(received).hasValue(0);
        guarded.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void streamedBodyIsSentChunked() throws Exception {
        HttpServer server = server(request -> request.body().onSuccess(body -> request.response()
                .putHeader("x-transfer-encoding", String.valueOf(request.getHeader("transfer-encoding")))
                .end(body.length() + ":" + body.getString(0, 12))));
        ChunkSource source = new ChunkSource(200, "0123456789");
        CompletableFuture<Result> result = new CompletableFuture<>();

        context.runOnContext(ignored -> client.sendStreaming(HttpMethod.POST,
                Origin.http("127.0.0.1", server.actualPort()), "/upload", MultiMap.caseInsensitiveMultiMap(), source,
                2_000, 2_000, responses(exchange -> exchange.bodyHandler(body -> result.complete(
                        new Result(exchange.status(), exchange.headers(), body.toString(), null))), result)));
        Result received = result.get(10, TimeUnit.SECONDS);

        assertThat(received.status()).isEqualTo(200);
        assertThat(received.body()).isEqualTo("2000:012345678901");
        assertThat(received.headers().get("x-transfer-encoding")).isEqualTo("chunked");
    }

    @Test
    void streamedBodyPausesWhileServerDoesNotRead() throws Exception {
        NetServer server = rawServer(NetSocket::pause);
        ChunkSource source = new ChunkSource(Integer.MAX_VALUE, "x".repeat(64 * 1024));
        CompletableFuture<Result> result = new CompletableFuture<>();

        context.runOnContext(ignored -> client.sendStreaming(HttpMethod.POST,
                Origin.http("127.0.0.1", server.actualPort()), "/upload", MultiMap.caseInsensitiveMultiMap(), source,
                2_000, 2_000, responses(exchange -> { }, result)));

        // Without back-pressure the source would never pause, and the client would buffer it until memory ran out.
        Conditions.eventually("the body source is paused", () -> source.paused && source.sent > 0);
        assertThat(result).isNotDone();
    }

    @Test
    void failedBodySourceFailsExchange() throws Exception {
        CountDownLatch serverSawClose = new CountDownLatch(1);
        HttpServer server = server(request -> request.connection().closeHandler(ignored -> serverSawClose.countDown()));
        ChunkSource source = new ChunkSource(Integer.MAX_VALUE, "data");
        CompletableFuture<Result> result = new CompletableFuture<>();

        context.runOnContext(ignored -> client.sendStreaming(HttpMethod.POST,
                Origin.http("127.0.0.1", server.actualPort()), "/upload", MultiMap.caseInsensitiveMultiMap(), source,
                2_000, 2_000, responses(exchange -> { }, result)));
        context.runOnContext(ignored -> vertx.setTimer(50, id -> source.fail(new IOException("client went away"))));
        Throwable failure = result.handle((ok, cause) -> cause).get(10, TimeUnit.SECONDS);

        assertThat(failure).isInstanceOf(IOException.class).hasMessage("client went away");
        assertThat(serverSawClose.await(10, TimeUnit.SECONDS)).as("server saw the connection close").isTrue();
    }

    /** A body of {@code count} copies of {@code piece}, sent one per event loop turn while not paused. */
    private final class ChunkSource implements ReadStream<Buffer> {
        private final int count;
        private final Buffer piece;
        private volatile int sent;
        private volatile boolean paused = true;
        private boolean scheduled;
        private boolean failed;
        private Handler<Buffer> handler;
        private Handler<Void> endHandler;
        private Handler<Throwable> exceptionHandler;

        ChunkSource(int count, String piece) {
            this.count = count;
            this.piece = Buffer.buffer(piece);
        }

        void fail(Throwable cause) {
            failed = true;
            if (exceptionHandler != null) {
                exceptionHandler.handle(cause);
            }
        }

        private void schedule() {
            if (!scheduled && !paused && !failed) {
                scheduled = true;
                context.runOnContext(ignored -> emit());
            }
        }

        private void emit() {
            scheduled = false;
            if (paused || failed || handler == null) {
                return;
            }
            if (sent == count) {
                if (endHandler != null) {
                    endHandler.handle(null);
                }
                return;
            }
            sent++;
            handler.handle(piece.copy());
            schedule();
        }

        @Override
        public ReadStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            this.exceptionHandler = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> handler(Handler<Buffer> handler) {
            this.handler = handler;
            return this;
        }

        @Override
        public ReadStream<Buffer> pause() {
            paused = true;
            return this;
        }

        @Override
        public ReadStream<Buffer> resume() {
            paused = false;
            schedule();
            return this;
        }

        @Override
        public ReadStream<Buffer> fetch(long amount) {
            return resume();
        }

        @Override
        public ReadStream<Buffer> endHandler(Handler<Void> handler) {
            this.endHandler = handler;
            return this;
        }
    }

    @Test
    void fullPoolQueuesRequests() throws Exception {
        Http1Client single = new Http1Client(vertx, new Http1ClientOptions(1, Duration.ofSeconds(60), null));
        HttpServer server = server(request -> vertx.setTimer(20, id -> request.response().end("ok")));
        List<CompletableFuture<Result>> results = new ArrayList<>();

        for (int i = 0; i < 4; i++) {
            CompletableFuture<Result> result = new CompletableFuture<>();
            results.add(result);
            context.runOnContext(ignored -> single.send(HttpMethod.GET, url(server, "/"),
                    MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                            .bodyHandler(body -> result.complete(new Result(exchange.status(), null,
                                    body.toString(), null)))
                            .exceptionHandler(result::completeExceptionally), result)));
        }

        for (CompletableFuture<Result> result : results) {
            assertThat(result.get(10, TimeUnit.SECONDS).body()).isEqualTo("ok");
        }
        assertThat(connections).hasSize(1);
        single.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void resetMidStreamClosesConnection() throws Exception {
        CountDownLatch serverSawClose = new CountDownLatch(1);
        HttpServer server = server(request -> {
            request.connection().closeHandler(ignored -> serverSawClose.countDown());
            request.response().setChunked(true).write("first;");
            vertx.setPeriodic(20, id -> {
                if (!request.response().closed()) {
                    request.response().write("more;");
                }
            });
        });
        AtomicInteger afterReset = new AtomicInteger();
        AtomicBoolean resetDone = new AtomicBoolean();
        CompletableFuture<Void> firstPiece = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .handler(piece -> {
                            if (resetDone.get()) {
                                afterReset.incrementAndGet();
                                return;
                            }
                            resetDone.set(true);
                            exchange.reset();
                            firstPiece.complete(null);
                        })
                        .exceptionHandler(cause -> afterReset.incrementAndGet())
                        .endHandler(end -> afterReset.incrementAndGet()), firstPiece)));
        firstPiece.get(10, TimeUnit.SECONDS);

        assertThat(serverSawClose.await(5, TimeUnit.SECONDS)).isTrue();
        Thread.sleep(100);
        assertThat(afterReset.get()).isZero();
    }

    @Test
    void pausedResponseDeliversNothingUntilResumed() throws Exception {
        int pieceSize = 16 * 1024;
        int pieces = 256;
        HttpServer server = server(request -> {
            request.response().setChunked(true);
            Buffer piece = Buffer.buffer(new byte[pieceSize]);
            for (int i = 0; i < pieces; i++) {
                request.response().write(piece);
            }
            request.response().end();
        });
        AtomicInteger received = new AtomicInteger();
        AtomicInteger whilePaused = new AtomicInteger();
        AtomicBoolean paused = new AtomicBoolean();
        CompletableFuture<Http1Exchange> firstPiece = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .handler(piece -> {
                            if (paused.get()) {
                                whilePaused.incrementAndGet();
                            }
                            received.addAndGet(piece.length());
                            if (!firstPiece.isDone()) {
                                paused.set(true);
                                exchange.pause();
                                firstPiece.complete(exchange);
                            }
                        })
                        .exceptionHandler(ended::completeExceptionally)
                        .endHandler(end -> ended.complete(null)), ended)));
        Http1Exchange exchange = firstPiece.get(10, TimeUnit.SECONDS);
        Thread.sleep(300);
        int duringPause = received.get();

        assertThat(ended).isNotDone();
        assertThat(whilePaused.get()).isZero();
        assertThat(duringPause).isLessThan(pieceSize * pieces);
        context.runOnContext(ignored -> {
            paused.set(false);
            exchange.resume();
        });
        ended.get(10, TimeUnit.SECONDS);
        assertThat(received.get()).isEqualTo(pieceSize * pieces);
    }

    @Test
    void gzipBodyIsDecompressed() throws Exception {
        byte[] compressed = gzip("{\"id\":\"compressed\"}");
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(compressed)));

        Result first = get(url(server, "/"));
        Result second = get(url(server, "/"));

        assertThat(first.body()).isEqualTo("{\"id\":\"compressed\"}");
        assertThat(second.body()).isEqualTo("{\"id\":\"compressed\"}");
        assertThat(connections).hasSize(1);
    }

    @Test
    void deflateBodiesAreDecompressed() throws Exception {
        byte[] text = "{\"id\":\"deflated\"}".getBytes(StandardCharsets.UTF_8);
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "deflate")
                .end(Buffer.buffer(request.path().equals("/raw") ? CompressedBodies.rawDeflate(text)
                        : CompressedBodies.zlib(text))));

        Result zlib = get(url(server, "/zlib"));
        Result raw = get(url(server, "/raw"));

        assertThat(zlib.failure()).isNull();
        assertThat(zlib.body()).isEqualTo("{\"id\":\"deflated\"}");
        assertThat(zlib.headers().get("content-encoding")).isNull();
        assertThat(raw.failure()).isNull();
        assertThat(raw.body()).isEqualTo("{\"id\":\"deflated\"}");
    }

    /**
     * A gzip body cut inside its compressed stream fails the exchange, however the response is framed. The framing
     * marks the body as whole, but the gzip stream is not.
     */
    @Test
    void gzipBodyCutShortIsInvalid() throws Exception {
        byte[] whole = CompressedBodies.gzip(("{\"choices\":[\"" + "a long answer ".repeat(200) + "\"]}")
                .getBytes(StandardCharsets.UTF_8));
        Buffer cut = Buffer.buffer(whole).slice(0, whole.length / 2);
        String head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-encoding: gzip\r\n";
        NetServer server = rawServer(socket -> {
            switch (String.valueOf(framings.poll())) {
                case "content-length" -> socket.write(Buffer.buffer(head + "content-length: " + cut.length()
                        + "\r\n\r\n").appendBuffer(cut));
                case "chunked" -> socket.write(Buffer.buffer(head + "transfer-encoding: chunked\r\n\r\n"
                        + Integer.toHexString(cut.length()) + "\r\n").appendBuffer(cut).appendString("\r\n0\r\n\r\n"));
                default -> socket.write(Buffer.buffer(head + "\r\n").appendBuffer(cut))
                        .onSuccess(written -> socket.close());
            }
        });

        for (String framing : List.of("content-length", "chunked", "until-close")) {
            framings.add(framing);
            Result result = get(url(server, "/"));

            assertThat(result.status()).as(framing).isEqualTo(200);
            assertThat(result.body()).as(framing).isNull();
            assertThat(result.failure()).as(framing).isInstanceOf(InvalidResponseException.class)
                    .hasMessageEndingWith(": the gzip body ends before its compressed stream does");
        }
    }

    /**
     * A gzip body of 1 GiB of zeros, about 1 MiB compressed. Against a body limit of 1 MiB it fails with
     * {@link ResponseTooLargeException}. A streaming reader gets pieces of at most 8 KiB: one while it is paused,
     * and none after it resets the exchange at 1 MiB.
     */
    @Test
    void gzipBombStopsAtBodyLimit() throws Exception {
        int limit = 1024 * 1024;
        byte[] bomb = CompressedBodies.gzipOfZeros(1024);
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(bomb)));

        CompletableFuture<Throwable> collected = new CompletableFuture<>();
        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .exceptionHandler(collected::complete)
                        .bodyHandler(limit, body -> collected.complete(null)), collected)));
        assertThat(collected.get(10, TimeUnit.SECONDS)).isInstanceOf(ResponseTooLargeException.class);

        AtomicLong streamed = new AtomicLong();
        AtomicInteger largestPiece = new AtomicInteger();
        AtomicInteger afterReset = new AtomicInteger();
        CompletableFuture<Http1Exchange> firstPiece = new CompletableFuture<>();
        CompletableFuture<Void> streamStopped = new CompletableFuture<>();
        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .handler(piece -> {
                            if (!firstPiece.isDone()) {
                                exchange.pause();
                                firstPiece.complete(exchange);
                            }
                            if (streamStopped.isDone()) {
                                afterReset.incrementAndGet();
                                return;
                            }
                            largestPiece.accumulateAndGet(piece.length(), Math::max);
                            if (streamed.addAndGet(piece.length()) > limit) {
                                exchange.reset();
                                streamStopped.complete(null);
                            }
                        })
                        .exceptionHandler(streamStopped::completeExceptionally)
                        .endHandler(end -> streamStopped.complete(null)), streamStopped)));
        Http1Exchange exchange = firstPiece.get(10, TimeUnit.SECONDS);
        Thread.sleep(100);

        assertThat(streamed.get()).as("bytes streamed while paused").isLessThanOrEqualTo(BodyInflater.MAX_PIECE_BYTES);
        context.runOnContext(ignored -> exchange.resume());
        streamStopped.get(10, TimeUnit.SECONDS);
        Thread.sleep(100);
        assertThat(largestPiece.get()).as("largest piece").isLessThanOrEqualTo(BodyInflater.MAX_PIECE_BYTES);
        assertThat(streamed.get()).as("bytes streamed").isLessThanOrEqualTo(limit + BodyInflater.MAX_PIECE_BYTES);
        assertThat(afterReset.get()).as("pieces after the reset").isZero();
    }

    /**
     * The body limit stops decompression before it reaches data past the limit: a gzip body of 256 KiB of zeros and
     * then an invalid block, all in one read, fails with the limit of 64 KiB and not as invalid. Without a limit the
     * same body is invalid. Decompressing each read whole before the limit applies would reach the invalid block
     * first.
     */
    @Test
    void bodyLimitStopsDecompression() throws Exception {
        byte[] body = CompressedBodies.gzipOfZerosThenInvalidBlock(256);
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(body)));
        CompletableFuture<Throwable> limited = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .exceptionHandler(limited::complete)
                        .bodyHandler(64 * 1024, whole -> limited.complete(null)), limited)));

        assertThat(body.length).as("compressed size").isLessThan(1024);
        assertThat(limited.get(10, TimeUnit.SECONDS)).isInstanceOf(ResponseTooLargeException.class);
        Result unlimited = get(url(server, "/"));
        assertThat(unlimited.failure()).isInstanceOf(InvalidResponseException.class)
                .hasMessageEndingWith(": the gzip body's compressed data is invalid: invalid block type");
    }

    /**
     * A paused exchange decompresses nothing: a body handler, which collects content even while paused, reaches its
     * limit only after the exchange resumes.
     */
    @Test
    void pausedExchangeStopsDecompression() throws Exception {
        byte[] bomb = CompressedBodies.gzipOfZeros(64);
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(bomb)));
        CompletableFuture<Http1Exchange> responded = new CompletableFuture<>();
        CompletableFuture<Throwable> collected = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> {
                    exchange.pause().exceptionHandler(collected::complete)
                            .bodyHandler(1024 * 1024, body -> collected.complete(null));
                    responded.complete(exchange);
                }, collected)));
        Http1Exchange exchange = responded.get(10, TimeUnit.SECONDS);
        Thread.sleep(300);

        assertThat(collected).as("body collected while paused").isNotDone();
        context.runOnContext(ignored -> exchange.resume());
        assertThat(collected.get(10, TimeUnit.SECONDS)).isInstanceOf(ResponseTooLargeException.class);
    }

    @Test
    void pausedGzipBodyWaitsForResume() throws Exception {
        StringBuilder text = new StringBuilder();
        for (int i = 0; text.length() < 2 * 1024 * 1024; i++) {
            text.append("line ").append(i).append(" of a compressed answer\n");
        }
        byte[] compressed = CompressedBodies.gzip(text.toString().getBytes(StandardCharsets.UTF_8));
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(compressed)));
        Buffer received = Buffer.buffer();
        AtomicInteger whilePaused = new AtomicInteger();
        AtomicBoolean paused = new AtomicBoolean();
        CompletableFuture<Http1Exchange> firstPiece = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> exchange
                        .handler(piece -> {
                            if (paused.get()) {
                                whilePaused.incrementAndGet();
                            }
                            received.appendBuffer(piece);
                            if (!firstPiece.isDone()) {
                                paused.set(true);
                                exchange.pause();
                                firstPiece.complete(exchange);
                            }
                        })
                        .exceptionHandler(ended::completeExceptionally)
                        .endHandler(end -> ended.complete(null)), ended)));
        Http1Exchange exchange = firstPiece.get(10, TimeUnit.SECONDS);
        Thread.sleep(300);

        assertThat(ended).isNotDone();
        assertThat(whilePaused.get()).isZero();
        context.runOnContext(ignored -> {
            paused.set(false);
            exchange.resume();
        });
        ended.get(10, TimeUnit.SECONDS);
        assertThat(received.toString(StandardCharsets.UTF_8)).isEqualTo(text.toString());
    }

    /**
     * A paused exchange whose gzip body arrived whole gets the rest of its output on resume, even after the
     * connection closed, because nothing of the body is missing.
     */
    @Test
    void pausedGzipBodyOutlivesConnection() throws Exception {
        byte[] text = "z".repeat(64 * 1024).getBytes(StandardCharsets.UTF_8);
        HttpServer server = server(request -> request.response().putHeader("content-encoding", "gzip")
                .end(Buffer.buffer(CompressedBodies.gzip(text))));
        Buffer received = Buffer.buffer();
        CompletableFuture<Http1Exchange> responded = new CompletableFuture<>();
        CompletableFuture<Void> ended = new CompletableFuture<>();

        context.runOnContext(ignored -> client.send(HttpMethod.GET, url(server, "/"),
                MultiMap.caseInsensitiveMultiMap(), null, 2_000, responses(exchange -> {
                    exchange.pause().handler(received::appendBuffer)
                            .exceptionHandler(ended::completeExceptionally)
                            .endHandler(end -> ended.complete(null));
                    responded.complete(exchange);
                }, ended)));
        Http1Exchange exchange = responded.get(10, TimeUnit.SECONDS);
        Thread.sleep(200);
        client.close().await(5, TimeUnit.SECONDS);
        context.runOnContext(ignored -> exchange.resume());

        ended.get(10, TimeUnit.SECONDS);
        assertThat(received.length()).isEqualTo(text.length);
    }

    @Test
    void sendsNoAcceptEncoding() throws Exception {
        HttpServer server = server(request -> request.response()
                .end(String.valueOf(request.getHeader("accept-encoding"))));

        assertThat(get(url(server, "/")).body()).isEqualTo("null");
    }

    @Test
    void unreachableServerFails() throws Exception {
        NetServer unused = rawServer(socket -> { });
        int port = unused.actualPort();
        unused.close().await(5, TimeUnit.SECONDS);

        Result result = get("http://127.0.0.1:" + port + "/");

        assertThat(result.status()).isZero();
        assertThat(result.failure()).isNotNull();
    }

    @Test
    void serverClosingMidResponseFails() throws Exception {
        NetServer server = rawServer(socket -> socket.write("HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nshort")
                .onSuccess(written -> socket.close()));

        Result result = get(url(server, "/"));

        assertThat(result.status()).isEqualTo(200);
        assertThat(result.failure()).isInstanceOf(IOException.class);
    }

    @Test
    void httpsWithTrustedCertificate() throws Exception {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("localhost");
        HttpServer server = server(tls(certificate), request -> request.response()
                .end("sni=" + request.connection().indicatedServerName()));
        Http1Client trusting = new Http1Client(vertx,
                Http1ClientOptions.DEFAULT.withTrustedCertificates(certificate.certificatePem()));

        Result first = call(trusting, HttpMethod.GET, "https://localhost:" + server.actualPort() + "/", null);
        Result second = call(trusting, HttpMethod.GET, "https://localhost:" + server.actualPort() + "/", null);

        assertThat(first.failure()).isNull();
        assertThat(first.body()).isEqualTo("sni=localhost");
        assertThat(second.body()).isEqualTo("sni=localhost");
        assertThat(connections).hasSize(1);
        trusting.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void httpsRejectsUntrustedCertificate() throws Exception {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("localhost");
        HttpServer server = server(tls(certificate), request -> request.response().end("ok"));

        Result result = get("https://localhost:" + server.actualPort() + "/");

        assertThat(result.status()).isZero();
        assertThat(result.failure()).isInstanceOf(SSLHandshakeException.class);
    }

    @Test
    void httpsRejectsCertificateForAnotherHost() throws Exception {
        TestCertificates.Issued certificate = TestCertificates.selfSignedServer("other.example");
        HttpServer server = server(tls(certificate), request -> request.response().end("ok"));
        Http1Client trusting = new Http1Client(vertx,
                Http1ClientOptions.DEFAULT.withTrustedCertificates(certificate.certificatePem()));

        Result result = call(trusting, HttpMethod.GET, "https://localhost:" + server.actualPort() + "/", null);

        assertThat(result.status()).isZero();
        assertThat(result.failure()).isInstanceOf(SSLHandshakeException.class);
        trusting.close().await(5, TimeUnit.SECONDS);
    }

    @Test
    void closeClosesConnections() throws Exception {
        HttpServer server = server(request -> request.response().end("ok"));
        CountDownLatch closed = new CountDownLatch(1);
        assertThat(get(url(server, "/")).body()).isEqualTo("ok");
        connections.iterator().next().closeHandler(ignored -> closed.countDown());

        client.close().await(5, TimeUnit.SECONDS);

        assertThat(closed.await(5, TimeUnit.SECONDS)).isTrue();
    }

    /**
     * When a kept-alive connection closes before the response, the client sends an idempotent request again on a new
     * connection, but not after {@link Http1Client#close()}, because nothing would close that new connection.
     */
    @Test
    void closeFailsRequestWithoutResend() throws Exception {
        AtomicInteger heldRequests = new AtomicInteger();
        HttpServer server = server(request -> {
            if (request.path().equals("/hold")) {
                heldRequests.incrementAndGet();
            } else {
                request.response().end("ok");
            }
        });
        assertThat(get(url(server, "/")).body()).isEqualTo("ok");
        CompletableFuture<Result> pending = callAsync(client, HttpMethod.GET, url(server, "/hold"), null);
        Conditions.eventually("the server holds the request", () -> heldRequests.get() == 1);

        client.close().await(5, TimeUnit.SECONDS);

        Result result = pending.get(5, TimeUnit.SECONDS);
        assertThat(result.failure()).isInstanceOf(IllegalStateException.class);
        assertThat(heldRequests).as("requests for /hold the server received").hasValue(1);
        assertThat(connections).as("connections that reached the server").hasSize(1);
    }

    @Test
    void drainEndFailsHeldRequest() throws Exception {
        AtomicInteger heldRequests = new AtomicInteger();
        HttpServer server = server(request -> heldRequests.incrementAndGet());
        CompletableFuture<Result> pending = callAsync(client, HttpMethod.GET, url(server, "/hold"), null);
        Conditions.eventually("the server holds the request", () -> heldRequests.get() == 1);

        client.shutdown(200).await(5, TimeUnit.SECONDS);

        Result result = pending.get(5, TimeUnit.SECONDS);
        assertThat(result.status()).isZero();
        assertThat(result.failure()).isInstanceOf(DrainExpiredException.class)
                .hasMessage("the HTTP/1.1 client was shut down, and its drain time of 200 ms ended before the"
                        + " response did");
        assertThat(heldRequests).as("requests for /hold the server received").hasValue(1);
    }

    /** A body that lasts until the connection closes is cut, not ended, when the drain time closes the connection. */
    @Test
    void drainEndCutsBodyUntilClose() throws Exception {
        AtomicInteger started = new AtomicInteger();
        NetServer server = rawServer(socket -> socket.write("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\n"
                + "the start").onSuccess(written -> started.incrementAndGet()));
        CompletableFuture<Result> pending = callAsync(client, HttpMethod.GET, url(server, "/"), null);
        Conditions.eventually("the server sent the start of the response", () -> started.get() == 1);

        client.shutdown(200).await(5, TimeUnit.SECONDS);

        Result result = pending.get(5, TimeUnit.SECONDS);
        assertThat(result.status()).isEqualTo(200);
        assertThat(result.body()).as("body handed on as complete").isNull();
        assertThat(result.failure()).isInstanceOf(DrainExpiredException.class);
    }

    /**
     * A POST whose body was partly written on a kept-alive connection is not sent again when the server closes that
     * connection, because the server may have acted on the part it read. The server here reads the request head of
     * the second request, then sends FIN without reading the body, so the client's write is still pending when the
     * connection closes.
     */
    @Test
    void partlyWrittenPostIsNotResent() throws Exception {
        AtomicInteger postHeads = new AtomicInteger();
        List<Socket> accepted = new CopyOnWriteArrayList<>();
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Thread acceptor = new Thread(() -> {
                try {
                    Socket first = listener.accept();
                    accepted.add(first);
                    readHead(first.getInputStream());
                    first.getOutputStream().write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
                            .getBytes(StandardCharsets.US_ASCII));
                    if (readHead(first.getInputStream()).startsWith("POST ")) {
                        postHeads.incrementAndGet();
                    }
                    first.shutdownOutput();
                    Socket second = listener.accept();
                    accepted.add(second);
                    if (readHead(second.getInputStream()).startsWith("POST ")) {
                        postHeads.incrementAndGet();
                    }
                    second.close();
                } catch (IOException e) {
                    // The test closes the listener and the sockets when it ends.
                }
            }, "partly-written-post-server");
            acceptor.start();
            String url = "http://127.0.0.1:" + listener.getLocalPort() + "/";
            assertThat(get(url).body()).isEqualTo("ok");

            // The body is far larger than the socket buffers of a connection whose server reads nothing.
            Result post = call(client, HttpMethod.POST, url, "x".repeat(16 * 1024 * 1024));

            assertThat(post.failure()).isInstanceOf(IOException.class);
            Thread.sleep(300);
            assertThat(postHeads).as("POST request heads the server received").hasValue(1);
        } finally {
            for (Socket socket : accepted) {
                socket.close();
            }
        }
    }

    /** Reads bytes up to the end of a request head and returns them as text. */
    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.indexOf("\r\n\r\n") < 0) {
            int next = in.read();
            if (next < 0) {
                throw new IOException("the connection closed before the end of a request head");
            }
            head.append((char) next);
        }
        return head.toString();
    }

    private static HttpServerOptions tls(TestCertificates.Issued certificate) {
        return new HttpServerOptions().setSsl(true).setSni(true).setKeyCertOptions(new PemKeyCertOptions()
                .setCertValue(Buffer.buffer(certificate.certificatePem()))
                .setKeyValue(Buffer.buffer(certificate.privateKeyPem())));
    }

    private NetServer rawServer(Consumer<NetSocket> onRequest) throws Exception {
        return vertx.createNetServer()
                .connectHandler(socket -> socket.handler(bytes -> {
                    if (bytes.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
                        onRequest.accept(socket);
                    }
                }))
                .listen(0, "127.0.0.1").await(5, TimeUnit.SECONDS);
    }

    /** A response handler that passes the exchange to {@code onResponse} and a failure to {@code failed}. */
    private static Http1ResponseHandler responses(Consumer<Http1Exchange> onResponse,
                                                     CompletableFuture<?> failed) {
        return new Http1ResponseHandler() {
            @Override
            public void response(Http1Exchange exchange) {
                onResponse.accept(exchange);
            }

            @Override
            public void failed(Throwable cause) {
                failed.completeExceptionally(cause);
            }
        };
    }

    private static byte[] gzip(String text) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(bytes)) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
        return bytes.toByteArray();
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.io.OutputStream;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * AI streams to HTTP/2 clients through a real node. A stream read to its end carries the usage trailers. Clients
 * that stop reading, reset their stream or drop their connection while the stream ends leave no error in the log.
 * Vert.x 5.0.7 logs a NullPointerException at ERROR when a connection closes while the trailers of one of its
 * streams wait to be written.
 */
class AiHttp2StreamTest {

    /** Chunks of the provider's stream, about 300 KiB in all, more than an HTTP/2 stream's initial window. */
    private static final int CHUNKS = 600;

    private static Vertx vertx;
    private static HttpServer provider;
    private static TestNode node;
    private static HttpClientAgent client;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        provider = vertx.createHttpServer().requestHandler(request -> request.body().onSuccess(body -> {
            if (request.path().startsWith("/drip/")) {
                drip(request.response(), 0);
                return;
            }
            StringBuilder stream = new StringBuilder();
            String text = "x".repeat(400);
            for (int i = 0; i < CHUNKS; i++) {
                stream.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,")
                        .append("\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"")
                        .append(text).append("\"},\"finish_reason\":null}]}\n\n");
            }
            stream.append("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,")
                    .append("\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},")
                    .append("\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n");
            request.response().putHeader("content-type", "text/event-stream").end(stream.toString());
        })).listen(0, "127.0.0.1").await(10, TimeUnit.SECONDS);
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("plain", "openai", "http://127.0.0.1:" + provider.actualPort() + "/v1", "sk-plain")
                .putArray("models").add("gpt-4o");
        config.provider("drip", "openai", "http://127.0.0.1:" + provider.actualPort() + "/drip/v1", "sk-drip")
                .putArray("models").add("gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
        client = vertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false));
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void completeStreamEndsWithUsageTrailers() throws Exception {
        for (String model : List.of("plain/gpt-4o", "drip/gpt-4o")) {
            MultiMap trailers = ContextRequests.send(vertx, () -> client.request(streamRequest())
                    .compose(request -> request.send(streamBody(model)))
                    .compose(response -> response.body().map(body -> response.trailers())));

            assertThat(trailers.get("x-portico-output-tokens")).as("output tokens of %s", model).isNotNull();
            assertThat(trailers.get("x-portico-input-tokens")).as("input tokens of %s", model).isNotNull();
        }
    }

    @Test
    void resetAfterStalledStreamLogsNoError() throws Exception {
        assertNoErrorLogged(() -> {
            for (int i = 0; i < 5; i++) {
                stallThenReset();
            }
        });
    }

    @Test
    void closeAfterFirstBytesLogsNoError() throws Exception {
        assertNoErrorLogged(() -> {
            for (int i = 0; i < 10; i++) {
                closeAfterFirstBytes("plain/gpt-4o");
                closeAfterFirstBytes("drip/gpt-4o");
            }
        });
    }

    @Test
    void abortedConnectionLogsNoError() throws Exception {
        assertNoErrorLogged(() -> {
            for (int i = 0; i < 10; i++) {
                abortAfterFirstBytes("plain/gpt-4o");
                abortAfterFirstBytes("drip/gpt-4o");
            }
        });
    }

    /** Steps of a test that may throw. */
    private interface Steps {
        void run() throws Exception;
    }

    /** Runs {@code steps} and checks that Netty and Vert.x logged no ERROR meanwhile. */
    private static void assertNoErrorLogged(Steps steps) throws Exception {
        try (LogCapture netty = new LogCapture("io.netty"); LogCapture vertxLogs = new LogCapture("io.vertx")) {
            steps.run();
            // Streams close on the node's event loops after the client's reset or close arrives.
            Thread.sleep(300);

            assertThat(netty.messages(Level.ERROR)).isEmpty();
            assertThat(vertxLogs.messages(Level.ERROR)).isEmpty();
        }
    }

    /**
     * Sends a stream request over a raw h2c connection, reads the first 100 bytes the node sends, and closes the
     * socket with a TCP reset, as a client process that exits does.
     */
    private static void abortAfterFirstBytes(String model) throws Exception {
        Http2Headers headers = Http2Wire.request("POST", "127.0.0.1", "/v1/chat/completions");
        headers.add("content-type", "application/json");
        byte[] frames = RequestPathAttackTest.h2Frames(channel -> {
            ChannelHandlerContext ctx = channel.pipeline().firstContext();
            DefaultHttp2FrameWriter writer = new DefaultHttp2FrameWriter();
            writer.writeSettings(ctx, new Http2Settings(), ctx.newPromise());
            writer.writeHeaders(ctx, 1, headers, 0, false, ctx.newPromise());
            writer.writeData(ctx, 1, Unpooled.wrappedBuffer(streamBody(model).getBytes()), 0, true,
                    ctx.newPromise());
        });
        try (Socket socket = new Socket("127.0.0.1", node.portico().httpPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(Http2Wire.PREFACE);
            out.write(frames);
            out.flush();
            socket.getInputStream().readNBytes(100);
            socket.setSoLinger(true, 0);
        }
        Thread.sleep(50);
    }

    /** Sends one chunk of a stream every 2 ms, 20 in all, then the end of the stream. */
    private static void drip(HttpServerResponse response, int sent) {
        if (sent == 0) {
            response.setChunked(true).putHeader("content-type", "text/event-stream");
        }
        if (response.closed()) {
            return;
        }
        if (sent == 20) {
            response.end("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                    + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}"
                    + "\n\ndata: [DONE]\n\n");
            return;
        }
        response.write("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                + "\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"word \"},"
                + "\"finish_reason\":null}]}\n\n");
        vertx.setTimer(2, id -> drip(response, sent + 1));
    }

    private static RequestOptions streamRequest() {
        return new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI("/v1/chat/completions")
                .putHeader("content-type", "application/json");
    }

    private static Buffer streamBody() {
        return streamBody("plain/gpt-4o");
    }

    private static Buffer streamBody(String model) {
        return Buffer.buffer("{\"model\":\"" + model + "\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    /** Starts a stream and closes the client's connection as soon as the first body bytes arrive. */
    private static void closeAfterFirstBytes(String model) throws Exception {
        Promise<Void> closed = Promise.promise();
        ContextRequests.start(vertx, () -> client.request(streamRequest()).compose(request -> {
            request.exceptionHandler(ignored -> { });
            request.end(streamBody(model));
            return request.response().map(response -> {
                response.exceptionHandler(ignored -> { });
                response.handler(data -> {
                    if (!closed.future().isComplete()) {
                        request.connection().close();
                        closed.tryComplete();
                    }
                });
                return response;
            });
        }));
        closed.future().await(10, TimeUnit.SECONDS);
        Thread.sleep(100);
    }

    /**
     * Starts a stream, reads nothing of its body, so the node's writes wait for the client's window, waits until the
     * node has received the provider's whole stream and ended its response, then resets the request.
     */
    private static void stallThenReset() throws Exception {
        Promise<HttpClientRequest> sent = Promise.promise();
        ContextRequests.send(vertx, () -> client.request(streamRequest()).compose(request -> {
            // The reset fails the request and its response, which is expected here.
            request.exceptionHandler(ignored -> { });
            request.end(streamBody());
            return request.response().map(response -> {
                response.exceptionHandler(ignored -> { });
                response.pause();
                sent.complete(request);
                return (HttpClientResponse) response;
            });
        }));
        HttpClientRequest request = sent.future().await(10, TimeUnit.SECONDS);
        Thread.sleep(500);
        ContextRequests.start(vertx, () -> {
            request.reset();
            return Future.succeededFuture();
        }).await(10, TimeUnit.SECONDS);
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** HTTP/2 limits of the gateway listener, seen by a Vert.x HTTP/2 client with prior knowledge (h2c). */
class Http2LimitsTest {

    private static final int MAX_STREAMS = 4;

    private static TestUpstream upstream;
    private static TestNode node;
    private static TestNode defaults;
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("h2-limits");
        node = TestNode.start(Map.of("limits.http2MaxConcurrentStreams", Integer.toString(MAX_STREAMS),
                "limits.maxHeaderSize", "4096"));
        defaults = TestNode.start();
        Configs config = Configs.document();
        config.service("held", upstream.port());
        config.route("all", "held", "/");
        node.apply(config.build());
        defaults.apply(config.build());
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stop() {
        vertx.close();
        defaults.close();
        node.close();
        upstream.close();
    }

    @Test
    void listenerAnnouncesDefaultLimits() throws Exception {
        HttpClientAgent client = h2Client();
        try {
            HttpConnection connection = openConnection(client, defaults.portico().httpPort());

            assertThat(connection.remoteSettings().getMaxConcurrentStreams()).isEqualTo(128);
            // Four times limits.maxHeaderSize, so that the gateway, not Netty, rejects a list above the limit.
            assertThat(connection.remoteSettings().getMaxHeaderListSize()).isEqualTo(4 * 16 * 1024);
        } finally {
            client.close();
        }
    }

    @Test
    void streamsBeyondLimitWaitForFreeSlot() throws Exception {
        HttpClientAgent client = h2Client();
        try {
            HttpConnection connection = openConnection(client, node.portico().httpPort());
            assertThat(connection.remoteSettings().getMaxConcurrentStreams()).isEqualTo(MAX_STREAMS);
            assertThat(connection.remoteSettings().getMaxHeaderListSize()).isEqualTo(4 * 4096);
            int before = upstream.requests("/hold");

            List<Future<String>> responses = new ArrayList<>();
            for (int i = 0; i < MAX_STREAMS + 2; i++) {
                responses.add(get(client, node.portico().httpPort(), "/hold"));
            }
            waitForHeld(before + MAX_STREAMS);
            Thread.sleep(300);
            int heldAtOnce = upstream.requests("/hold") - before;
            upstream.releaseHeld();
            waitForHeld(before + MAX_STREAMS + 2);
            upstream.releaseHeld();

            assertThat(heldAtOnce).isEqualTo(MAX_STREAMS);
            for (Future<String> response : responses) {
                assertThat(response.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS))
                        .isEqualTo("200 held h2-limits");
            }
        } finally {
            client.close();
        }
    }

    @Test
    void nonAsciiPathRejected() throws Exception {
        HttpClientAgent client = h2Client();
        try {
            int before = upstream.requests("/caf\u00e9");

            String response = get(client, node.portico().httpPort(), "/caf\u00e9")
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

            assertThat(response).startsWith("400 ").contains("outside US-ASCII");
            assertThat(upstream.requests("/caf\u00e9")).isEqualTo(before);
        } finally {
            client.close();
        }
    }

    @Test
    void nonAsciiQueryRejected() throws Exception {
        HttpClientAgent client = h2Client();
        try {
            String response = get(client, node.portico().httpPort(), "/status/204?q=\u00e9")
                    .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

            assertThat(response).startsWith("400 ").contains("percent-encode");
        } finally {
            client.close();
        }
    }

    private static HttpClientAgent h2Client() {
        HttpClientOptions options = new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
                .setHttp2ClearTextUpgrade(false);
        return vertx.createHttpClient(options, new PoolOptions().setHttp2MaxSize(1));
    }

    private static HttpConnection openConnection(HttpClientAgent client, int port) throws Exception {
        CompletableFuture<HttpConnection> connection = new CompletableFuture<>();
        RequestOptions request = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI("/status/204");
        ContextRequests.send(vertx, () -> client.request(request).compose(req -> {
            connection.complete(req.connection());
            return req.send().compose(HttpClientResponse::body);
        }));
        return connection.get(10, TimeUnit.SECONDS);
    }

    private static Future<String> get(HttpClientAgent client, int port, String path) {
        RequestOptions request = new RequestOptions().setHost("127.0.0.1").setPort(port).setURI(path);
        return ContextRequests.start(vertx, () -> client.request(request).compose(req -> req.send()
                .compose(response -> response.body().map(body -> response.statusCode() + " " + body.toString()))));
    }

    private static void waitForHeld(int count) throws InterruptedException {
        for (int i = 0; i < 100 && upstream.requests("/hold") < count; i++) {
            Thread.sleep(50);
        }
        assertThat(upstream.requests("/hold")).isGreaterThanOrEqualTo(count);
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.node.NodeConfig;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import java.net.UnknownHostException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Host lookups for image URLs run on worker threads without queueing behind each other on one event loop. */
class ImageLookupConcurrencyTest {

    private Vertx vertx;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void slowLookupsOnOneContextOverlap() throws Exception {
        CountDownLatch bothStarted = new CountDownLatch(2);
        AtomicInteger running = new AtomicInteger();
        AtomicInteger maxRunning = new AtomicInteger();
        ImageFetcher.HostResolver slow = host -> {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                // Each lookup waits for the other one, so ordered lookups would make the first wait the full 5 seconds.
                bothStarted.countDown();
                bothStarted.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                running.decrementAndGet();
            }
            throw new UnknownHostException(host + " is not resolved in this test");
        };
        HttpClient client = vertx.createHttpClient();
        ImageFetcher fetcher = new ImageFetcher(vertx, client, new NodeConfig.Images(null, null, null, null), slow);

        Context context = vertx.getOrCreateContext();
        CompletableFuture<Future<ObjectNode>> started = new CompletableFuture<>();
        context.runOnContext(v -> started.complete(fetcher.inline(body("http://first.example.test/a.png",
                "http://second.example.test/b.png"), url -> false)));
        Future<ObjectNode> inlined = started.get(10, TimeUnit.SECONDS);
        inlined.toCompletionStage().toCompletableFuture().handle((body, failure) -> null).get(30, TimeUnit.SECONDS);

        assertThat(inlined.failed()).as("fetching images whose hosts do not resolve fails").isTrue();
        assertThat(maxRunning.get()).as("lookups running at the same time").isEqualTo(2);
    }

    /** Returns a chat request body whose only message shows the images at {@code urls}. */
    private static ObjectNode body(String... urls) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode content = body.putArray("messages").addObject().put("role", "user").putArray("content");
        for (String url : urls) {
            content.addObject().put("type", "image_url").putObject("image_url").put("url", url);
        }
        return body;
    }
}

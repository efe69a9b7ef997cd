package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.catalog.ModelCatalog;
import io.portico.config.ConfigSnapshot;
import io.portico.config.Json;
import io.portico.config.Resource;
import io.portico.gateway.tls.ServerTls;
import io.portico.gateway.upstream.Upstreams;
import io.portico.metrics.NodeMetrics;
import io.portico.node.NodeConfig;
import io.portico.pipeline.PolicyRegistry;
import io.portico.testing.BuildThreadPolicyFactory;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link GatewayServer#apply} compiles on worker threads and installs snapshots in the order it was called. */
class ApplyOrderTest {

    private Vertx vertx;
    private GatewayServer gateway;

    @BeforeEach
    void start() {
        vertx = Vertx.vertx();
        NodeConfig node = NodeConfig.defaults();
        NodeMetrics metrics = new NodeMetrics(false);
        Upstreams upstreams = new Upstreams(vertx, node.upstreams().allowPrivateAddresses(), metrics.upstreams());
        gateway = new GatewayServer(vertx, node, upstreams, new ServerTls(vertx, node.https()),
                PolicyRegistry.load(), ModelCatalog.builtIn(), 1, metrics);
    }

    @AfterEach
    void stop() throws Exception {
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void laterSnapshotWinsOverSlowerEarlierOne() throws Exception {
        CountDownLatch release = BuildThreadPolicyFactory.hold("order-slow");
        Context context = vertx.getOrCreateContext();
        CompletableFuture<List<Future<Boolean>>> applies = new CompletableFuture<>();
        context.runOnContext(v -> applies.complete(List.of(gateway.apply(snapshot(1, "order-slow")),
                gateway.apply(snapshot(2, "order-fast")))));
        Future<Boolean> slow = applies.get(30, TimeUnit.SECONDS).get(0);
        Future<Boolean> fast = applies.get(30, TimeUnit.SECONDS).get(1);

        assertThat(join(fast)).as("the later snapshot is installed").isTrue();
        assertThat(gateway.version()).isEqualTo(2);
        release.countDown();
        assertThat(join(slow)).as("the earlier snapshot, compiled last, is dropped").isFalse();
        assertThat(gateway.version()).isEqualTo(2);
    }

    @Test
    void earlierSnapshotFinishingFirstIsInstalled() throws Exception {
        Context context = vertx.getOrCreateContext();
        CompletableFuture<Future<Boolean>> first = new CompletableFuture<>();
        context.runOnContext(v -> first.complete(gateway.apply(snapshot(1, "order-first"))));
        assertThat(join(first.get(30, TimeUnit.SECONDS))).isTrue();
        assertThat(gateway.version()).isEqualTo(1);

        CompletableFuture<Future<Boolean>> second = new CompletableFuture<>();
        context.runOnContext(v -> second.complete(gateway.apply(snapshot(2, "order-second"))));
        assertThat(join(second.get(30, TimeUnit.SECONDS))).isTrue();
        assertThat(gateway.version()).isEqualTo(2);
    }

    private static <T> T join(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Returns a snapshot of one service and one route whose {@code build-thread} policy carries {@code tag}. */
    private static ConfigSnapshot snapshot(long version, String tag) {
        ObjectNode service = Json.MAPPER.createObjectNode().put("name", "up");
        service.putArray("targets").addObject().put("host", "127.0.0.1").put("port", 9);
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "r").put("service", "up");
        route.putArray("paths").add("/a");
        route.putArray("policies").addObject().put("name", "build-thread").putObject("config").put("tag", tag);
        return ConfigSnapshot.of(version, List.of(new Resource("services", "up", service, 1, Instant.EPOCH),
                new Resource("routes", "r", route, 1, Instant.EPOCH)));
    }
}

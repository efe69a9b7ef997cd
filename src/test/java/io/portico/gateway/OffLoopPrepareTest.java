package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
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
import io.portico.testing.TestCertificates;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.metrics.MetricsOptions;
import io.vertx.core.spi.VertxMetricsFactory;
import io.vertx.core.spi.metrics.HttpClientMetrics;
import io.vertx.core.spi.metrics.VertxMetrics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link GatewayServer#apply} prepares upstream clients, TLS files, store certificates, AI providers and OAuth keys
 * on a worker thread, so the event loop that applies a version only swaps references. A Vert.x metrics factory
 * records the thread that creates each upstream HTTP client and whether the client was closed.
 */
class OffLoopPrepareTest {

    private static final String UPSTREAM_CLIENT_PREFIX = "portico-upstream-";

    @TempDir
    Path directory;

    private ClientRecorder clients;
    private Vertx vertx;
    private NodeMetrics metrics;
    private GatewayServer gateway;
    private Context context;

    @BeforeEach
    void start() {
        clients = new ClientRecorder();
        vertx = Vertx.builder()
                .with(new VertxOptions().setMetricsOptions(new MetricsOptions().setEnabled(true)))
                .withMetrics(clients)
                .build();
        NodeConfig node = NodeConfig.defaults();
        metrics = new NodeMetrics(false);
        Upstreams upstreams = new Upstreams(vertx, node.upstreams().allowPrivateAddresses(), metrics.upstreams());
        gateway = new GatewayServer(vertx, node, upstreams, new ServerTls(vertx, node.https()),
                PolicyRegistry.load(), ModelCatalog.builtIn(), 1, metrics);
        context = vertx.getOrCreateContext();
    }

    @AfterEach
    void stop() throws Exception {
        clients.releaseHold();
        vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    @Test
    void upstreamClientsCreatedOffEventLoop() throws Exception {
        Snapshot snapshot = new Snapshot(1, "prepare-threads");
        snapshot.service("plain-threads");
        snapshot.tlsService("tls-threads", tlsFiles("threads"));
        snapshot.healthChecked("checked-threads");

        assertThat(join(applyOnContext(snapshot::build))).as("the version is installed").isTrue();

        assertThat(gateway.upstreams().groups()).containsKeys("plain-threads", "tls-threads", "checked-threads");
        List<CreatedClient> created = clients.of("plain-threads", "tls-threads", "checked-threads");
        assertThat(created).as("clients created for the services and the health check").hasSize(4);
        assertThat(created).as("clients created on an event loop").noneMatch(CreatedClient::eventLoop);
    }

    @Test
    void droppedCompilationClosesItsClients() throws Exception {
        CountDownLatch release = BuildThreadPolicyFactory.hold("prepare-dropped-slow");
        Snapshot slow = new Snapshot(1, "prepare-dropped-slow");
        slow.healthChecked("dropped-only");
        Snapshot fast = new Snapshot(2, "prepare-dropped-fast");
        fast.service("dropped-kept");

        Future<Boolean> dropped = applyOnContext(slow::build);
        Future<Boolean> installed = applyOnContext(fast::build);
        assertThat(join(installed)).as("the later version is installed").isTrue();
        release.countDown();
        assertThat(join(dropped)).as("the earlier version, compiled last, is dropped").isFalse();

        assertThat(gateway.version()).isEqualTo(2);
        assertThat(gateway.upstreams().group("dropped-only")).as("group of the dropped version").isNull();
        List<CreatedClient> created = clients.of("dropped-only");
        assertThat(created).as("clients the dropped version created for its service and health check").hasSize(2);
        awaitClosed(created);
        assertThat(created).as("clients the dropped version left open").allMatch(client -> client.closed().get());
        assertThat(metrics.registry().find("portico.upstream.duration").tag("service", "dropped-only").meters())
                .as("target meters of the dropped version").isEmpty();
    }

    @Test
    void preparedAgainWhenEarlierVersionInstalledMeanwhile() throws Exception {
        CountDownLatch releaseFirst = BuildThreadPolicyFactory.hold("prepare-again-first");
        Snapshot first = new Snapshot(1, "prepare-again-first");
        first.service("again-first-only");
        Snapshot second = new Snapshot(2, "prepare-again-second");
        second.service("again-held");
        CountDownLatch secondPreparing = clients.holdFirstCreation("again-held");

        Future<Boolean> firstApplied = applyOnContext(first::build);
        Future<Boolean> secondApplied = applyOnContext(second::build);
        assertThat(secondPreparing.await(10, TimeUnit.SECONDS))
                .as("the second version's upstreams are being prepared").isTrue();
        releaseFirst.countDown();
        assertThat(join(firstApplied)).as("the first version is installed while the second one prepares").isTrue();
        clients.releaseHold();

        assertThat(join(secondApplied)).as("the second version is installed").isTrue();
        assertThat(gateway.version()).isEqualTo(2);
        assertThat(gateway.upstreams().groups()).containsOnlyKeys("route-target", "again-held");
        List<CreatedClient> created = clients.of("again-held");
        assertThat(created).as("clients of the first and the repeated preparation").hasSize(2);
        awaitClosed(created.subList(0, 1));
        assertThat(created.get(0).closed()).as("client of the first preparation closed").isTrue();
        assertThat(created.get(1).closed()).as("client of the installed preparation closed").isFalse();
        assertThat(created).as("clients created on an event loop").noneMatch(CreatedClient::eventLoop);
    }

    @Test
    void eventLoopServesWhileLargeVersionPrepares() throws Exception {
        Path[] files = tlsFiles("large");
        Snapshot snapshot = new Snapshot(1, "prepare-large");
        for (int i = 0; i < 150; i++) {
            snapshot.tlsService("large-" + i, files);
            TestCertificates.Issued certificate = TestCertificates.selfSignedServer("large-" + i + ".example.test");
            snapshot.certificate("large-" + i, certificate);
            snapshot.provider("large-" + i);
        }
        ConfigSnapshot built = snapshot.build();

        AtomicLong lastTick = new AtomicLong();
        AtomicLong longestGap = new AtomicLong();
        CompletableFuture<Long> applied = new CompletableFuture<>();
        context.runOnContext(v -> {
            long started = System.nanoTime();
            lastTick.set(started);
            long ticker = vertx.setPeriodic(2, id -> {
                long now = System.nanoTime();
                longestGap.accumulateAndGet(now - lastTick.getAndSet(now), Math::max);
            });
            gateway.apply(built).onComplete(result -> {
                long now = System.nanoTime();
                longestGap.accumulateAndGet(now - lastTick.getAndSet(now), Math::max);
                vertx.cancelTimer(ticker);
                if (result.succeeded() && result.result()) {
                    applied.complete(now - started);
                } else {
                    applied.completeExceptionally(new AssertionError("the version was not installed", result.cause()));
                }
            });
        });
        long applyNanos = applied.get(120, TimeUnit.SECONDS);

        assertThat(gateway.upstreams().groups()).hasSize(151);
        // Preparing on the event loop would stall it for about the whole apply.
        assertThat(longestGap.get()).as("longest event-loop stall (ns) in an apply of %d ms", applyNanos / 1_000_000)
                .isLessThan(applyNanos / 2);
    }

    /** Applies the snapshot that {@code snapshot} builds on the test's event-loop context. */
    private Future<Boolean> applyOnContext(Supplier<ConfigSnapshot> snapshot) throws Exception {
        ConfigSnapshot built = snapshot.get();
        CompletableFuture<Future<Boolean>> applied = new CompletableFuture<>();
        context.runOnContext(v -> applied.complete(gateway.apply(built)));
        return applied.get(10, TimeUnit.SECONDS);
    }

    /** Waits at most 10 seconds for {@code created} to be closed, since a client closes asynchronously. */
    private static void awaitClosed(List<CreatedClient> created) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && !created.stream().allMatch(client -> client.closed().get())) {
            Thread.sleep(10);
        }
    }

    private static <T> T join(Future<T> future) throws Exception {
        return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    /** Writes a CA certificate, a client certificate and its key, and returns their paths in that order. */
    private Path[] tlsFiles(String prefix) throws Exception {
        TestCertificates.Issued authority = TestCertificates.authority(prefix + " CA");
        TestCertificates.Issued client = TestCertificates.client(authority, prefix + "-client");
        return new Path[] {
            Files.writeString(directory.resolve(prefix + "-ca.pem"), authority.certificatePem()),
            Files.writeString(directory.resolve(prefix + "-client.pem"), client.certificatePem()),
            Files.writeString(directory.resolve(prefix + "-client.key"), client.privateKeyPem())
        };
    }

    /**
     * The resources of one snapshot: services, store certificates and AI providers, and one route whose
     * {@code build-thread} policy carries a tag, so a test can hold its compilation.
     */
    private static final class Snapshot {
        private final long version;
        private final List<Resource> resources = new ArrayList<>();

        Snapshot(long version, String tag) {
            this.version = version;
            ObjectNode route = Json.MAPPER.createObjectNode().put("name", "route").put("service", "route-target");
            route.putArray("paths").add("/route");
            route.putArray("policies").addObject().put("name", "build-thread").putObject("config").put("tag", tag);
            add("routes", route);
            service("route-target");
        }

        ObjectNode service(String name) {
            ObjectNode service = Json.MAPPER.createObjectNode().put("name", name);
            ArrayNode targets = service.putArray("targets");
            targets.addObject().put("host", "127.0.0.1").put("port", 9);
            add("services", service);
            return service;
        }

        void tlsService(String name, Path[] files) {
            service(name).put("protocol", "https").putObject("tls")
                    .put("caCertificate", files[0].toString())
                    .put("clientCertificate", files[1].toString())
                    .put("clientKey", files[2].toString());
        }

        void healthChecked(String name) {
            service(name).putObject("healthCheck").putObject("active").put("path", "/health")
                    .put("interval", "300s");
        }

        void certificate(String name, TestCertificates.Issued issued) {
            add("certificates", Json.MAPPER.createObjectNode().put("name", name)
                    .put("certificate", issued.certificatePem()).put("key", issued.privateKeyPem()));
        }

        void provider(String name) {
            ObjectNode provider = Json.MAPPER.createObjectNode().put("name", name).put("type", "openai")
                    .put("baseUrl", "http://127.0.0.1:9/v1");
            ArrayNode keys = provider.putArray("keys");
            for (int i = 0; i < 3; i++) {
                keys.addObject().put("key", "sk-" + name + "-" + i + "-0123456789abcdef");
            }
            provider.putArray("models").add("gpt-4o");
            add("providers", provider);
        }

        private void add(String kind, ObjectNode spec) {
            resources.add(new Resource(kind, spec.path("name").asText(), spec, 1, Instant.EPOCH));
        }

        ConfigSnapshot build() {
            return ConfigSnapshot.of(version, resources);
        }
    }

    /**
     * One upstream HTTP client.
     *
     * @param eventLoop whether the thread that created it is a Vert.x event loop
     */
    private record CreatedClient(String service, String thread, boolean eventLoop, AtomicBoolean closed) {
    }

    /**
     * Records each upstream HTTP client through the metrics that Vert.x creates for it: the service, the creating
     * thread, and whether the client was closed. It can hold the first creation for one service until released.
     */
    private static final class ClientRecorder implements VertxMetricsFactory {
        private final List<CreatedClient> created = new CopyOnWriteArrayList<>();
        private volatile String heldService;
        private volatile CountDownLatch holding = new CountDownLatch(0);
        private final CountDownLatch released = new CountDownLatch(1);

        @Override
        public VertxMetrics metrics(VertxOptions options) {
            return new VertxMetrics() {
                @Override
                public HttpClientMetrics<?, ?, ?> createHttpClientMetrics(HttpClientOptions client) {
                    String name = client.getName();
                    if (name == null || !name.startsWith(UPSTREAM_CLIENT_PREFIX)) {
                        return null;
                    }
                    String service = name.substring(UPSTREAM_CLIENT_PREFIX.length());
                    CreatedClient recorded = new CreatedClient(service, Thread.currentThread().getName(),
                            Context.isOnEventLoopThread(), new AtomicBoolean());
                    created.add(recorded);
                    holdIfFirst(service);
                    return new HttpClientMetrics<Object, Object, Object>() {
                        @Override
                        public void close() {
                            recorded.closed().set(true);
                        }
                    };
                }
            };
        }

        /** Makes the first creation of a client for {@code service} wait for {@link #releaseHold}, at most 10 s. */
        CountDownLatch holdFirstCreation(String service) {
            heldService = service;
            holding = new CountDownLatch(1);
            return holding;
        }

        void releaseHold() {
            released.countDown();
        }

        private void holdIfFirst(String service) {
            if (!service.equals(heldService) || holding.getCount() == 0) {
                return;
            }
            holding.countDown();
            try {
                released.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** Returns the clients created for {@code services}, oldest first. */
        List<CreatedClient> of(String... services) {
            List<String> names = List.of(services);
            return created.stream().filter(client -> names.contains(client.service())).toList();
        }
    }
}

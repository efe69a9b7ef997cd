package io.portico.gateway.upstream;

import static io.portico.gateway.upstream.UpstreamTestSupport.await;
import static io.portico.gateway.upstream.UpstreamTestSupport.eventually;
import static io.portico.gateway.upstream.UpstreamTestSupport.exchange;
import static io.portico.gateway.upstream.UpstreamTestSupport.respond;
import static io.portico.gateway.upstream.UpstreamTestSupport.send;
import static io.portico.gateway.upstream.UpstreamTestSupport.service;
import static io.portico.gateway.upstream.UpstreamTestSupport.startServer;
import static io.portico.gateway.upstream.UpstreamTestSupport.succeeded;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.portico.config.Errors;
import io.portico.config.FieldError;
import io.portico.config.ServiceSpec;
import io.portico.metrics.NodeMetrics;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class UpstreamsTest {

    private static Vertx vertx;
    private Upstreams upstreams;
    private final List<HttpServer> servers = new ArrayList<>();

    @BeforeAll
    static void startVertx() {
        vertx = Vertx.vertx();
    }

    @AfterAll
    static void stopVertx() {
        succeeded(vertx.close());
    }

    @BeforeEach
    void createUpstreams() {
        upstreams = new Upstreams(vertx);
    }

    @AfterEach
    void closeAll() {
        upstreams.close();
        servers.forEach(server -> succeeded(server.close()));
    }

    @Test
    void checkNamesServiceWithoutClient() {
        // Validation rejects a zero keep-alive, so only a specification built in code reaches the check with one.
        ServiceSpec zero = service("zero").target("127.0.0.1", 10001, 100)
                .pool(new ServiceSpec.Pool(8, Duration.ZERO, null)).build();
        ServiceSpec fine = service("fine").target("127.0.0.1", 10002, 100).build();
        Errors errors = new Errors();

        Upstreams.check(Map.of("zero", zero, "fine", fine), errors);

        assertThat(errors.list()).extracting(FieldError::field).containsExactly("services/zero");
        assertThat(errors.list().get(0).message()).startsWith("the gateway cannot create the service's HTTP client: ");
    }

    @Test
    void groupIsNullForUnknownService() {
        upstreams.update(Map.of("known", service("known").target("127.0.0.1", 10001, 100).build()));

        assertThat(upstreams.group("unknown")).isNull();
        assertThat(upstreams.group("known")).isNotNull();
    }

    @Test
    void updateAddsKeepsAndRemovesGroups() {
        ServiceSpec a = service("a").target("127.0.0.1", 10001, 100).build();
        ServiceSpec b = service("b").target("127.0.0.1", 10002, 100).build();
        ServiceSpec c = service("c").target("127.0.0.1", 10003, 100).build();
        upstreams.update(Map.of("a", a, "b", b));
        UpstreamGroup groupA = upstreams.group("a");

        upstreams.update(Map.of("a", service("a").target("127.0.0.1", 10001, 100).build(), "c", c));

        assertThat(upstreams.group("a")).as("an equal spec keeps its group").isSameAs(groupA);
        assertThat(upstreams.group("b")).isNull();
        assertThat(upstreams.group("c").spec()).isEqualTo(c);
        assertThat(upstreams.groups()).containsOnlyKeys("a", "c");
    }

    @Test
    void changedServiceKeepsStateOfUnchangedTargets() {
        HttpServer keptServer = start(respond(503));
        HttpServer removedServer = start(respond(200));
        HttpServer addedServer = start(respond(200));
        UpstreamGroup before = configure(service("svc").target(keptServer, 100).target(removedServer)
                .passive(new ServiceSpec.Passive(1, null, Duration.ofMinutes(1))));
        TargetState keptState = before.targets().get(0);
        exchange(vertx, before, keptState, "/");
        assertThat(keptState.healthy()).isFalse();

        UpstreamGroup after = configure(service("svc").algorithm("least-connections")
                .target(keptServer, 300).target(addedServer)
                .passive(new ServiceSpec.Passive(1, null, Duration.ofMinutes(1))));

        assertThat(after).isNotSameAs(before);
        assertThat(after.targets()).hasSize(2);
        assertThat(after.targets().get(0)).isSameAs(keptState);
        assertThat(keptState.healthy()).as("health survives the update").isFalse();
        assertThat(keptState.requests()).isEqualTo(1);
        assertThat(keptState.weight()).isEqualTo(300);
        assertThat(after.targets().get(1).port()).isEqualTo(addedServer.actualPort());
        assertThat(after.select(SelectionContext.EMPTY, null).port()).isEqualTo(addedServer.actualPort());
    }

    @Test
    void activeHealthSurvivesUpdateAndResetsWhenRemoved() throws InterruptedException {
        AtomicInteger probes = new AtomicInteger();
        HttpServer server = start(request -> {
            probes.incrementAndGet();
            request.response().setStatusCode(500).end();
        });
        ServiceSpec.Active active = new ServiceSpec.Active("/health", Duration.ofMillis(100), null, 1, 1, null);
        UpstreamGroup before = configure(service("svc").target(server).active(active));
        TargetState target = before.targets().get(0);
        eventually("the target is marked down", () -> !target.healthy());

        UpstreamGroup after = configure(service("svc").target(server, 50).active(active));

        assertThat(after.targets().get(0)).isSameAs(target);
        assertThat(target.healthy()).isFalse();
        configure(service("svc").target(server, 50));
        assertThat(target.healthy()).as("no active check, nothing marks it down").isTrue();
        int probesAtRemoval = probes.get();
        Thread.sleep(400);
        assertThat(probes.get()).as("at most one probe was still running").isLessThanOrEqualTo(probesAtRemoval + 1);
    }

    @Test
    void clientKeptWhenOnlyBalancingChanges() {
        UpstreamGroup first = configure(service("svc").target("127.0.0.1", 10001, 100));

        UpstreamGroup rebalanced = configure(service("svc").algorithm("least-latency").target("127.0.0.1", 10001, 7));
        UpstreamGroup resized = configure(service("svc").algorithm("least-latency").target("127.0.0.1", 10001, 7)
                .pool(new ServiceSpec.Pool(8, null, null)));

        assertThat(rebalanced.client()).isSameAs(first.client());
        assertThat(resized.client()).isNotSameAs(first.client());
    }

    @Test
    void retryBudgetKeptWhileRetriesUnchanged() {
        UpstreamGroup first = configure(service("svc").target("127.0.0.1", 10001, 100));

        UpstreamGroup reweighted = configure(service("svc").target("127.0.0.1", 10001, 5));
        UpstreamGroup retuned = configure(service("svc").target("127.0.0.1", 10001, 5)
                .retries(new ServiceSpec.Retries(3, null, 0.5, null)));

        assertThat(reweighted.retryBudget()).isSameAs(first.retryBudget());
        assertThat(retuned.retryBudget()).isNotSameAs(first.retryBudget());
    }

    @Test
    void removedServiceFinishesInFlightRequests() {
        List<HttpServerRequest> heldRequests = new CopyOnWriteArrayList<>();
        HttpServer server = start(heldRequests::add);
        UpstreamGroup group = configure(service("svc").target(server));
        TargetState target = group.targets().get(0);
        Future<HttpClientResponse> inFlight = send(vertx, group, target, "/slow");
        eventually("the server holds the request", () -> heldRequests.size() == 1);

        upstreams.update(Map.of());
        assertThat(upstreams.group("svc")).isNull();
        vertx.setTimer(100, id -> heldRequests.get(0).response().end("finished"));

        HttpClientResponse response = succeeded(inFlight);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThatThrownBy(() -> await(send(vertx, group, target, "/late")))
                .as("the retired client takes no new requests").isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(IllegalStateException.class);
    }

    @Test
    void rebuiltClientFinishesInFlightRequestsOfOldOne() {
        List<HttpServerRequest> heldRequests = new CopyOnWriteArrayList<>();
        HttpServer server = start(heldRequests::add);
        UpstreamGroup before = configure(service("svc").target(server));
        Future<HttpClientResponse> inFlight = send(vertx, before, before.targets().get(0), "/slow");
        eventually("the server holds the request", () -> heldRequests.size() == 1);

        UpstreamGroup after = configure(service("svc").target(server).pool(new ServiceSpec.Pool(4, null, null)));
        heldRequests.get(0).response().end("finished");

        assertThat(after.client()).isNotSameAs(before.client());
        assertThat(succeeded(inFlight).statusCode()).isEqualTo(200);
    }

    @Test
    void invalidTlsSettingKeepsPreviousGroup() {
        ServiceSpec valid = service("secure").target("127.0.0.1", 10001, 100)
                .https(new ServiceSpec.UpstreamTls(null, null, null, null, null)).build();
        ServiceSpec invalid = service("secure").target("127.0.0.1", 10001, 100)
                .https(new ServiceSpec.UpstreamTls(null, "/nonexistent/ca.pem", null, null, null)).build();
        ServiceSpec brokenPem = service("new").target("127.0.0.1", 10002, 100)
                .https(new ServiceSpec.UpstreamTls(null, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----",
                        null, null, null)).build();
        upstreams.update(Map.of("secure", valid));
        UpstreamGroup before = upstreams.group("secure");

        upstreams.update(Map.of("secure", invalid, "new", brokenPem));

        assertThat(upstreams.group("secure")).isSameAs(before);
        assertThat(upstreams.group("new")).isNull();
    }

    @Test
    void duplicateTargetAddressesAreMerged() {
        UpstreamGroup group = configure(service("svc").target("127.0.0.1", 10001, 100)
                .target("127.0.0.1", 10002, 100).target("127.0.0.1", 10001, 50));

        assertThat(group.targets()).extracting(TargetState::port).containsExactly(10001, 10002);
        assertThat(group.targets().get(0).weight()).isEqualTo(150);
    }

    @Test
    void requestOptionsAimAtTarget() {
        UpstreamGroup plain = configure(service("plain").target("127.0.0.1", 10001, 100));
        UpstreamGroup named = configure(service("named").target("127.0.0.1", 10002, 100)
                .https(new ServiceSpec.UpstreamTls(null, null, null, null, "api.internal")));

        RequestOptions toPlain = plain.requestOptions(plain.targets().get(0));
        RequestOptions toNamed = named.requestOptions(named.targets().get(0));

        assertThat(toPlain.getServer()).isEqualTo(SocketAddress.inetSocketAddress(10001, "127.0.0.1"));
        assertThat(toPlain.getHost()).isEqualTo("127.0.0.1");
        assertThat(toPlain.getPort()).isEqualTo(10001);
        assertThat(toPlain.isSsl()).isFalse();
        assertThat(toPlain.getFollowRedirects()).isFalse();
        assertThat(toNamed.getHost()).isEqualTo("api.internal");
        assertThat(toNamed.isSsl()).isTrue();
    }

    @Test
    void ipv6TargetGetsBracketedHost() {
        AtomicReference<String> host = new AtomicReference<>();
        Future<HttpServer> listening = vertx.createHttpServer().requestHandler(request -> {
            host.set(request.getHeader("Host"));
            request.response().end();
        }).listen(0, "::1");
        HttpServer server;
        try {
            server = await(listening);
        } catch (ExecutionException e) {
            assumeTrue(false, "IPv6 loopback unavailable: " + e.getCause());
            return;
        }
        servers.add(server);
        UpstreamGroup group = configure(service("v6").target("::1", server.actualPort(), 100));

        assertThat(exchange(vertx, group, group.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        assertThat(host.get()).isEqualTo("[::1]:" + server.actualPort());
        assertThat(group.targets().get(0).address()).isEqualTo("[::1]:" + server.actualPort());
    }

    @Test
    void http2UsesPriorKnowledgeInClearText() {
        AtomicReference<HttpVersion> version = new AtomicReference<>();
        HttpServer server = start(request -> {
            version.set(request.version());
            request.response().end("ok");
        });
        UpstreamGroup http2 = configure(service("h2c").target(server).pool(new ServiceSpec.Pool(null, null, true)));
        UpstreamGroup http1 = configure(service("h1").target(server));

        assertThat(exchange(vertx, http2, http2.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        assertThat(version.get()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(exchange(vertx, http1, http1.targets().get(0), "/")).isEqualTo(Outcome.response(200));
        assertThat(version.get()).isEqualTo(HttpVersion.HTTP_1_1);
    }

    @Test
    void clientDoesNotDecompressOrFollowRedirects() {
        HttpServer server = start(request -> {
            if (request.path().equals("/moved")) {
                request.response().setStatusCode(302).putHeader("Location", "/target").end();
            } else {
                request.response().putHeader("Content-Encoding", "gzip").end("not really gzip");
            }
        });
        UpstreamGroup group = configure(service("svc").target(server));
        TargetState target = group.targets().get(0);

        HttpClientResponse redirect = succeeded(send(vertx, group, target, "/moved"));
        HttpClientResponse encoded = succeeded(send(vertx, group, target, "/encoded"));

        assertThat(redirect.statusCode()).isEqualTo(302);
        assertThat(encoded.getHeader("Content-Encoding")).isEqualTo("gzip");
    }

    @Test
    void preparedPlanServesOnlyOnceInstalled() {
        upstreams.update(Map.of("a", service("a").target("127.0.0.1", 10001, 100).build()));
        UpstreamGroup before = upstreams.group("a");
        TargetState kept = before.targets().get(0);

        Upstreams.Plan plan = upstreams.prepare(Map.of(
                "a", service("a").target("127.0.0.1", 10001, 300).build(),
                "b", service("b").target("127.0.0.1", 10002, 100).build()));

        assertThat(upstreams.group("a")).as("group while the plan is prepared").isSameAs(before);
        assertThat(upstreams.group("b")).as("new group while the plan is prepared").isNull();
        assertThat(kept.weight()).as("weight of the serving target while the plan is prepared").isEqualTo(100);

        upstreams.install(plan);

        assertThat(upstreams.group("a")).isNotSameAs(before);
        assertThat(upstreams.group("a").targets()).containsExactly(kept);
        assertThat(kept.weight()).isEqualTo(300);
        assertThat(upstreams.group("b")).isNotNull();
    }

    @Test
    void planPreparedBeforeAnotherInstallIsRejected() {
        upstreams.update(Map.of("a", service("a").target("127.0.0.1", 10001, 100).build()));
        Upstreams.Plan first = upstreams.prepare(Map.of("b", service("b").target("127.0.0.1", 10002, 100).build()));
        Upstreams.Plan second = upstreams.prepare(Map.of("c", service("c").target("127.0.0.1", 10003, 100).build()));

        upstreams.install(first);

        assertThat(second.isCurrent()).isFalse();
        assertThatThrownBy(() -> upstreams.install(second)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("prepare it again");
        second.release();
        assertThat(upstreams.groups()).containsOnlyKeys("b");
    }

    @Test
    void releasedPlanKeepsServingTargetMeters() {
        NodeMetrics metrics = new NodeMetrics(false);
        Upstreams measured = new Upstreams(vertx, true, metrics.upstreams());
        try {
            measured.update(Map.of("a", service("a").target("127.0.0.1", 10001, 100).build()));
            Upstreams.Plan plan = measured.prepare(Map.of("a", service("a").target("127.0.0.1", 10001, 300)
                    .target("127.0.0.1", 10002, 100).build()));

            plan.release();

            assertThat(metrics.registry().find("portico.upstream.duration").tag("target", "127.0.0.1:10001")
                    .meters()).as("meters of the serving target").hasSize(1);
            assertThat(metrics.registry().find("portico.upstream.duration").tag("target", "127.0.0.1:10002")
                    .meters()).as("meters of the target only the released plan had").isEmpty();
            assertThat(measured.group("a").targets()).hasSize(1);
            assertThatThrownBy(() -> measured.install(plan)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("already installed or released");
        } finally {
            measured.close();
        }
    }

    @Test
    void updateAfterCloseIsRejected() {
        upstreams.close();

        assertThatThrownBy(() -> upstreams.update(Map.of())).isInstanceOf(IllegalStateException.class);
    }

    private HttpServer start(Handler<HttpServerRequest> handler) {
        HttpServer server = startServer(vertx, handler);
        servers.add(server);
        return server;
    }

    private UpstreamGroup configure(UpstreamTestSupport.SpecBuilder builder) {
        ServiceSpec spec = builder.build();
        Map<String, ServiceSpec> services = new HashMap<>();
        upstreams.groups().forEach((name, group) -> services.put(name, group.spec()));
        services.put(spec.name(), spec);
        upstreams.update(services);
        return upstreams.group(spec.name());
    }
}

package io.portico.gateway.upstream;

import static io.portico.gateway.upstream.UpstreamTestSupport.eventually;
import static io.portico.gateway.upstream.UpstreamTestSupport.exchange;
import static io.portico.gateway.upstream.UpstreamTestSupport.respond;
import static io.portico.gateway.upstream.UpstreamTestSupport.send;
import static io.portico.gateway.upstream.UpstreamTestSupport.service;
import static io.portico.gateway.upstream.UpstreamTestSupport.startServer;
import static io.portico.gateway.upstream.UpstreamTestSupport.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.portico.config.ServiceSpec;
import io.portico.testing.ClosedPorts;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class HealthCheckTest {

    private static final Duration RECOVERY = Duration.ofMillis(300);

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
    void passiveEjectsAfterThresholdAndReadmitsAfterRecovery() {
        AtomicInteger status = new AtomicInteger(503);
        HttpServer flaky = start(request -> request.response().setStatusCode(status.get()).end());
        HttpServer good = start(respond(200));
        UpstreamGroup group = configure(service("passive").target(flaky).target(good).passive(passive(3)));
        TargetState flakyTarget = group.targets().get(0);

        exchange(vertx, group, flakyTarget, "/");
        exchange(vertx, group, flakyTarget, "/");
        assertThat(flakyTarget.healthy()).as("healthy below the threshold").isTrue();
        exchange(vertx, group, flakyTarget, "/");

        assertThat(flakyTarget.healthy()).as("ejected at the threshold").isFalse();
        assertThat(selections(group, 20)).doesNotContain(flakyTarget);
        status.set(200);
        eventually("the recovery period ends", flakyTarget::healthy);
        assertThat(selections(group, 2)).contains(flakyTarget);
        assertThat(exchange(vertx, group, flakyTarget, "/")).isEqualTo(Outcome.response(200));
        assertThat(flakyTarget.healthy()).isTrue();
        assertThat(selections(group, 20)).filteredOn(target -> target == flakyTarget).hasSize(10);
        assertThat(flakyTarget.failures()).isEqualTo(3);
    }

    @Test
    void passiveEjectsAgainWhenFirstRequestAfterRecoveryFails() {
        HttpServer failing = start(respond(502));
        UpstreamGroup group = configure(service("passive").target(failing).passive(passive(3)));
        TargetState target = group.targets().get(0);
        for (int i = 0; i < 3; i++) {
            exchange(vertx, group, target, "/");
        }
        eventually("the recovery period ends", target::healthy);

        exchange(vertx, group, target, "/");

        assertThat(target.healthy()).as("one failure is enough while half-open").isFalse();
    }

    @Test
    void passiveHalfOpenAdmitsOneRequestAtATime() {
        HttpServer flaky = start(respond(503));
        HttpServer good = start(respond(200));
        UpstreamGroup group = configure(service("passive").target(flaky).target(good).passive(passive(1)));
        TargetState flakyTarget = group.targets().get(0);
        exchange(vertx, group, flakyTarget, "/");
        eventually("the recovery period ends", flakyTarget::healthy);

        flakyTarget.onRequestStart();

        assertThat(selections(group, 10)).as("no second request while the trial runs").doesNotContain(flakyTarget);
        flakyTarget.onRequestEnd(1_000_000, Outcome.response(200));
        assertThat(selections(group, 10)).contains(flakyTarget);
    }

    @Test
    void passiveSuccessResetsConsecutiveFailures() {
        AtomicInteger status = new AtomicInteger(503);
        HttpServer flaky = start(request -> request.response().setStatusCode(status.get()).end());
        UpstreamGroup group = configure(service("passive").target(flaky).passive(passive(3)));
        TargetState target = group.targets().get(0);

        exchange(vertx, group, target, "/");
        exchange(vertx, group, target, "/");
        status.set(200);
        exchange(vertx, group, target, "/");
        status.set(503);
        exchange(vertx, group, target, "/");
        exchange(vertx, group, target, "/");

        assertThat(target.healthy()).isTrue();
        assertThat(target.failures()).isEqualTo(4);
    }

    @Test
    void passiveCountsOnlyListedStatuses() {
        HttpServer server = start(respond(500));
        UpstreamGroup group = configure(service("passive").target(server).passive(passive(2)));
        TargetState target = group.targets().get(0);

        for (int i = 0; i < 5; i++) {
            assertThat(exchange(vertx, group, target, "/")).isEqualTo(Outcome.response(500));
        }

        assertThat(target.healthy()).as("500 is not in the default failure statuses 502, 503, 504").isTrue();
    }

    @Test
    void passiveEjectsTargetThatRefusesConnections() {
        int port = ClosedPorts.reserve();
        UpstreamGroup group = configure(service("refused").target("127.0.0.1", port, 100).passive(passive(2)));
        TargetState target = group.targets().get(0);

        assertThat(exchange(vertx, group, target, "/")).isEqualTo(Outcome.CONNECT_FAILURE);
        assertThat(exchange(vertx, group, target, "/")).isEqualTo(Outcome.CONNECT_FAILURE);

        assertThat(target.healthy()).isFalse();
        assertThat(group.select(SelectionContext.EMPTY, null)).isNull();
    }

    @Test
    void passiveEjectsTargetThatTimesOut() {
        HttpServer silent = start(request -> {
            // Never responds, so the read timeout ends the exchange.
        });
        UpstreamGroup group = configure(service("silent").target(silent).passive(passive(1))
                .timeouts(new ServiceSpec.Timeouts(null, Duration.ofMillis(200), null)));
        TargetState target = group.targets().get(0);

        assertThat(exchange(vertx, group, target, "/")).isEqualTo(Outcome.TIMEOUT);

        assertThat(target.healthy()).isFalse();
    }

    @Test
    void waitForBusyPoolIsNotATargetFailure() {
        List<HttpServerRequest> heldRequests = new ArrayList<>();
        HttpServer server = start(heldRequests::add);
        UpstreamGroup group = configure(service("busy").target(server).passive(passive(1))
                .timeouts(new ServiceSpec.Timeouts(Duration.ofMillis(100), null, null))
                .pool(new ServiceSpec.Pool(1, null, null)));
        TargetState target = group.targets().get(0);
        target.onRequestStart();
        send(vertx, group, target, "/held");
        eventually("the server holds the only connection's request", () -> heldRequests.size() == 1);

        Outcome outcome = exchange(vertx, group, target, "/queued");

        assertThat(outcome).isEqualTo(Outcome.NO_CONNECTION);
        assertThat(target.healthy()).isTrue();
        assertThat(target.failures()).isZero();
        target.onRequestEnd(0, Outcome.CANCELLED);
    }

    @Test
    void withoutPassiveCheckFailuresAreOnlyCounted() {
        HttpServer server = start(respond(503));
        UpstreamGroup group = configure(service("unchecked").target(server));
        TargetState target = group.targets().get(0);

        for (int i = 0; i < 10; i++) {
            exchange(vertx, group, target, "/");
        }

        assertThat(target.healthy()).isTrue();
        assertThat(target.failures()).isEqualTo(10);
        assertThat(target.requests()).isEqualTo(10);
    }

    @Test
    void healthTransitionsAreLoggedOnce() {
        Logger logger = (Logger) LoggerFactory.getLogger(TargetState.class);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            AtomicInteger status = new AtomicInteger(503);
            HttpServer flaky = start(request -> request.response().setStatusCode(status.get()).end());
            UpstreamGroup group = configure(service("logged").target(flaky).passive(passive(2)));
            TargetState target = group.targets().get(0);
            for (int i = 0; i < 2; i++) {
                target.onRequestStart();
            }
            for (int i = 0; i < 5; i++) {
                exchange(vertx, group, target, "/");
            }
            status.set(200);
            target.onRequestEnd(0, Outcome.response(503));
            target.onRequestEnd(0, Outcome.response(503));
            eventually("the recovery period ends", target::healthy);
            exchange(vertx, group, target, "/");
            exchange(vertx, group, target, "/");

            assertThat(appender.list).extracting(ILoggingEvent::getLevel).containsExactly(Level.WARN, Level.INFO);
            assertThat(appender.list.get(0).getFormattedMessage())
                    .contains("127.0.0.1:" + flaky.actualPort(), "'logged'", "status 503");
        } finally {
            logger.detachAppender(appender);
        }
    }

    @Test
    void activeCheckMarksTargetDownOnErrorStatusAndUpWhenItRecovers() {
        AtomicInteger status = new AtomicInteger(200);
        AtomicInteger probes = new AtomicInteger();
        HttpServer server = start(request -> {
            if (request.path().equals("/health")) {
                probes.incrementAndGet();
            }
            request.response().setStatusCode(status.get()).end();
        });
        UpstreamGroup group = configure(service("active").target(server).active(active(null)));
        TargetState target = group.targets().get(0);
        eventually("two probes ran", () -> probes.get() >= 2);
        assertThat(target.healthy()).isTrue();

        status.set(500);
        eventually("the target is marked down", () -> !target.healthy());
        assertThat(group.select(SelectionContext.EMPTY, null)).isNull();

        status.set(200);
        eventually("the target is marked up", target::healthy);
        assertThat(group.select(SelectionContext.EMPTY, null)).isSameAs(target);
    }

    @Test
    void activeCheckMarksStoppedServerDownAndRestartedServerUp() {
        AtomicInteger probes = new AtomicInteger();
        Handler<HttpServerRequest> handler = request -> {
            probes.incrementAndGet();
            request.response().end();
        };
        HttpServer server = startServer(vertx, handler);
        int port = server.actualPort();
        UpstreamGroup group = configure(service("active").target(server).active(active(null)));
        TargetState target = group.targets().get(0);
        eventually("two probes ran", () -> probes.get() >= 2);

        succeeded(server.close());
        eventually("the stopped server is marked down", () -> !target.healthy());

        servers.add(succeeded(vertx.createHttpServer().requestHandler(handler).listen(port, "127.0.0.1")));
        eventually("the restarted server is marked up", target::healthy);
    }

    @Test
    void activeCheckFailsWhenProbeTimesOut() {
        AtomicInteger probes = new AtomicInteger();
        HttpServer server = start(request -> {
            // Responds to the first two probes only, then lets the probe timeout expire.
            if (probes.incrementAndGet() <= 2) {
                request.response().end();
            }
        });
        UpstreamGroup group = configure(service("active").target(server).active(active(null)));
        TargetState target = group.targets().get(0);
        eventually("two probes succeeded", () -> probes.get() >= 2);

        eventually("the silent target is marked down", () -> !target.healthy());
    }

    @Test
    void activeCheckUsesConfiguredHealthyStatuses() {
        HttpServer server = start(respond(200));
        UpstreamGroup group = configure(service("active").target(server).active(active(List.of(204))));
        TargetState target = group.targets().get(0);

        eventually("200 counts as a failure", () -> !target.healthy());
    }

    @Test
    void firstProbesOfOneVersionAreSpread() {
        Map<String, Long> firstProbeNanos = new ConcurrentHashMap<>();
        HttpServer server = start(request -> {
            firstProbeNanos.putIfAbsent(request.path(), System.nanoTime());
            request.response().end();
        });
        Duration interval = Duration.ofSeconds(2);
        Map<String, ServiceSpec> services = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            ServiceSpec.Active active = new ServiceSpec.Active("/health/" + i, interval, Duration.ofMillis(500), 2, 2,
                    null);
            ServiceSpec spec = service("checked-" + i).target(server).active(active).build();
            services.put(spec.name(), spec);
        }
        long applied = System.nanoTime();

        upstreams.update(services);

        eventually("every service sent its first probe", () -> firstProbeNanos.size() == services.size());
        List<Long> delaysMillis = firstProbeNanos.values().stream()
                .map(probe -> (probe - applied) / 1_000_000)
                .sorted()
                .toList();
        long spreadMillis = delaysMillis.get(delaysMillis.size() - 1) - delaysMillis.get(0);
        assertThat(spreadMillis).as("time between the first and the last first probe, of %s", delaysMillis)
                .isGreaterThanOrEqualTo(interval.toMillis() / 2);
        assertThat(delaysMillis.get(delaysMillis.size() - 1)).as("last first probe, in ms after the update")
                .isLessThan(interval.toMillis() + 1_000);
    }

    @Test
    void changedServiceKeepsProbeSchedule() {
        List<Long> probeNanos = new CopyOnWriteArrayList<>();
        HttpServer server = start(request -> {
            probeNanos.add(System.nanoTime());
            request.response().end();
        });
        Duration interval = Duration.ofSeconds(3);
        ServiceSpec.Active active = new ServiceSpec.Active("/health", interval, Duration.ofMillis(500), 2, 2, null);
        configure(service("changed").target(server).active(active));
        eventually("the first probe arrived", () -> probeNanos.size() == 1);

        configure(service("changed").target(server, 50).active(active));

        eventually("the second probe arrived", () -> probeNanos.size() == 2);
        long gapMillis = (probeNanos.get(1) - probeNanos.get(0)) / 1_000_000;
        assertThat(gapMillis).as("time between the probes before and after the change, in ms")
                .isBetween(interval.toMillis() - 400, interval.toMillis() + 600);
    }

    @Test
    void targetIsUnhealthyWhenEitherCheckMarksItDown() {
        HttpServer server = start(request -> {
            int status = request.path().equals("/health") ? 200 : 503;
            request.response().setStatusCode(status).end();
        });
        UpstreamGroup group = configure(service("both").target(server).active(active(null)).passive(passive(1)));
        TargetState target = group.targets().get(0);

        exchange(vertx, group, target, "/api");

        assertThat(target.healthy()).as("passive ejection wins over a passing active check").isFalse();
    }

    private HttpServer start(Handler<HttpServerRequest> handler) {
        HttpServer server = startServer(vertx, handler);
        servers.add(server);
        return server;
    }

    private UpstreamGroup configure(UpstreamTestSupport.SpecBuilder builder) {
        ServiceSpec spec = builder.build();
        upstreams.update(Map.of(spec.name(), spec));
        return upstreams.group(spec.name());
    }

    private static ServiceSpec.Passive passive(int threshold) {
        return new ServiceSpec.Passive(threshold, null, RECOVERY);
    }

    private static ServiceSpec.Active active(List<Integer> healthyStatuses) {
        return new ServiceSpec.Active("/health", Duration.ofMillis(100), Duration.ofMillis(500), 2, 2,
                healthyStatuses);
    }

    private static List<TargetState> selections(UpstreamGroup group, int count) {
        List<TargetState> selected = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            selected.add(group.select(SelectionContext.EMPTY, null));
        }
        return selected;
    }
}

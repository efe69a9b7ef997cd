package io.portico.gateway.upstream;

import static io.portico.gateway.upstream.UpstreamTestSupport.eventually;
import static io.portico.gateway.upstream.UpstreamTestSupport.exchange;
import static io.portico.gateway.upstream.UpstreamTestSupport.send;
import static io.portico.gateway.upstream.UpstreamTestSupport.service;
import static io.portico.gateway.upstream.UpstreamTestSupport.startServer;
import static io.portico.gateway.upstream.UpstreamTestSupport.succeeded;
import static org.assertj.core.api.Assertions.assertThat;

import io.portico.config.ServiceSpec;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LoadBalancingTest {

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
    void roundRobinFollowsWeightsExactly() {
        UpstreamGroup group = configure(service("rr").algorithm("round-robin")
                .target("127.0.0.1", 10001, 5).target("127.0.0.1", 10002, 3)
                .target("127.0.0.1", 10003, 1).target("127.0.0.1", 10004, 0));

        Map<Integer, Integer> counts = countSelections(group, 9000, null);

        assertThat(counts).containsOnly(Map.entry(10001, 5000), Map.entry(10002, 3000), Map.entry(10003, 1000));
    }

    @Test
    void roundRobinInterleavesSmoothly() {
        UpstreamGroup group = configure(service("rr").algorithm("round-robin")
                .target("127.0.0.1", 10001, 5).target("127.0.0.1", 10002, 1).target("127.0.0.1", 10003, 1));

        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 14; i++) {
            ports.add(group.select(SelectionContext.EMPTY, null).port());
        }

        assertThat(ports).containsExactly(10001, 10001, 10002, 10001, 10003, 10001, 10001,
                10001, 10001, 10002, 10001, 10003, 10001, 10001);
    }

    @Test
    void roundRobinSkipsExcludedTargets() {
        UpstreamGroup group = configure(service("rr").algorithm("round-robin")
                .target("127.0.0.1", 10001, 1).target("127.0.0.1", 10002, 1).target("127.0.0.1", 10003, 1));
        TargetState first = group.targets().get(0);

        Map<Integer, Integer> counts = countSelections(group, 100, List.of(first));

        assertThat(counts).containsOnly(Map.entry(10002, 50), Map.entry(10003, 50));
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-connections", "consistent-hash", "least-latency"})
    void selectReturnsNullWhenAllExcluded(String algorithm) {
        UpstreamGroup group = configure(service("all-" + algorithm).algorithm(algorithm)
                .target("127.0.0.1", 10001, 1).target("127.0.0.1", 10002, 1));

        TargetState selected = group.select(new SelectionContext("10.0.0.1", null, null), group.targets());

        assertThat(selected).isNull();
    }

    @ParameterizedTest
    @ValueSource(strings = {"round-robin", "least-connections", "consistent-hash", "least-latency"})
    void weightZeroReceivesNoTraffic(String algorithm) {
        UpstreamGroup group = configure(service("zero-" + algorithm).algorithm(algorithm)
                .target("127.0.0.1", 10001, 0).target("127.0.0.1", 10002, 100).target("127.0.0.1", 10003, 0));

        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 300; i++) {
            SelectionContext ctx = new SelectionContext("10.0." + i / 256 + "." + i % 256, null, null);
            counts.merge(group.select(ctx, null).port(), 1, Integer::sum);
        }

        assertThat(counts).containsOnly(Map.entry(10002, 300));
    }

    @Test
    void leastConnectionsPrefersFewestInFlight() {
        List<HttpServerRequest> heldRequests = new CopyOnWriteArrayList<>();
        HttpServer a = start(heldRequests::add);
        HttpServer b = start(heldRequests::add);
        HttpServer c = start(heldRequests::add);
        UpstreamGroup group = configure(service("lc").algorithm("least-connections").target(a).target(b).target(c));
        TargetState targetA = group.targets().get(0);
        TargetState targetB = group.targets().get(1);
        List<Future<HttpClientResponse>> responses = new ArrayList<>();
        for (TargetState target : List.of(targetA, targetA, targetB)) {
            target.onRequestStart();
            responses.add(send(vertx, group, target, "/slow"));
        }
        eventually("the servers hold three requests", () -> heldRequests.size() == 3);

        TargetState selected = group.select(SelectionContext.EMPTY, null);

        assertThat(selected.port()).isEqualTo(c.actualPort());
        assertThat(targetA.inFlight()).isEqualTo(2);
        assertThat(targetB.inFlight()).isEqualTo(1);
        heldRequests.forEach(request -> request.response().end("done"));
        responses.forEach(response -> assertThat(succeeded(response).statusCode()).isEqualTo(200));
        targetA.onRequestEnd(0, Outcome.response(200));
        targetA.onRequestEnd(0, Outcome.response(200));
        targetB.onRequestEnd(0, Outcome.response(200));
        assertThat(group.targets()).allSatisfy(target -> assertThat(target.inFlight()).isZero());
    }

    @Test
    void leastConnectionsWeighsInFlightByWeight() {
        UpstreamGroup group = configure(service("lc").algorithm("least-connections")
                .target("127.0.0.1", 10001, 300).target("127.0.0.1", 10002, 100).target("127.0.0.1", 10003, 100));
        group.targets().get(0).onRequestStart();
        group.targets().get(0).onRequestStart();
        group.targets().get(1).onRequestStart();
        group.targets().get(2).onRequestStart();

        TargetState selected = group.select(SelectionContext.EMPTY, null);

        assertThat(selected.port()).as("2 in flight per 300 weight beats 1 per 100").isEqualTo(10001);
    }

    @Test
    void leastConnectionsRotatesAmongTies() {
        UpstreamGroup group = configure(service("lc").algorithm("least-connections")
                .target("127.0.0.1", 10001, 100).target("127.0.0.1", 10002, 100).target("127.0.0.1", 10003, 100));

        Map<Integer, Integer> counts = countSelections(group, 30, null);

        assertThat(counts).containsOnly(Map.entry(10001, 10), Map.entry(10002, 10), Map.entry(10003, 10));
    }

    @Test
    void consistentHashMapsSameKeyToSameTarget() {
        UpstreamGroup group = configure(threeTargetHash("ch", "client-ip"));

        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 3000; i++) {
            SelectionContext ctx = clientIp(i);
            TargetState first = group.select(ctx, null);
            assertThat(group.select(ctx, null)).isSameAs(first);
            counts.merge(first.port(), 1, Integer::sum);
        }

        assertThat(counts).hasSize(3);
        assertThat(counts.values()).allSatisfy(count -> assertThat(count).isBetween(600, 1400));
    }

    @Test
    void consistentHashRemapsOnlyKeysOfAddedTarget() {
        UpstreamGroup before = configure(threeTargetHash("ch", "client-ip"));
        Map<Integer, Integer> previous = new HashMap<>();
        for (int i = 0; i < 4000; i++) {
            previous.put(i, before.select(clientIp(i), null).port());
        }

        UpstreamGroup after = configure(service("ch").algorithm("consistent-hash")
                .target("127.0.0.1", 10001, 100).target("127.0.0.1", 10002, 100)
                .target("127.0.0.1", 10003, 100).target("127.0.0.1", 10004, 100));
        int moved = 0;
        for (int i = 0; i < 4000; i++) {
            int port = after.select(clientIp(i), null).port();
            if (port != previous.get(i)) {
                moved++;
                assertThat(port).as("a moved key goes to the new target").isEqualTo(10004);
            }
        }

        assertThat(moved).as("about a quarter of the keys move").isBetween(600, 1600);
    }

    @Test
    void consistentHashKeysOnHeader() {
        UpstreamGroup byHeader = configure(threeTargetHash("by-header", "header:X-User"));
        UpstreamGroup byIp = configure(threeTargetHash("by-ip", "client-ip"));

        for (int i = 0; i < 200; i++) {
            String user = "user-" + i;
            SelectionContext fromOneIp = new SelectionContext("10.0.0.1", null, name -> headerOf(name, user));
            SelectionContext fromOtherIp = new SelectionContext("10.0.0.2", null, name -> headerOf(name, user));
            assertThat(byHeader.select(fromOtherIp, null)).isSameAs(byHeader.select(fromOneIp, null));
            SelectionContext withoutHeader = new SelectionContext("10.9.0." + i, null, name -> null);
            assertThat(byHeader.select(withoutHeader, null).port())
                    .as("falls back to the client IP").isEqualTo(byIp.select(withoutHeader, null).port());
        }
    }

    @Test
    void consistentHashKeysOnConsumer() {
        UpstreamGroup byConsumer = configure(threeTargetHash("by-consumer", "consumer"));
        UpstreamGroup byIp = configure(threeTargetHash("by-ip", "client-ip"));
        Set<Integer> ports = new HashSet<>();

        for (int i = 0; i < 200; i++) {
            SelectionContext fromFirstIp = new SelectionContext("10.0.0.1", "consumer-" + i, null);
            SelectionContext fromSecondIp = new SelectionContext("10.0.0.2", "consumer-" + i, null);
            TargetState selected = byConsumer.select(fromFirstIp, null);
            ports.add(selected.port());
            assertThat(byConsumer.select(fromSecondIp, null)).isSameAs(selected);
            SelectionContext anonymous = new SelectionContext("10.8.0." + i, null, null);
            assertThat(byConsumer.select(anonymous, null).port()).isEqualTo(byIp.select(anonymous, null).port());
        }

        assertThat(ports).hasSize(3);
    }

    @Test
    void consistentHashWalksPastExcludedTarget() {
        UpstreamGroup group = configure(threeTargetHash("ch", "client-ip"));

        for (int i = 0; i < 300; i++) {
            SelectionContext ctx = clientIp(i);
            TargetState first = group.select(ctx, null);
            TargetState second = group.select(ctx, List.of(first));
            assertThat(second).isNotNull().isNotSameAs(first);
            assertThat(group.select(ctx, List.of(first))).as("the fallback is stable").isSameAs(second);
            TargetState third = group.select(ctx, List.of(first, second));
            assertThat(third).isNotNull().isNotIn(first, second);
        }
    }

    @Test
    void leastLatencyPrefersFasterServer() {
        HttpServer fast = start(request -> request.response().end("fast"));
        HttpServer slow = start(request -> vertx.setTimer(300, id -> request.response().end("slow")));
        // The slow server comes first, so it is probed first and the JVM warm-up cost lands on it.
        UpstreamGroup group = configure(service("ll").algorithm("least-latency").target(slow).target(fast));
        Map<Integer, Integer> counts = new HashMap<>();

        for (int i = 0; i < 40; i++) {
            TargetState target = group.select(SelectionContext.EMPTY, null);
            assertThat(exchange(vertx, group, target, "/")).isEqualTo(Outcome.response(200));
            counts.merge(target.port(), 1, Integer::sum);
        }

        assertThat(counts.get(slow.actualPort())).as("the slow server is probed once").isEqualTo(1);
        assertThat(counts.get(fast.actualPort())).isEqualTo(39);
        assertThat(group.targets().get(1).ewma()).isLessThan(group.targets().get(0).ewma());
    }

    @Test
    void failurePenaltyStopsDoubling() {
        UpstreamGroup group = configure(service("penalty").algorithm("least-latency").target("127.0.0.1", 10001, 100));
        TargetState target = group.targets().get(0);

        for (int i = 0; i < 64; i++) {
            target.onRequestStart();
            target.onRequestEnd(1_000_000L, Outcome.CONNECT_FAILURE);
        }

        assertThat(target.ewma()).isEqualTo(Duration.ofMinutes(5).toNanos());
    }

    @Test
    void leastLatencyProbesTargetWithoutSamples() {
        HttpServer known = start(request -> request.response().end("known"));
        UpstreamGroup before = configure(service("ll").algorithm("least-latency").target(known));
        exchange(vertx, before, before.targets().get(0), "/");
        HttpServer added = start(request -> request.response().end("added"));

        UpstreamGroup after = configure(service("ll").algorithm("least-latency").target(known).target(added));
        TargetState probed = after.select(SelectionContext.EMPTY, null);
        probed.onRequestStart();
        TargetState whileProbing = after.select(SelectionContext.EMPTY, null);

        assertThat(probed.port()).isEqualTo(added.actualPort());
        assertThat(whileProbing.port()).as("one probe at a time").isEqualTo(known.actualPort());
        probed.onRequestEnd(1_000, Outcome.CANCELLED);
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

    private static UpstreamTestSupport.SpecBuilder threeTargetHash(String name, String hashOn) {
        return service(name).algorithm("consistent-hash").hashOn(hashOn)
                .target("127.0.0.1", 10001, 100).target("127.0.0.1", 10002, 100).target("127.0.0.1", 10003, 100);
    }

    private static SelectionContext clientIp(int i) {
        return new SelectionContext("10." + (i >> 16 & 0xff) + "." + (i >> 8 & 0xff) + "." + (i & 0xff), null, null);
    }

    private static String headerOf(String name, String user) {
        return name.equals("X-User") ? user : null;
    }

    private static Map<Integer, Integer> countSelections(UpstreamGroup group, int selections,
                                                         List<TargetState> excluded) {
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < selections; i++) {
            counts.merge(group.select(SelectionContext.EMPTY, excluded).port(), 1, Integer::sum);
        }
        return counts;
    }
}

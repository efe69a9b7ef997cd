package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Passive and active health checks taking targets out of rotation and back, through a real node. */
class HealthCheckProxyTest {

    /** A port on which nothing listens: binding ports below 1024 needs privileges that tests do not have. */
    private static final int CLOSED_PORT = 1;

    private static TestUpstream live;
    private static TestUpstream steady;
    private static TestUpstream flaky;
    private static TestUpstream bulk;
    private static TestNode node;

    @BeforeAll
    static void start() {
        live = TestUpstream.start("live");
        steady = TestUpstream.start("steady");
        flaky = TestUpstream.start("flaky");
        bulk = TestUpstream.start("bulk");
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode passive = config.service("passive", live.port(), CLOSED_PORT);
        passive.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 2).put("recovery", "60s");
        passive.putObject("retries").put("attempts", 1);
        ObjectNode active = config.service("active", steady.port(), flaky.port());
        active.putObject("healthCheck").putObject("active")
                .put("path", "/health")
                .put("interval", "100ms")
                .put("timeout", "500ms")
                .put("unhealthyThreshold", 2)
                .put("healthyThreshold", 2);
        ObjectNode downloads = config.service("downloads", bulk.port());
        downloads.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 2).put("recovery", "60s");
        config.route("downloads", "downloads", "/downloads").put("stripPrefix", true);
        config.route("passive", "passive", "/passive").put("stripPrefix", true);
        config.route("active", "active", "/active").put("stripPrefix", true);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        live.close();
        steady.close();
        flaky.close();
        bulk.close();
    }

    @Test
    void passiveCheckEjectsRefusingTarget() {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> response = get(node, "/passive/echo");
            statuses.add(response.statusCode());
            if (response.statusCode() != 200) {
                assertProblem(response, 502, "upstream-unavailable");
            }
        }

        assertThat(statuses).as("statuses in order").filteredOn(status -> status == 502).hasSize(2);
        assertThat(statuses.subList(0, 4)).as("first four statuses").contains(502, 502);
        assertThat(statuses.subList(4, 20)).as("statuses after the ejection").containsOnly(200);
        assertThat(live.requests("/echo")).isEqualTo(18);
    }

    @Test
    void clientAbortingDownloadLeavesTargetHealthy() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (Socket socket = new Socket("127.0.0.1", node.portico().httpPort())) {
                socket.getOutputStream().write(("GET /downloads/bytes?n=500000000 HTTP/1.1\r\nHost: test\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[16 * 1024];
                int read = 0;
                while (read < 256 * 1024) {
                    int n = in.read(buffer);
                    assertThat(n).as("bytes read").isPositive();
                    read += n;
                }
            }
        }

        Conditions.eventually("every aborted download ended", () -> node.admin("GET",
                "/admin/v1/services/downloads/health", null, 200).at("/targets/0/inFlight").asInt() == 0);
        JsonNode target = node.admin("GET", "/admin/v1/services/downloads/health", null, 200).at("/targets/0");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
        assertThat(get(node, "/downloads/echo").statusCode()).isEqualTo(200);
    }

    @Test
    void activeCheckTakesTargetOutAndBack() throws InterruptedException {
        assertThat(targetsOf(20)).as("targets while both are healthy").containsExactlyInAnyOrder("steady", "flaky");

        assertThat(healthGauge(steady)).as("health gauge of steady").isEqualTo("1.0");
        assertThat(healthGauge(flaky)).as("health gauge of flaky").isEqualTo("1.0");

        flaky.healthStatus(500);
        awaitTargetsOfTenRequests(Set.of("steady"));
        int flakyBefore = flaky.requests("/echo");
        assertThat(targetsOf(20)).as("targets while flaky fails its health checks").containsExactly("steady");
        assertThat(flaky.requests("/echo")).isEqualTo(flakyBefore);
        assertThat(flaky.requests("/health")).as("health checks received by flaky").isGreaterThanOrEqualTo(2);
        assertThat(healthGauge(steady)).as("health gauge of steady while flaky is down").isEqualTo("1.0");
        assertThat(healthGauge(flaky)).as("health gauge of flaky while it is down").isEqualTo("0.0");

        flaky.healthStatus(200);
        awaitTargetsOfTenRequests(Set.of("steady", "flaky"));
        assertThat(targetsOf(20)).as("targets after flaky recovered").containsExactlyInAnyOrder("steady", "flaky");
        assertThat(healthGauge(flaky)).as("health gauge of flaky after it recovered").isEqualTo("1.0");
    }

    /** Returns the value of {@code portico_upstream_target_healthy} for {@code target} of service 'active'. */
    private static String healthGauge(TestUpstream target) {
        String series = "portico_upstream_target_healthy{service=\"active\",target=\"127.0.0.1:" + target.port()
                + "\"} ";
        return Arrays.stream(node.adminRaw("GET", "/metrics", null).body().split("\n"))
                .filter(line -> line.startsWith(series))
                .map(line -> line.substring(series.length()))
                .findFirst().orElse("absent");
    }

    /** Sends {@code count} requests to the active-checked service and returns the targets that served them. */
    private static Set<String> targetsOf(int count) {
        Set<String> targets = new HashSet<>();
        for (int i = 0; i < count; i++) {
            HttpResponse<String> response = get(node, "/active/echo");
            assertThat(response.statusCode()).isEqualTo(200);
            targets.add(upstream(response));
        }
        return targets;
    }

    /** Waits, for at most 10 seconds, until ten requests in a row are served by exactly {@code expected}. */
    private static void awaitTargetsOfTenRequests(Set<String> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        Set<String> targets = targetsOf(10);
        while (!targets.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            targets = targetsOf(10);
        }
        assertThat(targets).as("targets of ten requests").isEqualTo(expected);
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.post;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Retries on response statuses through a real node: {@code retries: {attempts: 2, statuses: [503]}}, and with a
 * retry budget of no share and one retry per second, where the access log and the metrics show the retries and the
 * retries that the budget rejects.
 */
class RetryProxyTest {

    private static final int BUDGETED_REQUESTS = 10;

    private static TestUpstream failing;
    private static TestUpstream healthy;
    private static TestUpstream lonely;
    private static TestNode node;

    @BeforeAll
    static void start() {
        // The test logging configuration turns the access log off, so this test turns it on.
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.INFO);
        failing = TestUpstream.start("failing");
        failing.respondWith(503);
        healthy = TestUpstream.start("healthy");
        lonely = TestUpstream.start("lonely");
        lonely.respondWith(503);
        node = TestNode.start();
        Configs config = Configs.document();
        retryOn503(config.service("pair", failing.port(), healthy.port()));
        retryOn503(config.service("single", lonely.port()));
        retryOn503(config.service("budgeted-pair", failing.port(), healthy.port())).put("budget", 0)
                .put("minRetriesPerSecond", 1);
        retryOn503(config.service("budgeted-single", lonely.port())).put("budget", 0).put("minRetriesPerSecond", 1);
        config.route("pair", "pair", "/pair");
        config.route("single", "single", "/single");
        config.route("budgeted-pair", "budgeted-pair", "/budgeted-pair").put("stripPrefix", true);
        config.route("budgeted-single", "budgeted-single", "/budgeted-single").put("stripPrefix", true);
        node.apply(config.build());
    }

    /** Adds retries on 503 to {@code service} and returns its {@code retries} section. */
    private static ObjectNode retryOn503(ObjectNode service) {
        ObjectNode retries = service.putObject("retries").put("attempts", 2);
        retries.putArray("statuses").add(503);
        return retries;
    }

    @AfterAll
    static void stop() {
        ((Logger) LoggerFactory.getLogger("portico.access")).setLevel(Level.WARN);
        node.close();
        failing.close();
        healthy.close();
        lonely.close();
    }

    @Test
    void getAfter503IsRetriedOnOtherTarget() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            String id = "retry-get-" + i;
            ids.add(id);
            HttpResponse<String> response = get(node, "/pair/echo", "X-Request-Id", id);

            assertThat(response.statusCode()).as("status of GET %d", i).isEqualTo(200);
            assertThat(upstream(response)).isEqualTo("healthy");
        }

        assertThat(healthy.requestIds()).filteredOn(ids::contains).containsExactlyInAnyOrderElementsOf(ids);
        List<String> triedOnFailing = failing.requestIds().stream().filter(ids::contains).toList();
        assertThat(triedOnFailing).as("GETs that reached the failing target first").isNotEmpty()
                .doesNotHaveDuplicates();
    }

    @Test
    void postWithBodyIsNotRetried() {
        List<String> ids = new ArrayList<>();
        int answeredByFailing = 0;
        for (int i = 0; i < 6; i++) {
            String id = "retry-post-" + i;
            ids.add(id);
            HttpResponse<String> response = post(node, "/pair/echo", "order " + i, "X-Request-Id", id);

            if (response.statusCode() == 503) {
                answeredByFailing++;
                assertThat(upstream(response)).isEqualTo("failing");
                assertThat(healthy.requestIds()).as("POST %s sent to the second target", id).doesNotContain(id);
            } else {
                assertThat(response.statusCode()).isEqualTo(200);
                assertThat(upstream(response)).isEqualTo("healthy");
            }
        }

        assertThat(answeredByFailing).as("POSTs answered 503 by the failing target").isPositive();
        List<String> postsOnFailing = failing.requestIds().stream().filter(ids::contains).toList();
        assertThat(postsOnFailing).hasSize(answeredByFailing).doesNotHaveDuplicates();
    }

    @Test
    void retryStatusWithoutOtherTargetIsRelayed() {
        HttpResponse<String> response = get(node, "/single/echo", "X-Request-Id", "retry-single");

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(upstream(response)).isEqualTo("lonely");
        assertThat(response.body()).isEqualTo("lonely");
        assertThat(lonely.requestIds()).containsOnlyOnce("retry-single");
    }

    @Test
    void retryOutcomesAreLoggedAndCounted() {
        List<String> lines;
        try (LogCapture access = new LogCapture("portico.access")) {
            for (int i = 0; i < BUDGETED_REQUESTS; i++) {
                get(node, "/budgeted-pair/echo/" + i);
            }
            Conditions.eventually("an access-log line per request",
                    () -> lines(access, "/budgeted-pair/").size() == BUDGETED_REQUESTS);
            lines = lines(access, "/budgeted-pair/");
        }

        List<String> retried = lines.stream().filter(line -> line.contains(" upstream_retries=")).toList();
        List<String> rejected = lines.stream().filter(line -> line.contains(" upstream_retry_budget=")).toList();
        assertThat(retried).as("lines of retried requests").isNotEmpty();
        assertThat(rejected).as("lines of requests whose retry the budget rejected").isNotEmpty();
        for (String line : retried) {
            assertThat(line).as("retried line").contains(" status=200 ");
            assertThat(line).as("retried line").contains(" upstream_retries=1");
            assertThat(line).as("retried line").contains("upstream=127.0.0.1:" + healthy.port());
        }
        for (String line : rejected) {
            assertThat(line).as("rejected line").contains(" status=503 ");
            assertThat(line).as("rejected line").contains(" upstream_retry_budget=exhausted");
            assertThat(line).as("rejected line").doesNotContain("upstream_retries=");
        }
        String target = "service=\"budgeted-pair\",target=\"127.0.0.1:" + failing.port() + "\"";
        assertThat(metric("portico_upstream_retries_total{result=\"sent\"," + target + "}"))
                .as("retries sent after the failing target").isEqualTo(retried.size());
        assertThat(metric("portico_upstream_retries_total{result=\"budget_exhausted\"," + target + "}"))
                .as("retries rejected after the failing target").isEqualTo(rejected.size());
    }

    @Test
    void singleTargetCountsNoRetry() {
        try (LogCapture access = new LogCapture("portico.access")) {
            for (int i = 0; i < 3; i++) {
                assertThat(get(node, "/budgeted-single/echo/" + i).statusCode()).as("status of request %d", i)
                        .isEqualTo(503);
            }
            Conditions.eventually("an access-log line per request",
                    () -> lines(access, "/budgeted-single/").size() == 3);

            for (String line : lines(access, "/budgeted-single/")) {
                assertThat(line).as("line without another target").doesNotContain("upstream_retr");
            }
        }
        assertThat(node.adminRaw("GET", "/metrics", null).body()).as("retries of a service with one target")
                .doesNotContain("portico_upstream_retries_total{result=\"sent\",service=\"budgeted-single\"");
    }

    private static List<String> lines(LogCapture access, String pathPrefix) {
        return access.messages(Level.INFO).stream().filter(line -> line.contains(" path=" + pathPrefix)).toList();
    }

    /** Returns the value of the sample {@code series} in the node's scrape, or 0 when it has none. */
    private static int metric(String series) {
        return Arrays.stream(node.adminRaw("GET", "/metrics", null).body().split("\n"))
                .filter(line -> line.startsWith(series + " "))
                .mapToInt(line -> (int) Double.parseDouble(line.substring(series.length() + 1)))
                .findFirst().orElse(0);
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.post;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Retries on response statuses through a real node: {@code retries: {attempts: 2, statuses: [503]}}. */
class RetryProxyTest {

    private static TestUpstream failing;
    private static TestUpstream healthy;
    private static TestUpstream lonely;
    private static TestNode node;

    @BeforeAll
    static void start() {
        failing = TestUpstream.start("failing");
        failing.respondWith(503);
        healthy = TestUpstream.start("healthy");
        lonely = TestUpstream.start("lonely");
        lonely.respondWith(503);
        node = TestNode.start();
        Configs config = Configs.document();
        retryOn503(config.service("pair", failing.port(), healthy.port()));
        retryOn503(config.service("single", lonely.port()));
        config.route("pair", "pair", "/pair");
        config.route("single", "single", "/single");
        node.apply(config.build());
    }

    private static void retryOn503(ObjectNode service) {
        service.putObject("retries").put("attempts", 2).putArray("statuses").add(503);
    }

    @AfterAll
    static void stop() {
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
}

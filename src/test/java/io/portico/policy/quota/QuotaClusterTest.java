package io.portico.policy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The quota policy on two real nodes sharing one PostgreSQL store, and across a node restart. */
class QuotaClusterTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static Map<String, String> store;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("orders");
        store = Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres");
    }

    @AfterAll
    static void stop() throws Exception {
        upstream.close();
        postgres.close();
    }

    @Test
    void nodesShareQuotaAndItSurvivesRestart() throws Exception {
        TestNode first = TestNode.start(store);
        TestNode second = TestNode.start(store);
        try {
            Configs config = Configs.document();
            config.service("orders", upstream.port());
            config.resource("teams", "payments");
            config.resource("consumers", "alice").put("team", "payments");
            ObjectNode route = config.route("orders", "orders", "/orders");
            var policies = route.putArray("policies");
            policies.addObject().put("name", "header-auth");
            policies.addObject().put("name", "quota").putObject("config").put("limit", 3).put("period", "day");
            first.apply(config.build());
            Conditions.eventually("the second node serves the route", () -> status(second).statusCode() == 200);
            Conditions.eventually("the second node's call reaches the first node",
                    () -> used(first) == 1);

            HttpResponse<String> ok = status(first);
            assertThat(ok.statusCode()).isEqualTo(200);
            assertThat(ok.headers().firstValue("X-Quota-Limit")).hasValue("3");
            assertThat(ok.headers().firstValue("X-Quota-Remaining")).hasValue("1");
            assertThat(status(first).statusCode()).isEqualTo(200);
            Conditions.eventually("the second node reads both calls of the first", () -> used(second) == 3);

            HttpResponse<String> rejected = status(second);
            assertThat(rejected.statusCode()).isEqualTo(429);
            assertThat(rejected.body()).contains("quota-exceeded").contains("daily quota of 3 calls");
            assertThat(rejected.headers().firstValue("Retry-After")).isPresent();
            assertThat(rejected.headers().firstValue("X-Quota-Remaining")).hasValue("0");
        } finally {
            second.close();
            first.close();
        }

        try (TestNode restarted = TestNode.start(store)) {
            Conditions.eventually("the restarted node serves the route",
                    () -> status(restarted).statusCode() != 404);
            assertThat(status(restarted).statusCode()).isEqualTo(429);
            JsonNode quotas = restarted.admin("GET", "/admin/v1/quotas?consumer=alice", null, 200).path("quotas");
            assertThat(quotas).hasSize(1);
            assertThat(quotas.get(0).path("scope").asText()).isEqualTo("route:orders:day");
            assertThat(quotas.get(0).path("used").asLong()).isEqualTo(3);
            assertThat(quotas.get(0).path("remaining").asLong()).isZero();
        }
    }

    private static long used(TestNode node) {
        JsonNode quotas = node.admin("GET", "/admin/v1/quotas?consumer=alice", null, 200).path("quotas");
        return quotas.isEmpty() ? 0 : quotas.get(0).path("used").asLong();
    }

    private static HttpResponse<String> status(TestNode node) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/orders"))
                    .header("X-Test-Consumer", "alice").build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

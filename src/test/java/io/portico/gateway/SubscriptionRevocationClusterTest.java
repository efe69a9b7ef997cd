package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A subscription revoked through one node stops admitting calls on another node of the same store. */
class SubscriptionRevocationClusterTest {

    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static TestNode first;
    private static TestNode second;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("orders");
        Map<String, String> store = Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres");
        first = TestNode.start(store);
        second = TestNode.start(store);
    }

    @AfterAll
    static void stop() throws Exception {
        second.close();
        first.close();
        upstream.close();
        postgres.close();
    }

    @Test
    void revocationReachesOtherNodeWithinOneSecond() throws Exception {
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "payments");
        config.resource("apis", "orders").put("team", "payments").put("approval", "auto");
        config.resource("consumers", "alice").put("team", "payments");
        ObjectNode route = config.route("orders", "app", "/orders").put("api", "orders");
        route.putArray("policies").addObject().put("name", "header-auth");
        first.apply(config.build());
        first.admin("POST", "/admin/v1/apis/orders/subscriptions",
                Json.MAPPER.createObjectNode().put("consumer", "alice"), 201);
        Conditions.eventually("the second node admits alice", () -> status(second) == 200);

        long start = System.nanoTime();
        first.admin("POST", "/admin/v1/subscriptions/alice.orders/revoke",
                Json.MAPPER.createObjectNode().put("reason", "contract ended"), 200);
        int status = status(second);
        while (status != 403 && System.nanoTime() - start < 1_000_000_000L) {
            Thread.sleep(20);
            status = status(second);
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(status).as("status from the second node %d ms after the revocation", elapsedMillis)
                .isEqualTo(403);
        assertThat(status(first)).isEqualTo(403);
    }

    private static int status(TestNode node) {
        return GatewayClient.get(node, "/orders/echo", "X-Test-Consumer", "alice").statusCode();
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two Portico nodes sharing one real PostgreSQL store: configuration changes reach both. */
class ClusterTest {

    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static TestNode first;
    private static TestNode second;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("shared");
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
    void changeOnOneNodeIsServedByOtherWithinOneSecond() throws Exception {
        Configs config = Configs.document();
        config.service("shared", upstream.port());
        config.route("shared", "shared", "/shared");
        long start = System.nanoTime();
        first.apply(config.build());

        int status = 0;
        while (System.nanoTime() - start < 1_000_000_000L) {
            status = CLIENT.send(HttpRequest.newBuilder(URI.create(second.url() + "/shared")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status == 200) {
                break;
            }
            Thread.sleep(20);
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(status).as("status from the second node after %d ms", elapsedMillis).isEqualTo(200);
        assertThat(second.portico().configVersion()).isEqualTo(first.portico().configVersion());
    }

    @Test
    void passwordInStoreUrlIsNeverLogged() throws Exception {
        String secret = "url-secret-" + System.nanoTime();
        // The embedded server trusts loopback connections, so the password in the URL is sent and ignored.
        Map<String, String> store = Map.of("store.url",
                postgres.getJdbcUrl("postgres", "postgres") + "&password=" + secret);
        List<String> messages;
        try (LogCapture log = new LogCapture("io.portico")) {
            try (TestNode third = TestNode.start(store)) {
                assertThat(third.portico().configVersion()).isGreaterThanOrEqualTo(0);
            }
            messages = log.allMessages();
        }

        assertThat(messages).anyMatch(message -> message.contains("password=****"));
        assertThat(messages).noneMatch(message -> message.contains(secret));
    }

    @Test
    void revocationReachesOtherNodeWithinOneSecond() throws Exception {
        Configs config = Configs.document();
        config.service("orders", upstream.port());
        config.resource("teams", "payments");
        config.resource("apis", "orders").put("team", "payments").put("approval", "auto");
        config.resource("consumers", "alice").put("team", "payments");
        ObjectNode route = config.route("orders", "orders", "/orders").put("api", "orders");
        route.putArray("policies").addObject().put("name", "header-auth");
        first.apply(config.build());
        first.admin("POST", "/admin/v1/apis/orders/subscriptions",
                Json.MAPPER.createObjectNode().put("consumer", "alice"), 201);
        Conditions.eventually("the second node admits alice", () -> ordersStatus(second) == 200);

        long start = System.nanoTime();
        first.admin("POST", "/admin/v1/subscriptions/alice.orders/revoke",
                Json.MAPPER.createObjectNode().put("reason", "contract ended"), 200);
        int status = ordersStatus(second);
        while (status != 403 && System.nanoTime() - start < 1_000_000_000L) {
            Thread.sleep(20);
            status = ordersStatus(second);
        }
        long elapsedMillis = (System.nanoTime() - start) / 1_000_000;

        assertThat(status).as("status from the second node %d ms after the revocation", elapsedMillis)
                .isEqualTo(403);
        assertThat(ordersStatus(first)).isEqualTo(403);
    }

    private static int ordersStatus(TestNode node) {
        return GatewayClient.get(node, "/orders/echo", "X-Test-Consumer", "alice").statusCode();
    }
}

package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static io.portico.gateway.GatewayClient.upstream;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A node on PostgreSQL keeps serving its last configuration after the database stops. */
class StoreOutageTest {

    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("last-known");
        node = TestNode.start(Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres"));
        node.apply(config("kept", "/kept"));
        assertThat(get(node, "/kept/echo").statusCode()).isEqualTo(200);
        postgres.close();
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    private static ObjectNode config(String name, String path) {
        Configs config = Configs.document();
        config.service(name, upstream.port());
        config.route(name, name, path).put("stripPrefix", true);
        return config.build();
    }

    @Test
    void proxyKeepsServingLastSnapshot() {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = get(node, "/kept/echo");

            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(upstream(response)).isEqualTo("last-known");
        }
        assertThat(node.portico().ready()).isTrue();
    }

    @Test
    void adminReportsStoreUnavailable() throws Exception {
        ObjectNode service = (ObjectNode) config("added", "/added").withArray("services").get(0);
        // Each store call waits for the pool's connection timeout, so the three requests run at once.
        CompletableFuture<HttpResponse<String>> create = CompletableFuture.supplyAsync(() ->
                node.adminRaw("POST", "/admin/v1/services", service));
        CompletableFuture<HttpResponse<String>> apply = CompletableFuture.supplyAsync(() ->
                node.adminRaw("POST", "/admin/v1/config/apply", config("added", "/added")));
        CompletableFuture<HttpResponse<String>> status = CompletableFuture.supplyAsync(() ->
                node.adminRaw("GET", "/admin/v1/status", null));

        JsonNode created = assertProblem(create.get(), 503, "store-unavailable");
        JsonNode applied = assertProblem(apply.get(), 503, "store-unavailable");
        assertThat(created.path("detail").asText()).isEqualTo("the configuration store is unavailable; retry later");
        assertThat(applied.path("detail").asText()).isEqualTo("the configuration store is unavailable; retry later");
        assertProblem(get(node, "/added/echo"), 404, "route-not-found");
        assertThat(status.get().statusCode()).isEqualTo(200);
        JsonNode body = json(status.get());
        assertThat(body.path("store").asText()).isEqualTo("unavailable");
        JsonNode ready = json(node.adminRaw("GET", "/health/ready", null));
        assertThat(body.path("storeVersion").isIntegralNumber()).as("storeVersion is the last version read").isTrue();
        assertThat(body.path("storeVersion").asLong()).isEqualTo(ready.path("storeVersion").asLong()).isPositive();
        assertThat(body.path("configVersion").asLong()).isEqualTo(node.portico().configVersion()).isPositive();
        assertThat(body.path("resources").path("routes").asInt()).isEqualTo(1);
    }

    @Test
    void statusRespondsAtOnceDuringKnownOutage() {
        // This read fails after the pool's connection timeout of 3 seconds at most, and from then on the store
        // records the database as unreachable.
        assertProblem(node.adminRaw("GET", "/admin/v1/routes", null), 503, "store-unavailable");

        for (int i = 0; i < 3; i++) {
            long start = System.nanoTime();
            HttpResponse<String> status = node.adminRaw("GET", "/admin/v1/status", null);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(millis).as("duration of status call %d in ms", i).isLessThan(1_500);
            assertThat(status.statusCode()).as("status of call %d", i).isEqualTo(200);
            JsonNode body = json(status);
            assertThat(body.path("store").asText()).isEqualTo("unavailable");
            assertThat(body.path("storeDetail").asText()).startsWith("the configuration store is unreachable, so "
                    + "this node serves configuration version " + node.portico().configVersion() + ",");
            assertThat(body.path("storeVersion").asLong()).isPositive();
        }
    }
}

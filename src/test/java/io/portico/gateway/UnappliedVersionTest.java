package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.store.Change;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Readiness and metrics of a real node when the store contains a version that the gateway cannot compile. Such a
 * version is written straight into the store, as an older Portico or a direct database edit could leave it; the
 * {@code uncompilable} test policy passes validation and fails to compile.
 */
class UnappliedVersionTest {

    private Path data;
    private TestUpstream upstream;
    private Map<String, String> settings;

    @BeforeEach
    void start() throws IOException {
        data = Files.createTempDirectory("portico-unapplied-");
        upstream = TestUpstream.start("unapplied");
        settings = Map.of("dataDirectory", data.toString(), "store.pollInterval", "100ms");
    }

    @AfterEach
    void stop() throws IOException {
        upstream.close();
        try (var paths = Files.walk(data)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    private ObjectNode goodConfig() {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("ok", "up", "/ok");
        return config.build();
    }

    private static Change brokenRoute() {
        ObjectNode route = JsonNodeFactory.instance.objectNode().put("name", "broken").put("service", "up");
        route.putArray("paths").add("/broken");
        route.putArray("policies").addObject().put("name", "uncompilable");
        return Change.create("routes", "broken", route);
    }

    @Test
    void servingNodeReportsItIsBehind() {
        try (TestNode node = TestNode.start(settings)) {
            node.apply(goodConfig());
            long served = node.portico().configVersion();

            node.portico().store().commit(List.of(brokenRoute()));
            long stored = node.portico().store().version();
            Conditions.eventually("the node counts the failed apply",
                    () -> metric(node, "portico_config_apply_failures_total") == 1);

            HttpResponse<String> health = node.adminRaw("GET", "/health/ready", null);
            assertThat(health.statusCode()).isEqualTo(200);
            JsonNode body = json(health);
            assertThat(body.path("status").asText()).isEqualTo("UP");
            assertThat(body.path("configVersion").asLong()).isEqualTo(served);
            assertThat(body.path("storeVersion").asLong()).isEqualTo(stored);
            assertThat(body.path("reason").asText()).contains("serves configuration version " + served);
            assertThat(metric(node, "portico_config_version{source=\"applied\"}")).isEqualTo(served);
            assertThat(metric(node, "portico_config_version{source=\"store\"}")).isEqualTo(stored);
            assertThat(get(node, "/ok").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void unappliedNodeIsNotReady() {
        try (TestNode first = TestNode.start(settings)) {
            first.apply(goodConfig());
            first.portico().store().commit(List.of(brokenRoute()));
        }

        try (TestNode node = TestNode.start(settings)) {
            assertThat(node.portico().ready()).isFalse();
            HttpResponse<String> health = node.adminRaw("GET", "/health/ready", null);
            assertThat(health.statusCode()).isEqualTo(503);
            JsonNode body = json(health);
            assertThat(body.path("status").asText()).isEqualTo("DOWN");
            assertThat(body.path("configVersion").asLong()).isZero();
            assertThat(body.path("reason").asText()).contains("no configuration version from the store");
            assertThat(get(node, "/ok").statusCode()).isEqualTo(404);
            assertThat(metric(node, "portico_config_apply_failures_total")).isEqualTo(1);

            long revision = node.portico().store().get("routes", "broken").orElseThrow().revision();
            node.portico().store().commit(List.of(Change.delete("routes", "broken", revision)));

            Conditions.eventually("the node applies the corrected version", () -> node.portico().ready());
            HttpResponse<String> recovered = node.adminRaw("GET", "/health/ready", null);
            assertThat(recovered.statusCode()).isEqualTo(200);
            assertThat(json(recovered).has("reason")).isFalse();
            assertThat(get(node, "/ok").statusCode()).isEqualTo(200);
        }
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("invalid JSON: " + response.body(), e);
        }
    }

    /** Returns the value of the sample {@code series}, a name with its labels as scraped; -1 when absent. */
    private static long metric(TestNode node, String series) {
        String scrape = node.adminRaw("GET", "/metrics", null).body();
        for (String line : scrape.split("\n")) {
            if (line.startsWith(series + " ")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        return -1;
    }
}

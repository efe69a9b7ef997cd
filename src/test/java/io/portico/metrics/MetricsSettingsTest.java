package io.portico.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.node.NodeConfig;
import io.portico.node.NodeConfigLoader;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The metrics node settings and their defaults. The real node here has consumer tags switched on and a Redis URL on
 * which nothing listens, so cluster-wide rate limits run in their fallback.
 */
class MetricsSettingsTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static TestUpstream app;
    private static TestNode node;

    @BeforeAll
    static void start() {
        app = TestUpstream.start("app");
        // Nothing listens on port 1 of the loopback address, so Redis stays unavailable.
        node = TestNode.start(Map.of("metrics.consumerLabels", "true", "redis.url", "redis://127.0.0.1:1",
                "redis.retryInterval", "10s"));
        Configs config = Configs.document();
        config.resource("teams", "ml");
        config.resource("consumers", "ann").put("team", "ml");
        config.service("app", app.port());
        ObjectNode route = config.route("shared", "app", "/shared").put("stripPrefix", true);
        ArrayNode policies = route.putArray("policies");
        policies.addObject().put("name", "header-auth");
        ObjectNode limit = policies.addObject().put("name", "rate-limit").putObject("config")
                .put("mode", "cluster").put("onRedisFailure", "reject");
        limit.putArray("limits").addObject().put("name", "per-minute").put("max", 100).put("window", "1m");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        app.close();
    }

    @Test
    void redisFallbackAndConsumerTag() throws Exception {
        Conditions.eventually("Redis is reported unavailable", () -> scrape().contains("portico_redis_fallback 1.0"));

        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/shared/echo"))
                .header("X-Test-Consumer", "ann").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(503);
        String requests = "portico_requests_total{api=\"\",consumer=\"ann\",method=\"GET\",route=\"shared\","
                + "status=\"503\"} 1.0";
        Conditions.eventually("the scrape contains " + requests, () -> scrape().contains(requests));
        assertThat(scrape()).contains("portico_rate_limit_rejections_total{policy=\"rate-limit\","
                + "reason=\"redis-unavailable\",route=\"shared\"} 1.0");
    }

    @Test
    void metricsListenerIsOffByDefault() {
        assertThat(node.portico().metricsPort()).isEqualTo(-1);
    }

    @Test
    void settingsDefaultsAndEnvironment() {
        NodeConfig.Metrics defaults = NodeConfig.defaults().metrics();
        NodeConfig.Metrics fromEnvironment = NodeConfigLoader.load(null, Map.of("PORTICO_METRICS_HOST", "0.0.0.0",
                "PORTICO_METRICS_PORT", "9090"), Map.of()).metrics();

        assertThat(defaults.listenerEnabled()).isFalse();
        assertThat(defaults.host()).isEqualTo("127.0.0.1");
        assertThat(defaults.consumerLabels()).isFalse();
        assertThat(fromEnvironment.listenerEnabled()).isTrue();
        assertThat(fromEnvironment.host()).isEqualTo("0.0.0.0");
        assertThat(fromEnvironment.port()).isEqualTo(9090);
    }

    private static String scrape() {
        HttpResponse<String> response = node.adminRaw("GET", "/metrics", null);
        assertThat(response.statusCode()).isEqualTo(200);
        return response.body();
    }
}

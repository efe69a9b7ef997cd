package io.portico.gateway;

import static io.portico.gateway.GatewayClient.get;
import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A gateway set to the smallest accepted request limits still serves ordinary requests. */
class MinimumLimitsTest {

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("minimum");
        node = TestNode.start(Map.of("limits.maxHeaderSize", "1024", "limits.maxUriLength", "256"));
        Configs config = Configs.document();
        config.service("echo", upstream.port());
        config.route("all", "echo", "/");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void ordinaryRequestPasses() {
        HttpResponse<String> response = get(node, "/echo?page=2&sort=name",
                "Accept", "application/json",
                "Accept-Language", "en-GB,en;q=0.9",
                "Authorization", "Bearer " + "x".repeat(300),
                "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void headerSectionOverLimitIs431() {
        HttpResponse<String> response = get(node, "/echo", "X-Padding", "x".repeat(1100));

        assertThat(response.statusCode()).isEqualTo(431);
    }
}

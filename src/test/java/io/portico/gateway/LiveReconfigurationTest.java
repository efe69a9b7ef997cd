package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Configuration changes take effect at once on the node that received them, without dropping requests. */
class LiveReconfigurationTest {

    private static TestUpstream blue;
    private static TestUpstream green;
    private static TestNode node;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @BeforeAll
    static void start() {
        blue = TestUpstream.start("blue");
        green = TestUpstream.start("green");
        node = TestNode.start();
    }

    @AfterAll
    static void stop() {
        node.close();
        blue.close();
        green.close();
    }

    @Test
    void switchKeepsInFlightAndRoutesNewRequests() throws Exception {
        node.apply(pointingAt(blue));
        CompletableFuture<HttpResponse<String>> inFlight = CLIENT.sendAsync(
                HttpRequest.newBuilder(URI.create(node.url() + "/slow?ms=700")).timeout(Duration.ofSeconds(10))
                        .build(), HttpResponse.BodyHandlers.ofString());
        Thread.sleep(200);

        node.apply(pointingAt(green));
        HttpResponse<String> after = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(after.headers().firstValue("X-Upstream")).hasValue("green");
        HttpResponse<String> finished = inFlight.get(10, TimeUnit.SECONDS);
        assertThat(finished.statusCode()).isEqualTo(200);
        assertThat(finished.body()).isEqualTo("slow blue");
    }

    @Test
    void removedRouteStopsMatching() throws Exception {
        node.apply(pointingAt(blue));
        node.apply(Configs.document().build());

        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(404);
    }

    private static com.fasterxml.jackson.databind.node.ObjectNode pointingAt(TestUpstream upstream) {
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.route("app", "app", "/");
        return config.build();
    }
}

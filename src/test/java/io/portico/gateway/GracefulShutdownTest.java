package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Stopping a node drains requests in flight and refuses new connections. */
class GracefulShutdownTest {

    @Test
    void inFlightRequestCompletesDuringShutdown() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("draining")) {
            TestNode node = TestNode.start();
            Configs config = Configs.document();
            config.service("app", upstream.port());
            config.route("app", "app", "/");
            node.apply(config.build());
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String url = node.url();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(url + "/slow?ms=800")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(200);

            CompletableFuture<Void> stopped = CompletableFuture.runAsync(node::close);
            Thread.sleep(200);

            assertThat(node.portico().ready()).isFalse();
            HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            assertThatThrownBy(() -> fresh.send(HttpRequest.newBuilder(URI.create(url + "/echo")).build(),
                    HttpResponse.BodyHandlers.discarding())).isInstanceOf(ConnectException.class);
            HttpResponse<String> response = inFlight.get(10, TimeUnit.SECONDS);
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.body()).isEqualTo("slow draining");
            stopped.get(30, TimeUnit.SECONDS);
        }
    }
}

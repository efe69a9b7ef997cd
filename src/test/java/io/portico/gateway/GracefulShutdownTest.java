package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

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

    @Test
    void cutOffRequestLogsNoStatus() throws Exception {
        Logger accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
        Level previous = accessLogger.getLevel();
        // The test logging configuration turns the access log off, so this test turns it on.
        accessLogger.setLevel(Level.INFO);
        try (TestUpstream upstream = TestUpstream.start("held");
             LogCapture log = new LogCapture("portico.access")) {
            TestNode node = TestNode.start(Map.of("drainTimeout", "200ms"));
            Configs config = Configs.document();
            config.service("app", upstream.port());
            config.route("app", "app", "/");
            node.apply(config.build());
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(
                    HttpRequest.newBuilder(URI.create(node.url() + "/hold")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Conditions.eventually("the upstream holds the request", () -> upstream.requests("/hold") == 1);

            node.close();

            assertThatThrownBy(() -> inFlight.get(30, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class);
            Conditions.eventually("the access log line is written", () -> log.messages(Level.INFO).stream()
                    .anyMatch(line -> line.contains(" path=/hold ")));
            String line = log.messages(Level.INFO).stream()
                    .filter(message -> message.contains(" path=/hold ")).findFirst().orElseThrow();
            assertThat(line).contains(" status=- ");
            assertThat(line).contains(" bytes=0 ");
            assertThat(line).endsWith(" aborted=true");
        } finally {
            accessLogger.setLevel(previous);
        }
    }
}

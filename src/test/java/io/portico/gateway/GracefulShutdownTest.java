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
import java.io.IOException;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.slf4j.LoggerFactory;

/** Stopping a node drains requests in flight and refuses new connections. */
class GracefulShutdownTest {

    private final Logger accessLogger = (Logger) LoggerFactory.getLogger("portico.access");
    private Level accessLevel;

    @BeforeEach
    void enableAccessLog() {
        accessLevel = accessLogger.getLevel();
        // The test logging configuration turns the access log off, so these tests turn it on.
        accessLogger.setLevel(Level.INFO);
    }

    @AfterEach
    void restoreAccessLog() {
        accessLogger.setLevel(accessLevel);
    }

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
            String line = accessLine(log, "/hold");
            assertThat(line).contains(" status=- ");
            assertThat(line).contains(" bytes=0 ");
            assertThat(line).endsWith(" aborted=true");
        }
    }

    /**
     * At the drain deadline the node closes the client connections and then its upstream clients, but a connection's
     * close can reach the exchange after the upstream clients have failed its attempt. Closing the upstream clients
     * first makes that order certain. The request is then cut off like one whose connection closed first: it gets
     * no retry and no problem response, and no upstream client sends it again. Both kinds of upstream client are
     * covered: Portico's HTTP/1.1 client and, for a service that speaks HTTP/2, Vert.x's.
     */
    @ParameterizedTest(name = "http2={0}")
    @ValueSource(booleans = {false, true})
    void closedUpstreamClientsCutOffRequest(boolean http2) throws Exception {
        try (TestUpstream upstream = TestUpstream.start("held");
             LogCapture log = new LogCapture("portico.access")) {
            TestNode node = startProxy(upstream, http2);
            try {
                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                // A first request leaves a kept-alive upstream connection for the held request to reuse.
                HttpResponse<String> first = client.send(HttpRequest.newBuilder(URI.create(node.url() + "/echo"))
                        .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(first.statusCode()).as("status of the first request").isEqualTo(200);
                CompletableFuture<HttpResponse<String>> inFlight = client.sendAsync(HttpRequest.newBuilder(
                        URI.create(node.url() + "/hold")).timeout(Duration.ofSeconds(30)).build(),
                        HttpResponse.BodyHandlers.ofString());
                Conditions.eventually("the upstream holds the request", () -> upstream.requests("/hold") == 1);

                node.portico().upstreams().close();

                assertThatThrownBy(() -> inFlight.get(30, TimeUnit.SECONDS))
                        .as("the client's request after the upstream clients closed")
                        .isInstanceOf(ExecutionException.class);
                String line = accessLine(log, "/hold");
                assertThat(line).contains(" status=- ");
                assertThat(line).contains(" bytes=0 ");
                assertThat(line).doesNotContain(" problem=");
                assertThat(line).endsWith(" aborted=true");
                assertThat(upstream.requests("/hold")).as("requests the upstream received").isEqualTo(1);
            } finally {
                node.close();
            }
        }
    }

    /**
     * A request that reaches the proxy after the upstream clients closed, because its connection's close has not
     * reached it yet, is cut off as well, in place of a 503 for a service that seems to be missing.
     */
    @Test
    void requestAfterUpstreamsClosedIsCutOff() throws Exception {
        try (TestUpstream upstream = TestUpstream.start("closed");
             LogCapture log = new LogCapture("portico.access")) {
            TestNode node = startProxy(upstream, false);
            try {
                node.portico().upstreams().close();

                HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
                HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/echo"))
                        .timeout(Duration.ofSeconds(30)).build();
                assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
                        .as("the client's request after the upstream clients closed")
                        .isInstanceOf(IOException.class);
                String line = accessLine(log, "/echo");
                assertThat(line).contains(" status=- ");
                assertThat(line).contains(" bytes=0 ");
                assertThat(line).doesNotContain(" problem=");
                assertThat(line).endsWith(" aborted=true");
                assertThat(upstream.requests("/echo")).as("requests the upstream received").isZero();
            } finally {
                node.close();
            }
        }
    }

    /** Starts a node whose route sends every path to {@code upstream}, over HTTP/2 when {@code http2}. */
    private static TestNode startProxy(TestUpstream upstream, boolean http2) {
        TestNode node = TestNode.start(Map.of("drainTimeout", "200ms"));
        Configs config = Configs.document();
        config.service("app", upstream.port()).putObject("pool").put("http2", http2);
        config.route("app", "app", "/");
        node.apply(config.build());
        return node;
    }

    /** Waits for the access-log line of the request for {@code path} and returns it. */
    private static String accessLine(LogCapture log, String path) {
        return log.awaitMessage(Level.INFO, " path=" + path + " ");
    }
}

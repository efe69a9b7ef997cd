package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 upstreams that refuse streams without processing them, through a real node under concurrent load: servers
 * that close each connection with a graceful GOAWAY after a number of requests, as nginx does after
 * {@code keepalive_requests}, above and far below the concurrent requests, and servers that reset streams with
 * REFUSED_STREAM. RFC 9113 sections 6.8 and 8.7 make
 * such requests safe to send again, whatever their method, so each must reach the application exactly once and the
 * target must stay healthy.
 */
class Http2RefusedStreamTest {

    private static final int REQUESTS = 300;
    private static final int CLIENT_CONNECTIONS = 32;
    /** Requests after which the GOAWAY upstream sends GOAWAY on a connection, more than the concurrent requests. */
    private static final int REQUESTS_PER_CONNECTION = 64;
    /** Requests after which the early GOAWAY upstream sends GOAWAY on a connection, far below the concurrency. */
    private static final int FEW_REQUESTS_PER_CONNECTION = 4;
    private static final long CLOSE_AFTER_GO_AWAY_MILLIS = 1_000;
    /** HTTP/2 error code REFUSED_STREAM (RFC 9113 section 7). */
    private static final long REFUSED_STREAM = 0x7;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static Vertx vertx;
    private static Upstream goAway;
    private static Upstream goAwayEarly;
    private static Upstream refusingSome;
    private static Upstream refusingAll;
    private static TestNode node;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        goAway = Upstream.start(vertx, Behaviour.GO_AWAY_AFTER_REQUESTS);
        goAwayEarly = Upstream.start(vertx, Behaviour.GO_AWAY_AFTER_FEW_REQUESTS);
        refusingSome = Upstream.start(vertx, Behaviour.REFUSE_FIRST_OF_EVERY_THIRD);
        refusingAll = Upstream.start(vertx, Behaviour.REFUSE_ALL);
        node = TestNode.start();
        Configs config = Configs.document();
        service(config, "goaway", goAway);
        service(config, "goaway-early", goAwayEarly);
        service(config, "refusing", refusingSome);
        service(config, "buffered", refusingSome);
        service(config, "streamed", refusingSome);
        service(config, "refusing-all", refusingAll).putObject("circuitBreaker").put("minimumCalls", 2);
        for (String name : List.of("goaway", "goaway-early", "refusing", "streamed", "refusing-all")) {
            config.route(name, name, "/" + name).put("stripPrefix", true);
        }
        config.route("buffered", "buffered", "/buffered").put("stripPrefix", true)
                .putArray("policies").addObject().put("name", "buffer-body");
        node.apply(config.build());
    }

    /**
     * Adds an HTTP/2 service with {@code upstream} as its only target and passive health checks; returns the service
     * for more settings.
     */
    private static ObjectNode service(Configs config, String name, Upstream upstream) {
        ObjectNode service = config.service(name, upstream.port());
        service.putObject("pool").put("http2", true);
        service.putObject("healthCheck").putObject("passive").put("unhealthyThreshold", 3).put("recovery", "60s");
        return service;
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @Test
    void goAwayUnderLoadIsResent() {
        List<Result> results = sendAll("/goaway/r/", "GET", false);

        assertThat(failed(results)).as("responses other than 200").isEmpty();
        assertThat(goAway.arrivals("/r/")).as("arrivals of each request").hasSize(REQUESTS)
                .allSatisfy((path, count) -> assertThat(count).as("arrivals of %s", path).isEqualTo(1));
        assertThat(goAway.connections()).as("upstream connections").isGreaterThan(REQUESTS / REQUESTS_PER_CONNECTION);
        JsonNode target = health("goaway");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
        assertThat(target.path("requests").asLong()).as("attempts, re-sends included, in %s", target)
                .isGreaterThan(REQUESTS);
    }

    @Test
    void goAwayFarBelowConcurrencyIsResent() {
        List<Result> gets = sendAll("/goaway-early/r/", "GET", false);
        // POSTs without a body, because the Netty HTTP/2 server of this upstream (4.2.9) closes the connection with
        // a PROTOCOL_ERROR when DATA arrives on a stream above the last stream id of its GOAWAY. That close fails the
        // streams below that id, which the upstream had processed.
        List<Result> posts = sendAll("/goaway-early/p/", "POST", false);

        assertThat(failed(gets)).as("responses other than 200 to GET").isEmpty();
        assertThat(failed(posts)).as("responses other than 200 to POST").isEmpty();
        for (String prefix : List.of("/r/", "/p/")) {
            assertThat(goAwayEarly.arrivals(prefix)).as("arrivals of each request to %s", prefix).hasSize(REQUESTS)
                    .allSatisfy((path, count) -> assertThat(count).as("arrivals of %s", path).isEqualTo(1));
        }
        assertThat(goAwayEarly.connections()).as("upstream connections")
                .isGreaterThanOrEqualTo(2 * REQUESTS / FEW_REQUESTS_PER_CONNECTION);
        JsonNode target = health("goaway-early");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
    }

    @Test
    void refusedStreamsUnderLoadAreResent() {
        List<Result> results = sendAll("/refusing/r/", "GET", false);

        assertThat(failed(results)).as("responses other than 200").isEmpty();
        assertRefusedOnceThenProcessed("/r/");
        JsonNode target = health("refusing");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
        assertThat(target.path("requests").asLong()).as("attempts, re-sends included, in %s", target)
                .isEqualTo(REQUESTS + REQUESTS / 3);
    }

    @Test
    void bufferedPostIsResent() {
        List<Result> results = sendAll("/buffered/p/", "POST", true);

        assertThat(failed(results)).as("responses other than 200").isEmpty();
        for (Result result : results) {
            assertThat(result.body()).as("body echoed for %s", result.path()).isEqualTo(body(result.path()));
        }
        assertRefusedOnceThenProcessed("/p/");
        JsonNode target = health("buffered");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
    }

    @Test
    void smallDeclaredPostIsResent() {
        List<Result> results = sendAll("/streamed/q/", "POST", true);

        assertThat(failed(results)).as("responses other than 200").isEmpty();
        for (Result result : results) {
            assertThat(result.body()).as("body echoed for %s", result.path()).isEqualTo(body(result.path()));
        }
        assertRefusedOnceThenProcessed("/q/");
        JsonNode target = health("streamed");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
    }

    @Test
    void chunkedPostIsNotResent() {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/streamed/s/0"))
                .timeout(Duration.ofSeconds(20))
                // A publisher without a known length makes the client send the body chunked.
                .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofString("streamed body")))
                .build();

        HttpResponse<String> response = send(request);

        JsonNode problem = assertProblem(response, 502, "upstream-unavailable");
        assertThat(problem.path("detail").asText()).contains("refused");
        assertThat(refusingSome.arrivals("/s/")).containsExactly(Map.entry("/s/0", 1));
        JsonNode target = health("streamed");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
    }

    @Test
    void largeDeclaredPostIsNotResent() {
        String body = "x".repeat(64 * 1024 + 1);

        HttpResponse<String> response = GatewayClient.post(node, "/streamed/l/0", body);

        JsonNode problem = assertProblem(response, 502, "upstream-unavailable");
        assertThat(problem.path("detail").asText()).contains("refused");
        assertThat(refusingSome.arrivals("/l/")).containsExactly(Map.entry("/l/0", 1));
    }

    @Test
    void refusingEveryStreamEndsAfterTwoResends() {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = GatewayClient.get(node, "/refusing-all/r/" + i);

            JsonNode problem = assertProblem(response, 502, "upstream-unavailable");
            assertThat(problem.path("detail").asText()).contains("refused");
            assertThat(refusingAll.arrivals("/r/" + i)).as("arrivals of request %d", i)
                    .containsExactly(Map.entry("/r/" + i, 3));
        }
        JsonNode target = health("refusing-all");
        assertThat(target.path("healthy").asBoolean()).as("healthy in %s", target).isTrue();
        assertThat(target.path("failures").asLong()).as("failures in %s", target).isZero();
        assertThat(target.at("/circuitBreaker/state").asText()).as("breaker in %s", target).isEqualTo("closed");
        assertThat(target.at("/circuitBreaker/failures").asLong()).as("breaker in %s", target).isZero();
    }

    /**
     * Checks that each request to {@code prefix} reached {@code refusingSome} once, or twice when it was refused the
     * first time, and got exactly one response.
     */
    private static void assertRefusedOnceThenProcessed(String prefix) {
        assertThat(refusingSome.arrivals(prefix)).as("arrivals of each request").hasSize(REQUESTS)
                .allSatisfy((path, count) -> assertThat(count).as("arrivals of %s", path)
                        .isEqualTo(Behaviour.refusedOnce(path) ? 2 : 1));
        assertThat(refusingSome.responses(prefix)).as("responses to each request").hasSize(REQUESTS)
                .allSatisfy((path, count) -> assertThat(count).as("responses to %s", path).isEqualTo(1));
    }

    private static JsonNode health(String service) {
        return node.admin("GET", "/admin/v1/services/" + service + "/health", null, 200).at("/targets/0");
    }

    private static String body(String path) {
        return "body of " + path;
    }

    /**
     * Sends {@value #REQUESTS} requests to {@code prefix} followed by their number, from
     * {@value #CLIENT_CONNECTIONS} threads that each send one request at a time on a kept-alive connection.
     */
    private static List<Result> sendAll(String prefix, String method, boolean withBody) {
        ExecutorService threads = Executors.newFixedThreadPool(CLIENT_CONNECTIONS);
        try {
            List<Future<Result>> sent = new ArrayList<>();
            for (int i = 0; i < REQUESTS; i++) {
                String path = prefix + i;
                sent.add(threads.submit(() -> send(path, method, withBody)));
            }
            List<Result> results = new ArrayList<>();
            for (Future<Result> result : sent) {
                results.add(result.get(60, TimeUnit.SECONDS));
            }
            return results;
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("the requests did not complete", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the responses", e);
        } finally {
            threads.shutdownNow();
        }
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Result send(String path, String method, boolean withBody) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(20))
                .method(method, withBody ? HttpRequest.BodyPublishers.ofString(body(path))
                        : HttpRequest.BodyPublishers.noBody())
                .build();
        try {
            HttpResponse<String> response = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Result(path, response.statusCode(), response.body());
        } catch (IOException e) {
            return new Result(path, -1, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(path, -1, e.toString());
        }
    }

    private static List<Result> failed(List<Result> results) {
        return results.stream().filter(result -> result.status() != 200).toList();
    }

    /** One response as the client received it; status -1 when the request failed, with the failure as body. */
    private record Result(String path, int status, String body) {
    }

    /** How an {@link Upstream} treats the streams that reach it. */
    private enum Behaviour {
        /**
         * Sends GOAWAY on each connection after {@value #REQUESTS_PER_CONNECTION} requests, and closes the connection
         * {@value #CLOSE_AFTER_GO_AWAY_MILLIS} ms later.
         */
        GO_AWAY_AFTER_REQUESTS,
        /** Sends GOAWAY like {@link #GO_AWAY_AFTER_REQUESTS}, after {@value #FEW_REQUESTS_PER_CONNECTION} requests. */
        GO_AWAY_AFTER_FEW_REQUESTS,
        /** Resets the first stream of each request whose number is a multiple of 3 with REFUSED_STREAM. */
        REFUSE_FIRST_OF_EVERY_THIRD,
        /** Resets every stream with REFUSED_STREAM. */
        REFUSE_ALL;

        /** Returns whether {@link #REFUSE_FIRST_OF_EVERY_THIRD} refuses the first arrival of {@code path}. */
        static boolean refusedOnce(String path) {
            return Integer.parseInt(path.substring(path.lastIndexOf('/') + 1)) % 3 == 0;
        }
    }

    /**
     * An h2c upstream (HTTP/2 with prior knowledge) on 127.0.0.1. It counts, by path, the streams that reached its
     * request handler and the responses it completed, and responds after 2 ms with the request body, or {@code ok}
     * when there is none.
     */
    private static final class Upstream {

        private final Vertx vertx;
        private final Behaviour behaviour;
        private final Map<String, AtomicInteger> arrivals = new ConcurrentHashMap<>();
        private final Map<String, AtomicInteger> responses = new ConcurrentHashMap<>();
        private final Map<HttpConnection, AtomicInteger> requestsByConnection = new ConcurrentHashMap<>();
        private final Set<HttpConnection> shutDown = ConcurrentHashMap.newKeySet();
        private HttpServer server;

        private Upstream(Vertx vertx, Behaviour behaviour) {
            this.vertx = vertx;
            this.behaviour = behaviour;
        }

        static Upstream start(Vertx vertx, Behaviour behaviour) {
            Upstream upstream = new Upstream(vertx, behaviour);
            upstream.server = vertx.createHttpServer(new HttpServerOptions().setHost("127.0.0.1"))
                    .requestHandler(upstream::handle);
            upstream.server.listen(0).await();
            return upstream;
        }

        int port() {
            return server.actualPort();
        }

        /** Returns the number of connections that reached the request handler. */
        int connections() {
            return requestsByConnection.size();
        }

        /** Returns how many streams with a path that starts with {@code prefix} reached the request handler. */
        Map<String, Integer> arrivals(String prefix) {
            return counts(arrivals, prefix);
        }

        /** Returns how many responses to paths that start with {@code prefix} were completed. */
        Map<String, Integer> responses(String prefix) {
            return counts(responses, prefix);
        }

        private static Map<String, Integer> counts(Map<String, AtomicInteger> counts, String prefix) {
            Map<String, Integer> matching = new TreeMap<>();
            counts.forEach((path, count) -> {
                if (path.startsWith(prefix)) {
                    matching.put(path, count.get());
                }
            });
            return matching;
        }

        private void handle(HttpServerRequest request) {
            String path = request.path();
            int arrival = arrivals.computeIfAbsent(path, key -> new AtomicInteger()).incrementAndGet();
            HttpConnection connection = request.connection();
            int onConnection = requestsByConnection.computeIfAbsent(connection, key -> new AtomicInteger())
                    .incrementAndGet();
            boolean refuse = switch (behaviour) {
                case GO_AWAY_AFTER_REQUESTS, GO_AWAY_AFTER_FEW_REQUESTS -> false;
                case REFUSE_FIRST_OF_EVERY_THIRD -> arrival == 1 && Behaviour.refusedOnce(path);
                case REFUSE_ALL -> true;
            };
            if (refuse) {
                request.response().reset(REFUSED_STREAM);
                return;
            }
            int goAwayAfter = switch (behaviour) {
                case GO_AWAY_AFTER_REQUESTS -> REQUESTS_PER_CONNECTION;
                case GO_AWAY_AFTER_FEW_REQUESTS -> FEW_REQUESTS_PER_CONNECTION;
                default -> Integer.MAX_VALUE;
            };
            if (onConnection >= goAwayAfter && shutDown.add(connection)) {
                // GOAWAY with the highest stream that reached this handler. Vert.x's shutdown would close the
                // connection as soon as those streams end and reset it while the client still sends, so the close
                // comes a while later, once the client has read the GOAWAY, as nginx's lingering close does.
                connection.goAway(0);
                vertx.setTimer(CLOSE_AFTER_GO_AWAY_MILLIS, id -> connection.close());
            }
            request.body().onSuccess(body -> vertx.setTimer(2, id ->
                    request.response().end(body.length() == 0 ? Buffer.buffer("ok") : body)
                            .onSuccess(ended -> responses.computeIfAbsent(path, key -> new AtomicInteger())
                                    .incrementAndGet())));
        }
    }
}

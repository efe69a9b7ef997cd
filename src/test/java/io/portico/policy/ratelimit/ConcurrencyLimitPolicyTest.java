package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The concurrency-limit policy on a real node: slots, queueing, timeouts, and slots returned on every ending. */
class ConcurrencyLimitPolicyTest {

    private static final int SEQUENTIAL_REQUESTS = 2000;
    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("concurrency");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.service("other", upstream.port());
        config.service("closed", ClosedPorts.reserve());
        limited(config.route("immediate", "app", "/immediate"), 2, null, 0, null);
        limited(config.route("queued", "app", "/queued"), 1, null, 1, "10s");
        limited(config.route("short", "app", "/short"), 1, null, 1, "300ms");
        limited(config.route("abort", "app", "/abort"), 1, null, 1, "10s");
        limited(config.route("failing", "closed", "/failing"), 1, null, 0, null);
        limited(config.route("consumers", "app", "/consumers"), 1, "consumer", 0, null);
        limited(config.route("service-a", "other", "/service-a"), 1, "service", 0, null);
        limited(config.route("service-b", "other", "/service-b"), 1, "service", 0, null);
        limited(config.route("sequential", "app", "/sequential"), 1, null, 0, null);
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @AfterEach
    void releaseHeld() {
        upstream.releaseHeld();
    }

    @Test
    void requestBeyondMaxIsRejectedAtOnce() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = holdRequests("/immediate/hold", 2);

        HttpResponse<String> rejected = get("/immediate/status/200", Map.of());
        JsonNode problem = Json.MAPPER.readTree(rejected.body());
        upstream.releaseHeld();
        List<Integer> heldStatuses = statuses(held);
        HttpResponse<String> afterwards = get("/immediate/status/200", Map.of());

        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(problem.get("type").asText()).isEqualTo("https://portico.dev/problems/concurrency-limited");
        assertThat(problem.get("detail").asText()).isEqualTo("at most 2 requests may be in progress here at once");
        assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(heldStatuses).containsExactly(200, 200);
        assertThat(afterwards.statusCode()).isEqualTo(200);
    }

    @Test
    void singleSlotDetailIsSingular() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> held = holdRequests("/service-a/hold", 1);

        HttpResponse<String> rejected = get("/service-b/status/200", Map.of());
        upstream.releaseHeld();
        statuses(held);

        assertThat(rejected.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(rejected.body()).get("detail").asText())
                .isEqualTo("at most 1 request may be in progress here at once");
    }

    @Test
    void queuedRequestGetsSlotWhenOneEnds() throws Exception {
        CompletableFuture<HttpResponse<String>> first = holdRequests("/queued/hold", 1).get(0);
        CompletableFuture<HttpResponse<String>> second = send("/queued/status/201", Map.of());
        Thread.sleep(200);

        HttpResponse<String> queueFull = get("/queued/status/200", Map.of());
        boolean secondWaited = !second.isDone();
        upstream.releaseHeld();

        assertThat(queueFull.statusCode()).isEqualTo(503);
        // The queue timeout: by then the request waiting now has got its slot or given up.
        assertThat(queueFull.headers().firstValue("Retry-After")).hasValue("10");
        assertThat(secondWaited).isTrue();
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    }

    @Test
    void queuedRequestTimesOut() throws Exception {
        holdRequests("/short/hold", 1);

        long start = System.nanoTime();
        HttpResponse<String> timedOut = get("/short/status/200", Map.of());
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(timedOut.statusCode()).isEqualTo(503);
        assertThat(Json.MAPPER.readTree(timedOut.body()).get("detail").asText()).contains("300 ms");
        assertThat(timedOut.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(millis).isBetween(250L, 5000L);
    }

    @Test
    void clientAbortReturnsSlot() throws Exception {
        int before = upstream.requests("/hold");
        try (Socket socket = rawRequest("/abort/hold")) {
            Conditions.eventually("the aborted request reached the upstream", () ->
                    upstream.requests("/hold") == before + 1);
        }

        Conditions.eventually("the slot of the aborted request is free", () -> {
            try {
                return get("/abort/status/200", Map.of()).statusCode() == 200;
            } catch (Exception e) {
                return false;
            }
        });
    }

    @Test
    void clientAbortLeavesQueue() throws Exception {
        CompletableFuture<HttpResponse<String>> first = holdRequests("/abort/hold", 1).get(0);
        try (Socket queued = rawRequest("/abort/status/202")) {
            Thread.sleep(200);
        }
        Thread.sleep(200);

        CompletableFuture<HttpResponse<String>> second = send("/abort/status/201", Map.of());
        Thread.sleep(200);
        boolean secondWaited = !second.isDone();
        upstream.releaseHeld();

        assertThat(secondWaited).as("the queue had room again").isTrue();
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(201);
    }

    @Test
    void upstreamFailureReturnsSlot() throws Exception {
        for (int i = 0; i < 5; i++) {
            HttpResponse<String> response = get("/failing", Map.of());
            assertThat(response.statusCode()).as("request %d", i).isIn(502, 503);
        }

        // The slot is returned just after the response is written, so the next request may still find it taken
        // for a moment. While a slot is never returned, every request gets concurrency-limited. Passive health
        // checks may take the closed target out after a few failures, and the response is then 503 of another type.
        Conditions.eventually("the failed requests returned their slot",
                () -> !send("/failing", Map.of()).join().body().contains("concurrency-limited"));
    }

    @Test
    void consumersHaveSlotsOfTheirOwn() throws Exception {
        HttpRequest alice = HttpRequest.newBuilder(URI.create(node.url() + "/consumers/hold"))
                .header("X-Test-Consumer", "alice").build();
        int before = upstream.requests("/hold");
        CompletableFuture<HttpResponse<String>> held = CLIENT.sendAsync(alice, HttpResponse.BodyHandlers.ofString());
        Conditions.eventually("alice's request is in flight", () -> upstream.requests("/hold") == before + 1);

        int aliceAgain = get("/consumers/status/200", Map.of("X-Test-Consumer", "alice")).statusCode();
        int bob = get("/consumers/status/200", Map.of("X-Test-Consumer", "bob")).statusCode();
        upstream.releaseHeld();

        assertThat(aliceAgain).isEqualTo(503);
        assertThat(bob).isEqualTo(200);
        assertThat(held.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }

    @Test
    void serviceKeySharesSlotsAcrossRoutes() throws Exception {
        holdRequests("/service-a/hold", 1);

        int otherRoute = get("/service-b/status/200", Map.of()).statusCode();

        assertThat(otherRoute).isEqualTo(503);
    }

    /**
     * Sends requests one after another, each after the previous response was read in full, over several kept-alive
     * connections in turn, so that consecutive requests are handled on different event loops. Every third request
     * is a HEAD request, whose response ends with its head.
     */
    @Test
    void sequentialRequestsNeverFindSlotTaken() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        List<Integer> statuses = new ArrayList<>();
        try {
            for (int i = 0; i < 4; i++) {
                Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.portico().httpPort());
                socket.setSoTimeout(10_000);
                sockets.add(socket);
            }
            for (int i = 0; i < SEQUENTIAL_REQUESTS; i++) {
                String method = i % 3 == 2 ? "HEAD" : "GET";
                statuses.add(exchange(sockets.get(i % sockets.size()), method, "/sequential/status/200"));
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }

        List<String> failed = new ArrayList<>();
        for (int i = 0; i < statuses.size(); i++) {
            if (statuses.get(i) != 200) {
                failed.add("request " + i + ": " + statuses.get(i));
            }
        }
        assertThat(statuses).hasSize(SEQUENTIAL_REQUESTS);
        assertThat(failed).isEmpty();
    }

    @Test
    void invalidConfigurationIsRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "bad").put("service", "app");
        route.putArray("paths").add("/bad");
        route.putArray("policies").addObject().put("name", "concurrency-limit").putObject("config")
                .put("max", 0).put("key", "planet").put("queue", -1).put("queueTimeout", "forever");

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        List<String> fields = new ArrayList<>();
        problem.get("errors").forEach(error -> fields.add(error.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("policies[0].config.max", "policies[0].config.key",
                "policies[0].config.queue", "policies[0].config.queueTimeout");
        assertThat(problem.get("errors").get(fields.indexOf("policies[0].config.max")).get("message").asText())
                .startsWith("must be a whole number from 1 to");
    }

    /** Sends {@code count} requests that the upstream holds, and waits until all reached it. */
    private static List<CompletableFuture<HttpResponse<String>>> holdRequests(String path, int count) {
        int before = upstream.requests("/hold");
        List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            held.add(send(path, Map.of()));
        }
        Conditions.eventually(count + " requests are in flight", () -> upstream.requests("/hold") == before + count);
        return held;
    }

    private static List<Integer> statuses(List<CompletableFuture<HttpResponse<String>>> responses) throws Exception {
        List<Integer> statuses = new ArrayList<>();
        for (CompletableFuture<HttpResponse<String>> response : responses) {
            statuses.add(response.get(10, TimeUnit.SECONDS).statusCode());
        }
        return statuses;
    }

    /** Opens a connection and sends a GET of {@code path}; closing the socket aborts the request. */
    private static Socket rawRequest(String path) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), node.portico().httpPort());
        OutputStream out = socket.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static CompletableFuture<HttpResponse<String>> send(String path, Map<String, String> headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        headers.forEach(request::header);
        return CLIENT.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpResponse<String> get(String path, Map<String, String> headers) throws Exception {
        return send(path, headers).get(10, TimeUnit.SECONDS);
    }

    /** Sends a request on {@code socket}, reads the whole response and returns its status. */
    private static int exchange(Socket socket, String method, String path) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write((method + " " + path + " HTTP/1.1\r\nHost: test\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        InputStream in = socket.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int read = in.read();
            if (read < 0) {
                throw new EOFException("connection closed after " + head);
            }
            head.append((char) read);
        }
        long length = 0;
        for (String line : method.equals("HEAD") ? new String[0] : head.toString().split("\r\n")) {
            if (line.regionMatches(true, 0, "content-length:", 0, "content-length:".length())) {
                length = Long.parseLong(line.substring("content-length:".length()).trim());
            }
        }
        for (long i = 0; i < length; i++) {
            if (in.read() < 0) {
                throw new EOFException("connection closed in the body of " + head);
            }
        }
        return Integer.parseInt(head.substring(9, 12));
    }

    private static void limited(ObjectNode route, int max, String key, int queue, String queueTimeout) {
        route.put("stripPrefix", true);
        var policies = route.putArray("policies");
        policies.addObject().put("name", "header-identity");
        ObjectNode config = policies.addObject().put("name", "concurrency-limit").putObject("config").put("max", max)
                .put("queue", queue);
        if (key != null) {
            config.put("key", key);
        }
        if (queueTimeout != null) {
            config.put("queueTimeout", queueTimeout);
        }
    }
}

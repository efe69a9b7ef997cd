package io.portico.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.Portico;
import io.portico.config.Json;
import io.portico.node.NodeConfig;
import io.portico.node.NodeConfigLoader;
import io.portico.store.crypto.MasterKeys;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A real Portico node for tests: every listener on 127.0.0.1 with an ephemeral port, a temporary data
 * directory, and a known admin token. Configuration goes in through the real admin API.
 */
public final class TestNode implements AutoCloseable {

    public static final String TOKEN = "test-admin-token-0123456789";
    /**
     * System property that sets the node setting {@code transport} of every test node whose test does not set it,
     * so the suite can run on one transport: {@code mvn verify -Dportico.test.transport=io_uring}.
     */
    public static final String TRANSPORT_PROPERTY = "portico.test.transport";
    /** Maximum wait for the response to an admin request, unless the caller gives another. */
    private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

    private final Portico portico;
    private final Path dataDirectory;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestNode(Portico portico, Path dataDirectory) {
        this.portico = portico;
        this.dataDirectory = dataDirectory;
    }

    /** Starts a node on the embedded H2 store. */
    public static TestNode start() {
        return start(Map.of());
    }

    /** Starts a node with extra settings, given as dotted paths such as {@code store.url}. */
    public static TestNode start(Map<String, String> settings) {
        return start(null, settings);
    }

    /**
     * Starts a node that reads the node settings file {@code nodeFile} first, for settings such as lists that
     * dotted paths cannot express. The test listeners, data directory and {@code settings} take precedence over
     * the file.
     */
    public static TestNode start(Path nodeFile, Map<String, String> settings) {
        try {
            Path data = Files.createTempDirectory("portico-test-");
            Map<String, String> overrides = new HashMap<>();
            overrides.put("http.host", "127.0.0.1");
            overrides.put("http.port", "0");
            overrides.put("https.host", "127.0.0.1");
            overrides.put("https.port", "0");
            overrides.put("admin.port", "0");
            overrides.put("dataDirectory", data.toString());
            overrides.put("drainTimeout", "5s");
            String transport = System.getProperty(TRANSPORT_PROPERTY, "");
            if (!transport.isBlank()) {
                overrides.put("transport", transport);
            }
            overrides.putAll(settings);
            NodeConfig node = NodeConfigLoader.load(nodeFile, Map.of(), overrides);
            Portico portico = Portico.start(node, Map.of("PORTICO_ADMIN_TOKEN", TOKEN,
                            MasterKeys.ENV_VAR, TestKeys.MASTER_KEY))
                    .toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
            return new TestNode(portico, data);
        } catch (Exception e) {
            throw new IllegalStateException("Portico failed to start", e);
        }
    }

    public Portico portico() {
        return portico;
    }

    /** Base URL of the HTTP listener, without a trailing slash. */
    public String url() {
        return "http://127.0.0.1:" + portico.httpPort();
    }

    public String httpsUrl() {
        return "https://127.0.0.1:" + portico.httpsPort();
    }

    public String adminUrl() {
        return "http://127.0.0.1:" + portico.adminPort();
    }

    /**
     * Replaces the whole configuration through {@code POST /admin/v1/config/apply}.
     *
     * @return the response body
     */
    public JsonNode apply(ObjectNode document) {
        return admin("POST", "/admin/v1/config/apply", document, 200);
    }

    /**
     * Replaces the whole configuration like {@link #apply(ObjectNode)}, but waits up to {@code timeout} for the
     * response instead of 30 seconds. Tests with thousands of routes use it, because the admin API responds only
     * after it has validated, stored and compiled them, which can take longer than that on a loaded machine.
     *
     * @return the response body
     */
    public JsonNode apply(ObjectNode document, Duration timeout) {
        String path = "/admin/v1/config/apply";
        return checkAndParse("POST", path, adminRaw("POST", path, document, Map.of(), timeout), 200);
    }

    /** Sends an admin request with the node's token and checks the status. */
    public JsonNode admin(String method, String path, JsonNode body, int expectedStatus) {
        return checkAndParse(method, path, adminRaw(method, path, body), expectedStatus);
    }

    private static JsonNode checkAndParse(String method, String path, HttpResponse<String> response,
                                          int expectedStatus) {
        if (response.statusCode() != expectedStatus) {
            throw new AssertionError(method + " " + path + " returned " + response.statusCode() + ", expected "
                    + expectedStatus + ": " + response.body());
        }
        try {
            return response.body().isEmpty() ? null : Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("invalid JSON from " + path + ": " + response.body(), e);
        }
    }

    /** Sends an admin request with the node's token and returns the raw response. */
    public HttpResponse<String> adminRaw(String method, String path, JsonNode body) {
        return adminRaw(method, path, body, Map.of());
    }

    /** Sends an admin request with the node's token and extra {@code headers}, and returns the raw response. */
    public HttpResponse<String> adminRaw(String method, String path, JsonNode body, Map<String, String> headers) {
        return adminRaw(method, path, body, headers, ADMIN_TIMEOUT);
    }

    private HttpResponse<String> adminRaw(String method, String path, JsonNode body, Map<String, String> headers,
                                          Duration timeout) {
        HttpRequest.BodyPublisher publisher = body == null
                ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body.toString());
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(adminUrl() + path))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .method(method, publisher)
                .timeout(timeout);
        headers.forEach(builder::header);
        return send(builder.build(), method, path);
    }

    /**
     * Sends an admin request with exactly {@code headers}, given as name, value pairs, and no credentials or
     * {@code Content-Type} of its own, for tests that act as another user or as a browser.
     *
     * @param body the request body, or null for none
     */
    public HttpResponse<String> adminRequest(String method, String path, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(adminUrl() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body))
                .timeout(ADMIN_TIMEOUT);
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return send(builder.build(), method, path);
    }

    private HttpResponse<String> send(HttpRequest request, String method, String path) {
        try {
            return http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("admin request " + method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            portico.stop().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            // The threads show which step of the stop did not finish.
            System.err.println("Portico did not stop within 30 s; threads:");
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                System.err.println(thread + " " + thread.getState());
                for (StackTraceElement frame : stack) {
                    System.err.println("    at " + frame);
                }
            });
            throw new IllegalStateException("Portico failed to stop", e);
        } catch (Exception e) {
            throw new IllegalStateException("Portico failed to stop", e);
        } finally {
            deleteQuietly(dataDirectory);
        }
    }

    private static void deleteQuietly(Path directory) {
        try (var paths = Files.walk(directory)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            System.err.println("Could not delete " + directory + ": " + e);
        }
    }
}

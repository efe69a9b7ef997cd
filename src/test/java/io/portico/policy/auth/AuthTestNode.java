package io.portico.policy.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A real node and a real echo upstream for authentication tests: team {@code payments}, consumer {@code alice},
 * one route per call of {@link #route}, and helpers to create credentials and send requests.
 */
public final class AuthTestNode implements AutoCloseable {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final TestUpstream upstream;
    private final TestNode node;
    private final Configs config = Configs.document();

    private AuthTestNode(TestNode node) {
        this.upstream = TestUpstream.start("authenticated");
        this.node = node;
        config.service("app", upstream.port());
        config.resource("teams", "payments");
        config.resource("consumers", "alice").put("team", "payments").putObject("labels").put("tier", "gold");
        config.route("open", "app", "/open");
    }

    /** Starts a node with the given node settings. */
    public static AuthTestNode start(Map<String, String> settings) {
        return new AuthTestNode(TestNode.start(settings));
    }

    public TestNode node() {
        return node;
    }

    /** Adds a route on {@code path} (prefix) with one policy of {@code type}; returns the policy's config. */
    public ObjectNode route(String name, String path, String type) {
        ObjectNode route = config.route(name, "app", path);
        return ((ArrayNode) route.putArray("policies")).addObject().put("name", type).putObject("config");
    }

    /** Returns the configuration document built so far, for resources beyond routes. */
    public Configs config() {
        return config;
    }

    /**
     * Applies the document built so far. Apply deletes what the document leaves out, so call it before creating
     * credentials through the admin API.
     */
    public void apply() {
        node.apply(config.build());
    }

    /** Number of requests the upstream received so far. */
    public int upstreamRequests() {
        return upstream.requests();
    }

    /** Creates a credential of {@code consumer} with {@code body} and returns the 201 response body. */
    public JsonNode createCredential(String consumer, ObjectNode body) {
        return node.admin("POST", "/admin/v1/consumers/" + consumer + "/credentials", body, 201);
    }

    /** Changes a resource with a JSON merge patch. */
    public JsonNode patch(String kind, String name, ObjectNode patch) {
        return node.admin("PATCH", "/admin/v1/" + kind + "/" + name, patch, 200);
    }

    /** Sends {@code GET path} with {@code headers} (name, value pairs) to the node's HTTP listener. */
    public HttpResponse<String> get(String path, String... headers) {
        return send(HttpRequest.newBuilder(URI.create(node.url() + path)).GET(), headers);
    }

    /** Sends {@code request} with {@code headers} (name, value pairs). */
    public static HttpResponse<String> send(HttpRequest.Builder request, String... headers) {
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        try {
            return CLIENT.send(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new IllegalStateException("request failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Parses an echo response of the upstream. */
    public static JsonNode echo(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("not JSON: " + response.body(), e);
        }
    }

    /** Returns the first value of {@code header} (lower-case) that the upstream received, or null. */
    public static String upstreamHeader(HttpResponse<String> response, String header) {
        JsonNode values = echo(response).path("headers").path(header);
        return values.isArray() && !values.isEmpty() ? values.get(0).asText() : null;
    }

    public static ObjectNode object() {
        return Json.MAPPER.createObjectNode();
    }

    @Override
    public void close() {
        node.close();
        upstream.close();
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.Json;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** Sends HTTP/1.1 requests to the HTTP listener of a test node and checks the problem documents it returns. */
final class GatewayClient {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private GatewayClient() {
    }

    /** Sends {@code GET path} with {@code headers}, given as name, value, name, value and so on. */
    static HttpResponse<String> get(TestNode node, String path, String... headers) {
        return send(request(node, path, headers).GET());
    }

    /** Sends {@code POST path} with a text body and {@code headers}, given as name, value pairs. */
    static HttpResponse<String> post(TestNode node, String path, String body, String... headers) {
        return send(request(node, path, headers).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    /** Sends {@code method path} without a body and with {@code headers}, given as name, value pairs. */
    static HttpResponse<String> send(TestNode node, String method, String path, String... headers) {
        return send(request(node, path, headers).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    /** Returns the {@code X-Upstream} header, the name of the test upstream that responded; empty when absent. */
    static String upstream(HttpResponse<String> response) {
        return response.headers().firstValue("X-Upstream").orElse("");
    }

    /** Checks that {@code response} is a gateway problem document with {@code status} and problem type slug. */
    static JsonNode assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as("status of %s", response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = json(response);
        assertThat(problem.path("type").asText()).isEqualTo("https://portico.dev/problems/" + type);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(response.body()).doesNotContain("Exception").doesNotContain("\tat ");
        return problem;
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("response body is not JSON: " + response.body(), e);
        }
    }

    private static HttpRequest.Builder request(TestNode node, String path, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(node.url() + path))
                .timeout(Duration.ofSeconds(20));
        for (int i = 0; i + 1 < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder;
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}

package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Forwarded paths that a route's {@code rewrite} produces, through a real node to an upstream that records every
 * request it receives: the admin API rejects a replacement whose literal text is not valid in a request path, and
 * the gateway responds with 400 without contacting the upstream when a group makes the rewritten path invalid.
 */
class RewriteTargetTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private static RecordingUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("recorder", upstream.port());
        // The group takes the first four characters after /cut/, which can end inside a percent-escape.
        config.route("cut", "recorder", "/cut").putObject("rewrite")
                .put("regex", "^/cut/(.{4}).*$").put("replacement", "/kept/$1");
        config.route("encoded", "recorder", "/encoded").putObject("rewrite")
                .put("regex", "^/encoded(.*)$").put("replacement", "/a%20b\\$$1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    @Test
    void invalidReplacementCharactersAreRejected() {
        List<String> replacements = List.of("/a b$1", "/a#frag$1", "/a?x=1$1", "/a\u0001$1", "/caf\u00e9$1",
                "/a\\\\b$1", "/a%zz$1", "/a%2$1", "/a%$1", "/a\t$1");
        for (String replacement : replacements) {
            HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes",
                    route("bad", "^/bad(.*)$", replacement));

            assertThat(response.statusCode()).as(replacement).isEqualTo(400);
            assertThat(response.headers().firstValue("Content-Type")).as(replacement)
                    .hasValue("application/problem+json");
            JsonNode errors = read(response).path("errors");
            assertThat(errors).as(replacement).hasSize(1);
            assertThat(errors.get(0).path("field").asText()).as(replacement).isEqualTo("rewrite.replacement");
            assertThat(errors.get(0).path("message").asText()).as(replacement)
                    .startsWith("must produce a valid request path");
        }
        assertThat(node.adminRaw("GET", "/admin/v1/routes/bad", null).statusCode()).isEqualTo(404);
    }

    @Test
    void validReplacementsAreAccepted() {
        List<String> replacements = List.of("/v2/$1", "$1", "/a%20b/${rest}", "/price/\\$/$1", "/~user;v=1/$1");
        for (int i = 0; i < replacements.size(); i++) {
            String name = "good-" + i;
            HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/routes",
                    route(name, "^/good(?<rest>.*)$", replacements.get(i)));

            assertThat(response.statusCode()).as(replacements.get(i)).isEqualTo(201);
            node.admin("DELETE", "/admin/v1/routes/" + name, null, 204);
        }
    }

    @Test
    void cutEscapeGets400WithoutUpstream() throws Exception {
        HttpResponse<String> response = get("/cut/ab%20cd");

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = Json.MAPPER.readTree(response.body());
        assertThat(problem.path("type").asText()).endsWith("/bad-request");
        assertThat(problem.path("detail").asText()).contains("route 'cut'").contains("'%'");
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void groupWithWholeEscapesIsForwarded() throws Exception {
        HttpResponse<String> response = get("/cut/a%20bcd?q=%3F");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        assertThat(upstream.requests().get(0).target()).isEqualTo("/kept/a%20?q=%3F");
    }

    @Test
    void literalEscapesAndDollarAreForwarded() throws Exception {
        HttpResponse<String> response = get("/encoded/x?y=1");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstream.requests()).hasSize(1);
        assertThat(upstream.requests().get(0).target()).isEqualTo("/a%20b$/x?y=1");
    }

    @Test
    void invalidHealthCheckPathIsRejected() {
        for (String path : List.of("/health check", "/health#x", "/health%", "/caf\u00e9")) {
            ObjectNode service = service("probe-" + path.length());
            service.putObject("healthCheck").putObject("active").put("path", path);

            HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/services", service);

            assertThat(response.statusCode()).as(path).isEqualTo(400);
            JsonNode errors = read(response).path("errors");
            assertThat(errors).as(path).hasSize(1);
            assertThat(errors.get(0).path("field").asText()).as(path).isEqualTo("healthCheck.active.path");
        }
        ObjectNode withQuery = service("probe-query");
        withQuery.putObject("healthCheck").putObject("active").put("path", "/health?full=1&x=%20");
        assertThat(node.adminRaw("POST", "/admin/v1/services", withQuery).statusCode()).isEqualTo(201);
    }

    private static ObjectNode route(String name, String regex, String replacement) {
        ObjectNode route = JsonNodeFactory.instance.objectNode().put("name", name).put("service", "recorder");
        route.putArray("paths").add("/" + name);
        route.putObject("rewrite").put("regex", regex).put("replacement", replacement);
        return route;
    }

    private static ObjectNode service(String name) {
        ObjectNode service = JsonNodeFactory.instance.objectNode().put("name", name);
        service.putArray("targets").addObject().put("host", "127.0.0.1").put("port", upstream.port());
        return service;
    }

    private static JsonNode read(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("the response is not JSON: " + response.body(), e);
        }
    }

    private static HttpResponse<String> get(String target) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + target))
                .timeout(Duration.ofSeconds(10)).GET().build();
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }
}

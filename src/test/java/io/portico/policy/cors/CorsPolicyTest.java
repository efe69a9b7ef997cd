package io.portico.policy.cors;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The cors policy on a real node, in front of an upstream that sends CORS headers of its own. */
class CorsPolicyTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static final String APP = "https://app.example.com";
    private static final AtomicInteger UPSTREAM_REQUESTS = new AtomicInteger();
    private static Vertx vertx;
    private static HttpServer upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        vertx = Vertx.vertx();
        upstream = vertx.createHttpServer().requestHandler(request -> {
            UPSTREAM_REQUESTS.incrementAndGet();
            request.response()
                    .putHeader("Access-Control-Allow-Origin", "*")
                    .putHeader("Access-Control-Allow-Credentials", "true")
                    .putHeader("Access-Control-Expose-Headers", "X-Upstream-Secret")
                    .putHeader("Vary", "Accept-Encoding")
                    .end("from upstream");
        }).listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);

        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.actualPort());
        config.service("down", ClosedPorts.reserve());
        ObjectNode exactRoute = config.route("exact", "app", "/exact");
        // Portico responds to the preflights of a route even when its methods list lacks OPTIONS.
        exactRoute.putArray("methods").add("GET").add("PUT").add("DELETE");
        ObjectNode exact = corsRoute(exactRoute);
        exact.put("allowCredentials", true).put("maxAge", "1h").set("allowOrigins", strings(APP,
                "https://*.example.org"));
        exact.set("allowMethods", strings("GET", "put"));
        exact.set("allowHeaders", strings("Content-Type", "X-Api-Key"));
        exact.set("exposeHeaders", strings("X-Request-Id", "X-Total"));

        ObjectNode any = corsRoute(config.route("any", "app", "/any"));
        any.set("allowOrigins", strings("*"));
        any.set("allowMethods", strings("*"));
        any.set("allowHeaders", strings("*"));
        any.set("exposeHeaders", strings("*"));

        ObjectNode privateNetwork = corsRoute(config.route("private", "app", "/private"));
        privateNetwork.put("allowPrivateNetwork", true).set("allowOrigins", strings("http://localhost:*"));
        corsRoute(config.route("broken", "down", "/broken"));
        config.route("plain", "app", "/plain").putArray("methods").add("GET");

        config.resource("teams", "web");
        ObjectNode api = config.resource("apis", "catalog").put("team", "web");
        api.putArray("policies").addObject().put("name", "cors").putObject("config").set("allowOrigins",
                strings(APP));
        config.route("in-api", "app", "/in-api").put("api", "catalog").putArray("methods").add("GET");
        node.apply(config.build());
    }

    /** Adds a cors policy that allows {@link #APP} to {@code route}, and returns the policy's config. */
    private static ObjectNode corsRoute(ObjectNode route) {
        ObjectNode config = route.putArray("policies").addObject().put("name", "cors").putObject("config");
        config.set("allowOrigins", strings(APP));
        return config;
    }

    private static ArrayNode strings(String... values) {
        ArrayNode array = Json.MAPPER.createArrayNode();
        for (String value : values) {
            array.add(value);
        }
        return array;
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void preflightBypassesTheUpstream() {
        int before = UPSTREAM_REQUESTS.get();

        HttpResponse<String> response = preflight("/exact", APP, "PUT", "content-type,x-api-key");

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(response.headers().allValues("Access-Control-Allow-Origin")).containsExactly(APP);
        assertThat(response.headers().firstValue("Access-Control-Allow-Credentials")).hasValue("true");
        assertThat(response.headers().firstValue("Access-Control-Allow-Methods")).hasValue("GET, PUT");
        assertThat(response.headers().firstValue("Access-Control-Allow-Headers")).hasValue("Content-Type, X-Api-Key");
        assertThat(response.headers().firstValue("Access-Control-Max-Age")).hasValue("3600");
        assertThat(response.headers().firstValue("Vary"))
                .hasValue("Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
        assertThat(response.headers().firstValue("Access-Control-Allow-Private-Network")).isEmpty();
        assertThat(UPSTREAM_REQUESTS.get()).isEqualTo(before);
    }

    @Test
    void preflightMatchesRouteByRequestedMethod() {
        HttpResponse<String> preflight = preflight("/exact", "https://a.example.org", "GET", null);
        HttpResponse<String> plainOptions = send(HttpRequest.newBuilder(uri("/exact"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", APP));
        HttpResponse<String> withoutPolicy = preflight("/plain", APP, "GET", null);

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).hasValue("3600");
        assertThat(preflight("/in-api", APP, "GET", null).statusCode()).isEqualTo(204);
        assertProblem(plainOptions, 404, "route-not-found");
        assertProblem(withoutPolicy, 404, "route-not-found");
    }

    @Test
    void preflightFromOtherOriginIsRejected() {
        int before = UPSTREAM_REQUESTS.get();

        HttpResponse<String> response = preflight("/exact", "https://evil.test", "PUT", null);

        JsonNode problem = assertProblem(response, 403, "cors-rejected");
        assertThat(problem.path("detail").asText()).isEqualTo("the origin is not allowed");
        assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("access-control-"));
        assertThat(UPSTREAM_REQUESTS.get()).isEqualTo(before);
    }

    @Test
    void preflightForOtherMethodOrHeaderIsRejected() {
        HttpResponse<String> method = preflight("/exact", APP, "DELETE", null);
        HttpResponse<String> header = preflight("/exact", APP, "PUT", "content-type, x-other");
        HttpResponse<String> invalid = preflight("/exact", APP, "PUT", "content-type, x(y)");

        assertThat(assertProblem(method, 403, "cors-rejected").path("detail").asText())
                .isEqualTo("method DELETE is not allowed");
        assertThat(assertProblem(header, 403, "cors-rejected").path("detail").asText())
                .isEqualTo("header x-other is not allowed");
        assertThat(assertProblem(invalid, 403, "cors-rejected").path("detail").asText())
                .isEqualTo("Access-Control-Request-Headers is not a list of header names");
    }

    @Test
    void allowedOriginReplacesUpstreamHeaders() {
        HttpResponse<String> response = get("/exact", "https://a.example.org");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("from upstream");
        assertThat(response.headers().allValues("Access-Control-Allow-Origin"))
                .containsExactly("https://a.example.org");
        assertThat(response.headers().allValues("Access-Control-Allow-Credentials")).containsExactly("true");
        assertThat(response.headers().allValues("Access-Control-Expose-Headers"))
                .containsExactly("X-Request-Id, X-Total");
        assertThat(response.headers().allValues("Vary")).containsExactly("Accept-Encoding, Origin");
    }

    @Test
    void otherOriginGetsNoCorsHeaders() {
        HttpResponse<String> other = get("/exact", "https://example.org");
        HttpResponse<String> none = get("/exact", null);

        for (HttpResponse<String> response : List.of(other, none)) {
            assertThat(response.statusCode()).isEqualTo(200);
            assertThat(response.headers().map().keySet()).noneMatch(name -> name.startsWith("access-control-"));
            assertThat(response.headers().allValues("Vary")).containsExactly("Accept-Encoding, Origin");
        }
    }

    @Test
    void wildcardOriginNeverCarriesCredentials() {
        HttpResponse<String> actual = get("/any", "https://anything.test");
        HttpResponse<String> preflight = preflight("/any", "https://anything.test", "PATCH", "authorization, x-custom");

        assertThat(actual.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
        assertThat(actual.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
        assertThat(actual.headers().allValues("Access-Control-Expose-Headers")).containsExactly("*");
        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().allValues("Access-Control-Allow-Origin")).containsExactly("*");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Methods")).hasValue("PATCH");
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Headers")).hasValue("authorization, x-custom");
        assertThat(preflight.headers().firstValue("Access-Control-Max-Age")).hasValue("600");
    }

    @Test
    void privateNetworkAccessIsGrantedOnlyWhenConfigured() {
        HttpResponse<String> granted = send(preflightRequest("/private", "http://localhost:5173", "GET", null)
                .header("Access-Control-Request-Private-Network", "true"));
        HttpResponse<String> notConfigured = send(preflightRequest("/exact", APP, "GET", null)
                .header("Access-Control-Request-Private-Network", "true"));

        assertThat(granted.statusCode()).isEqualTo(204);
        assertThat(granted.headers().firstValue("Access-Control-Allow-Private-Network")).hasValue("true");
        assertThat(granted.headers().firstValue("Vary")).hasValue("Origin, Access-Control-Request-Method, "
                + "Access-Control-Request-Headers, Access-Control-Request-Private-Network");
        assertThat(notConfigured.statusCode()).isEqualTo(204);
        assertThat(notConfigured.headers().firstValue("Access-Control-Allow-Private-Network")).isEmpty();
    }

    @Test
    void gatewayErrorsCarryCorsHeaders() {
        HttpResponse<String> response = get("/broken", APP);

        assertProblem(response, 502, "upstream-unavailable");
        assertThat(response.headers().allValues("Access-Control-Allow-Origin")).containsExactly(APP);
        assertThat(response.headers().allValues("Vary")).containsExactly("Origin");
    }

    @Test
    void invalidConfigurationIsRejected() {
        ObjectNode credentials = candidate();
        credentials.put("allowCredentials", true).set("allowOrigins", strings("*"));
        credentials.set("exposeHeaders", strings("*"));
        ObjectNode malformed = candidate();
        malformed.set("allowOrigins", strings(APP, "https://*.com", "https://app.example.com/", "null"));
        malformed.set("allowMethods", strings("GET", "*"));
        malformed.set("allowHeaders", strings("X-Ok", "bad header"));
        malformed.put("maxAge", "forever").put("origins", "x");
        ObjectNode empty = candidate();
        empty.remove("allowOrigins");

        assertThat(errors(credentials)).containsExactly(
                "policies[0].config.allowOrigins[0]: '*' cannot be used with allowCredentials: true, because "
                        + "browsers reject a wildcard answer to a request with credentials; list the origins or "
                        + "patterns instead",
                "policies[0].config.exposeHeaders[0]: '*' cannot be used with allowCredentials: true, because "
                        + "browsers then read it as a header named '*'; list the headers instead");
        assertThat(errors(malformed)).containsExactly(
                "policies[0].config.origins: unknown field; known fields: allowCredentials, allowHeaders, "
                        + "allowMethods, allowOrigins, allowPrivateNetwork, exposeHeaders, maxAge",
                "policies[0].config.allowOrigins[1]: 'https://*.com' is not a valid origin: a wildcard must be "
                        + "followed by at least two labels, as in *.example.com, so that it cannot cover a whole "
                        + "top-level domain",
                "policies[0].config.allowOrigins[2]: 'https://app.example.com/' is not a valid origin: an origin "
                        + "has no path, so remove the trailing '/'",
                "policies[0].config.allowOrigins[3]: 'null' cannot be allowed: sandboxed documents, local files "
                        + "and redirected requests of any site send it",
                "policies[0].config.allowMethods[1]: '*' allows everything, so it must be the only entry",
                "policies[0].config.allowHeaders[1]: 'bad header' is not a valid header name",
                "policies[0].config.maxAge: invalid duration 'forever': expected a number followed by ms, s, m or h");
        assertThat(errors(empty)).containsExactly(
                "policies[0].config.allowOrigins: must list at least one origin, pattern, or '*' for any origin");
    }

    /** Returns a cors policy config that allows {@link #APP}. */
    private static ObjectNode candidate() {
        return Json.MAPPER.createObjectNode().set("allowOrigins", strings(APP));
    }

    /** Posts a route named candidate with a cors policy configured by {@code config}; returns its errors. */
    private static List<String> errors(ObjectNode config) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "candidate").put("service", "app");
        route.putArray("paths").add("/candidate");
        route.putArray("policies").addObject().put("name", "cors").set("config", config);
        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);
        List<String> errors = new ArrayList<>();
        for (JsonNode error : problem.get("errors")) {
            errors.add(error.get("field").asText() + ": " + error.get("message").asText());
        }
        return errors;
    }

    private static URI uri(String path) {
        return URI.create(node.url() + path);
    }

    private static HttpRequest.Builder preflightRequest(String path, String origin, String method, String headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", method);
        if (headers != null) {
            request.header("Access-Control-Request-Headers", headers);
        }
        return request;
    }

    private static HttpResponse<String> preflight(String path, String origin, String method, String headers) {
        return send(preflightRequest(path, origin, method, headers));
    }

    private static HttpResponse<String> get(String path, String origin) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path));
        if (origin != null) {
            request.header("Origin", origin);
        }
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static JsonNode assertProblem(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        try {
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.path("type").asText()).isEqualTo("https://portico.dev/problems/" + type);
            return problem;
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + response.body(), e);
        }
    }
}

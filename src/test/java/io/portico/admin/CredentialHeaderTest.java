package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The values of credential headers that routes and providers send, such as {@code Authorization}, on a real node:
 * masked in every admin response, the audit log and the export, kept by their hint, bound to where they are sent,
 * and still sent in full.
 */
class CredentialHeaderTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String ROUTE_TOKEN = "Bearer route-upstream-token-4711";
    private static final String ROUTE_KEY = "route-api-key-0815";
    private static final String PAYMENTS_TOKEN = "Bearer payments-token-2468";
    private static final String CART_COOKIE = "session=cart-cookie-secret-77";
    private static final String PROVIDER_KEY = "sk-provider-key-0123456789";
    private static final String PROVIDER_TOKEN = "org-token-secret-1234";
    private static final List<String> SECRETS = List.of("route-upstream-token-4711", ROUTE_KEY,
            "payments-token-2468", "cart-cookie-secret-77", PROVIDER_TOKEN, PROVIDER_KEY);

    private static TestUpstream upstream;
    private static TestUpstream other;
    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("app");
        other = TestUpstream.start("other");
        provider = new OpenAiMock("one", PROVIDER_KEY);
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.service("other", other.port());
        ObjectNode operations = config.route("orders", "app", "/orders").putObject("requestHeaders");
        operations.putObject("set").put("Authorization", ROUTE_TOKEN).put("X-Trace", "visible-trace");
        operations.putObject("add").put("X-Api-Key", ROUTE_KEY);
        config.route("payments", "app", "/payments").putObject("requestHeaders").putObject("set")
                .put("Authorization", PAYMENTS_TOKEN);
        config.provider("one", "openai", provider.baseUrl(), PROVIDER_KEY).putObject("headers")
                .put("X-Org-Token", PROVIDER_TOKEN).put("OpenAI-Project", "proj-visible");
        config.model("smart", "fallback", "one/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        provider.close();
        other.close();
        upstream.close();
    }

    @Test
    void readsMaskCredentialHeaders() {
        JsonNode route = node.admin("GET", "/admin/v1/routes/orders", null, 200);
        JsonNode routes = node.admin("GET", "/admin/v1/routes", null, 200);
        JsonNode read = node.admin("GET", "/admin/v1/providers/one", null, 200);
        JsonNode providers = node.admin("GET", "/admin/v1/providers", null, 200);

        assertThat(route.at("/requestHeaders/set/Authorization").asText()).isEqualTo(Secrets.hint(ROUTE_TOKEN));
        assertThat(route.at("/requestHeaders/add/X-Api-Key").asText()).isEqualTo(Secrets.hint(ROUTE_KEY));
        assertThat(route.at("/requestHeaders/set/X-Trace").asText()).isEqualTo("visible-trace");
        assertThat(read.at("/headers/X-Org-Token").asText()).isEqualTo(Secrets.hint(PROVIDER_TOKEN));
        assertThat(read.at("/headers/OpenAI-Project").asText()).isEqualTo("proj-visible");
        assertNoSecret(route.toString() + routes + read + providers);
    }

    @Test
    void writeResponsesMaskCredentialHeaders() {
        ObjectNode cart = Json.MAPPER.createObjectNode().put("name", "carts").put("service", "app");
        cart.putArray("paths").add("/carts");
        cart.putObject("requestHeaders").putObject("set").put("Cookie", CART_COOKIE).put("X-Trace", "cart");

        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/routes", cart);
        ObjectNode replacement = json(created.body());
        ((ObjectNode) replacement.at("/requestHeaders/set")).put("X-Trace", "cart-2");
        HttpResponse<String> replaced = node.adminRaw("PUT", "/admin/v1/routes/carts", replacement,
                Map.of("If-Match", created.headers().firstValue("ETag").orElseThrow()));
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putArray("methods").add("GET");
        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/routes/carts", patch);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(200);
        for (HttpResponse<String> response : List.of(created, replaced, patched)) {
            assertThat(json(response.body()).at("/requestHeaders/set/Cookie").asText())
                    .isEqualTo(Secrets.hint(CART_COOKIE));
        }
        assertNoSecret(created.body() + replaced.body() + patched.body());
        JsonNode stored = storedSpec("routes", "carts");
        assertThat(stored.at("/requestHeaders/set/Cookie").asText()).isEqualTo(CART_COOKIE);
        assertThat(stored.at("/requestHeaders/set/X-Trace").asText()).isEqualTo("cart-2");
    }

    @Test
    void routeHeaderHintCannotFollowNewService() {
        ObjectNode patch = Json.MAPPER.createObjectNode().put("service", "other");

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/routes/orders", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(errorFields(patched)).containsExactlyInAnyOrder("requestHeaders.set.Authorization",
                "requestHeaders.add.X-Api-Key");
        assertThat(patched.body()).contains("service changed").contains("send the secret itself again");
        assertNoSecret(patched.body());
        assertThat(storedSpec("routes", "orders").path("service").asText()).isEqualTo("app");
    }

    @Test
    void routeHeaderFollowsServiceOnlyWhenSentAgain() {
        ObjectNode hinted = Json.MAPPER.createObjectNode().put("service", "other");
        ObjectNode sentAgain = hinted.deepCopy();
        sentAgain.putObject("requestHeaders").putObject("set").put("Authorization", PAYMENTS_TOKEN);

        HttpResponse<String> rejected = node.adminRaw("PATCH", "/admin/v1/routes/payments", hinted);
        node.admin("PATCH", "/admin/v1/routes/payments", sentAgain, 200);
        JsonNode echo = echo("/payments/echo");

        assertThat(rejected.statusCode()).as(rejected.body()).isEqualTo(400);
        assertThat(errorFields(rejected)).containsExactly("requestHeaders.set.Authorization");
        assertThat(storedSpec("routes", "payments").path("service").asText()).isEqualTo("other");
        assertThat(echo.at("/headers/authorization/0").asText()).isEqualTo(PAYMENTS_TOKEN);
        assertThat(other.requests("/payments/echo")).isEqualTo(1);
    }

    @Test
    void providerHeaderHintCannotFollowNewBaseUrl() {
        ObjectNode patch = Json.MAPPER.createObjectNode().put("baseUrl", "http://127.0.0.1:" + other.port() + "/v1");

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/providers/one", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(errorFields(patched)).containsExactlyInAnyOrder("keys[0].key", "headers.X-Org-Token");
        assertThat(patched.body()).contains("baseUrl changed");
        assertNoSecret(patched.body());
        assertThat(storedSpec("providers", "one").path("baseUrl").asText()).isEqualTo(provider.baseUrl());
    }

    @Test
    void hintKeepsProviderHeaderThatReachesProvider() {
        ObjectNode read = node.admin("GET", "/admin/v1/providers/one", null, 200).deepCopy();
        assertThat(read.at("/headers/X-Org-Token").asText()).isEqualTo(Secrets.hint(PROVIDER_TOKEN));
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.set("headers", read.get("headers"));
        ((ObjectNode) patch.get("headers")).put("OpenAI-Project", "proj-visible");

        node.admin("PATCH", "/admin/v1/providers/one", patch, 200);
        HttpResponse<String> answer = post(node.url() + "/v1/chat/completions",
                "{\"model\":\"smart\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");

        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        assertThat(provider.last().headers().get("x-org-token")).isEqualTo(PROVIDER_TOKEN);
        assertThat(provider.last().headers().get("openai-project")).isEqualTo("proj-visible");
        assertThat(storedSpec("providers", "one").at("/headers/X-Org-Token").asText()).isEqualTo(PROVIDER_TOKEN);
    }

    @Test
    void hintKeepsRouteHeaderThatReachesUpstream() {
        HttpResponse<String> read = node.adminRaw("GET", "/admin/v1/routes/orders", null);
        ObjectNode route = json(read.body());
        assertThat(route.at("/requestHeaders/set/Authorization").asText()).isEqualTo(Secrets.hint(ROUTE_TOKEN));
        route.remove(List.of("revision", "updatedAt"));
        route.withArray("paths").add("/orders-v2");

        HttpResponse<String> replaced = node.adminRaw("PUT", "/admin/v1/routes/orders", route,
                Map.of("If-Match", read.headers().firstValue("ETag").orElseThrow()));
        JsonNode echo = echo("/orders/echo");

        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(echo.at("/headers/authorization/0").asText()).isEqualTo(ROUTE_TOKEN);
        assertThat(echo.at("/headers/x-api-key/0").asText()).isEqualTo(ROUTE_KEY);
        assertThat(echo.at("/headers/x-trace/0").asText()).isEqualTo("visible-trace");
    }

    @Test
    void exportMasksAndApplyChangesNothing() {
        HttpResponse<String> exported = node.adminRaw("GET", "/admin/v1/config?format=json", null);
        ObjectNode document = json(exported.body());
        JsonNode orders = named(document.withArray("routes"), "orders");

        JsonNode diff = node.admin("POST", "/admin/v1/config/diff", document, 200);
        JsonNode applied = node.admin("POST", "/admin/v1/config/apply", document, 200);

        assertThat(orders.at("/requestHeaders/set/Authorization").asText()).isEqualTo(Secrets.hint(ROUTE_TOKEN));
        assertThat(named(document.withArray("providers"), "one").at("/headers/X-Org-Token").asText())
                .isEqualTo(Secrets.hint(PROVIDER_TOKEN));
        assertNoSecret(exported.body());
        for (JsonNode report : List.of(diff, applied)) {
            assertThat(report.path("created")).as(report.toString()).isEmpty();
            assertThat(report.path("updated")).as(report.toString()).isEmpty();
            assertThat(report.path("deleted")).as(report.toString()).isEmpty();
        }
        assertThat(storedSpec("routes", "orders").at("/requestHeaders/set/Authorization").asText())
                .isEqualTo(ROUTE_TOKEN);
        assertThat(storedSpec("providers", "one").at("/headers/X-Org-Token").asText()).isEqualTo(PROVIDER_TOKEN);
    }

    @Test
    void auditLogMasksCredentialHeaders() {
        JsonNode entries = node.admin("GET", "/admin/v1/audit?kind=routes&name=orders", null, 200);
        HttpResponse<String> exported = node.adminRaw("GET", "/admin/v1/audit/export?kind=providers", null);

        JsonNode created = entries.path("items").get(entries.path("items").size() - 1);
        assertThat(created.at("/after/requestHeaders/set/Authorization").asText())
                .isEqualTo(Secrets.hint(ROUTE_TOKEN));
        assertThat(exported.statusCode()).isEqualTo(200);
        assertThat(exported.body()).contains(Secrets.hint(PROVIDER_TOKEN));
        assertNoSecret(entries.toString() + exported.body());
    }

    @Test
    void headerMapsCannotBeFiltered() {
        HttpResponse<String> providers = node.adminRaw("GET", "/admin/v1/providers?headers=" + PROVIDER_TOKEN, null);
        HttpResponse<String> routes = node.adminRaw("GET", "/admin/v1/routes?requestHeaders=x", null);

        assertThat(providers.statusCode()).as(providers.body()).isEqualTo(400);
        assertThat(providers.body()).contains("cannot filter providers on 'headers', because it contains a secret");
        assertThat(routes.statusCode()).as(routes.body()).isEqualTo(400);
        assertThat(routes.body()).contains("because it contains a secret");
        assertNoSecret(providers.body());
    }

    private static void assertNoSecret(String text) {
        for (String secret : SECRETS) {
            assertThat(text).doesNotContain(secret);
        }
    }

    private static JsonNode storedSpec(String kind, String name) {
        return node.portico().store().get(kind, name).orElseThrow().spec();
    }

    private static JsonNode named(ArrayNode resources, String name) {
        for (JsonNode resource : resources) {
            if (resource.path("name").asText().equals(name)) {
                return resource;
            }
        }
        throw new AssertionError(name + " is not in " + resources);
    }

    private static List<String> errorFields(HttpResponse<String> response) {
        List<String> fields = new ArrayList<>();
        json(response.body()).path("errors").forEach(error -> fields.add(error.path("field").asText()));
        return fields;
    }

    private static JsonNode echo(String path) {
        HttpResponse<String> response = send(HttpRequest.newBuilder(URI.create(node.url() + path)).build());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response.body());
    }

    private static HttpResponse<String> post(String url, String body) {
        return send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static HttpResponse<String> send(HttpRequest request) {
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError(request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}

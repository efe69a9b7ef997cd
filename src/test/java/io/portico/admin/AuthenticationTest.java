package io.portico.admin;

import static io.portico.testing.AdminFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.node.NodeConfig;
import io.portico.problem.ProblemType;
import io.portico.testing.AdminFixture;
import io.portico.testing.InMemoryAccountStore;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import java.net.URI;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AuthenticationTest {

    private AdminFixture admin;

    @BeforeEach
    void start() {
        admin = AdminFixture.start();
    }

    @AfterEach
    void stop() {
        admin.close();
    }

    @Test
    void everyAdminOperationRequiresToken() {
        List<String> operations = adminOperations();
        assertThat(operations).hasSizeGreaterThan(20);

        int basicFailures = 0;
        for (String operation : operations) {
            String method = operation.split(" ")[0];
            String path = operation.split(" ")[1].replaceAll("\\{\\w+}", "web");
            String body = method.equals("POST") || method.equals("PUT") || method.equals("PATCH") ? "{}" : null;

            HttpResponse<String> missing = admin.sendRaw(method, path, body);
            HttpResponse<String> wrong = admin.sendRaw(method, path, body, "Authorization", "Bearer wrong");
            HttpResponse<String> basic = admin.sendRaw(method, path, body, "Authorization", "Basic YTpi");
            basicFailures++;

            // The same wrong password for the name 'a' locks that name after a few attempts.
            boolean locked = basicFailures > SignInThrottle.ACCOUNT_FAILURES;
            if (locked) {
                assertThat(basic.statusCode()).as(operation).isEqualTo(429);
                assertThat(basic.headers().firstValue("Retry-After")).as(operation).isPresent();
            }
            for (HttpResponse<String> response : locked ? List.of(missing, wrong) : List.of(missing, wrong, basic)) {
                assertThat(response.statusCode()).as(operation).isEqualTo(401);
                assertThat(response.headers().firstValue("WWW-Authenticate")).as(operation)
                        .hasValueSatisfying(challenge -> assertThat(challenge).startsWith("Bearer"));
                assertThat(json(response).path("type").asText()).isEqualTo(ProblemType.UNAUTHORIZED.uri());
            }
        }
    }

    @Test
    void everyAdminRouteDeclaresAccess() {
        List<String> unguarded = new ArrayList<>();
        int guarded = 0;
        for (Route route : admin.server().router().getRoutes()) {
            boolean endpoint = route.getPath() != null && route.methods() != null && !route.methods().isEmpty();
            if (!endpoint || !route.getPath().startsWith(AdminServer.BASE_PATH)) {
                continue;
            }
            if (route.getMetadata(AdminRoutes.ACCESS) instanceof Access) {
                guarded++;
            } else {
                unguarded.add(route.methods() + " " + route.getPath());
            }
        }

        assertThat(unguarded).isEmpty();
        assertThat(guarded).isGreaterThan(60);
    }

    @Test
    void unknownAdminPathRequiresToken() {
        assertThat(admin.sendRaw("GET", "/admin/v1/nothing-here", null).statusCode()).isEqualTo(401);
    }

    @Test
    void schemeIsCaseInsensitive() {
        HttpResponse<String> response = admin.sendRaw("GET", "/admin/v1/services", null,
                "Authorization", "bearer " + AdminFixture.TOKEN);

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void healthNeedsNoToken() {
        HttpResponse<String> live = admin.sendRaw("GET", "/health/live", null);
        HttpResponse<String> ready = admin.sendRaw("GET", "/health/ready", null);
        admin.ready().set(false);
        HttpResponse<String> notReady = admin.sendRaw("GET", "/health/ready", null);
        HttpResponse<String> stillLive = admin.sendRaw("GET", "/health/live", null);

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).isEqualTo("{\"status\":\"UP\"}");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEqualTo("{\"status\":\"DOWN\"}");
        assertThat(stillLive.statusCode()).isEqualTo(200);
    }

    @Test
    void healthAnswersHead() {
        HttpResponse<String> live = admin.sendRaw("HEAD", "/health/live", null);
        admin.ready().set(false);
        HttpResponse<String> notReady = admin.sendRaw("HEAD", "/health/ready", null);
        admin.ready().set(true);

        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).isEmpty();
        assertThat(live.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(notReady.statusCode()).isEqualTo(503);
        assertThat(notReady.body()).isEmpty();
    }

    @Test
    void occupiedPortIsNamed() throws Exception {
        int port = URI.create(admin.baseUrl()).getPort();
        Vertx vertx = Vertx.vertx();
        try {
            AdminServer second = new AdminServer(vertx, new NodeConfig.AdminListener("127.0.0.1", port, null),
                    AdminFixture.TOKEN, admin.store(), new InMemoryAccountStore(), admin.snapshots(), () -> true);

            Throwable failure = second.start().toCompletionStage().toCompletableFuture()
                    .handle((bound, cause) -> cause).get(10, TimeUnit.SECONDS);

            assertThat(failure).hasMessageContaining("the admin API listener cannot bind 127.0.0.1:" + port)
                    .hasMessageContaining("admin.port");
        } finally {
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void openApiListsEveryServedRoute() {
        List<String> served = new ArrayList<>();
        for (Route route : admin.server().router().getRoutes()) {
            if (route.getPath() == null || route.methods() == null || route.methods().isEmpty()) {
                continue;
            }
            for (HttpMethod method : route.methods()) {
                served.add(method.name() + " " + route.getPath().replaceAll(":(\\w+)", "{$1}"));
            }
        }

        // Every GET route also serves HEAD, which the document states once rather than as an operation of each path.
        List<String> documented = operations(openApi());
        served.removeIf(operation -> operation.startsWith("HEAD ") && !documented.contains(operation)
                && served.contains("GET " + operation.substring("HEAD ".length())));

        assertThat(new TreeSet<>(documented)).isEqualTo(new TreeSet<>(served));
    }

    @Test
    void openApiNamesWhoMayCallEachOperation() {
        JsonNode paths = openApi().path("paths");

        for (String operation : adminOperations()) {
            String method = operation.split(" ")[0].toLowerCase(Locale.ROOT);
            JsonNode access = paths.path(operation.split(" ")[1]).path(method).path("x-portico-access");
            assertThat(access.asText()).as(operation).isNotEmpty();
        }
        assertThat(paths.at("/~1admin~1v1~1config~1apply/post/x-portico-access").asText())
                .isEqualTo("platform admins");
    }

    @Test
    void openApiDescribesEveryKind() {
        JsonNode document = openApi();

        assertThat(document.path("openapi").asText()).isEqualTo("3.1.0");
        for (String kind : List.of("services", "routes", "certificates")) {
            assertThat(document.path("paths").has("/admin/v1/" + kind)).isTrue();
            assertThat(document.path("components").path("schemas").path(kind).path("properties").has("name"))
                    .isTrue();
        }
        JsonNode target = document.at("/components/schemas/services/properties/targets/items/properties/port");
        assertThat(target.path("anyOf").path(0).path("type").asText()).isEqualTo("integer");
        assertThat(target.path("anyOf").path(1).path("type").asText()).isEqualTo("string");
    }

    private JsonNode openApi() {
        HttpResponse<String> response = admin.get("/admin/v1/openapi.json");
        assertThat(response.statusCode()).isEqualTo(200);
        return json(response);
    }

    private List<String> adminOperations() {
        return operations(openApi()).stream().filter(operation -> operation.contains(" /admin/v1/")).toList();
    }

    private static List<String> operations(JsonNode document) {
        List<String> operations = new ArrayList<>();
        for (Map.Entry<String, JsonNode> path : document.path("paths").properties()) {
            path.getValue().fieldNames().forEachRemaining(method ->
                    operations.add(method.toUpperCase(Locale.ROOT) + " " + path.getKey()));
        }
        return operations;
    }
}

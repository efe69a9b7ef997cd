package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.store.Change;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Route header operations on the headers that Portico sets itself, through the admin API and the store of real
 * nodes. Such an operation could smuggle a second request to the upstream (a request {@code Content-Length} shorter
 * than the body), cut a response short on the client's connection, or forge an identity or forwarding header that
 * upstreams trust. The admin API rejects it with 400, and a node does not apply a stored configuration with it.
 */
class HeaderOperationRulesTest {

    private static final String SMUGGLING_REQUEST = "POST /inj HTTP/1.1\r\nHost: a\r\nContent-Length: 69\r\n\r\n"
            + "helloGET /smuggled-admin HTTP/1.1\r\nHost: x\r\nX-Consumer-Name: admin\r\n\r\n";

    private static RecordingUpstream upstream;
    private static TestNode node;
    private static TestNode renamed;

    @BeforeAll
    static void start() {
        upstream = RecordingUpstream.start();
        node = TestNode.start(Map.of("store.pollInterval", "100ms"));
        renamed = TestNode.start(Map.of("identityHeaders.consumer", "X-User", "identityHeaders.labels.tier",
                "X-Tier", "identityHeaders.labels.region", "X_Region", "requestIdHeader", "X-Trace-Id"));
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("base", "up", "/base");
        node.apply(config.build());
        renamed.apply(config.build());
    }

    @AfterAll
    static void stop() {
        renamed.close();
        node.close();
        upstream.close();
    }

    @BeforeEach
    void forget() {
        upstream.clear();
    }

    static List<Arguments> reservedOperations() {
        List<Arguments> cases = new ArrayList<>();
        List<String> requestNames = List.of("Content-Length", "transfer-encoding", "CONNECTION", "Keep-Alive",
                "Proxy-Connection", "TE", "Trailer", "Upgrade", "HTTP2-Settings", "Host", "X-Forwarded-For",
                "x-forwarded-proto", "X-Forwarded-Host", "X-Forwarded-Port", "Forwarded", "X-Consumer-Name",
                "x-consumer-team", "X-Credential-Name", "X-Authenticated-Method", "X-Request-Id", "Expect",
                "X_Consumer_Name", "X-Consumer_Name", "X_Consumer_Team", "X_Authenticated_Method", "X_Forwarded_For",
                "x_forwarded_proto", "X_Request_Id", "Proxy_Authorization", "Content_Length", "Transfer_Encoding");
        for (String name : requestNames) {
            for (String operation : List.of("add", "set", "remove")) {
                cases.add(Arguments.of("requestHeaders", operation, name));
            }
        }
        for (String name : List.of("Content-Length", "Transfer-Encoding", "connection", "Upgrade", "x-request-id",
                "Content_Length", "X_Request_Id")) {
            for (String operation : List.of("add", "set", "remove")) {
                cases.add(Arguments.of("responseHeaders", operation, name));
            }
        }
        return cases;
    }

    @Test
    void smugglingRouteIsRejected() throws Exception {
        ObjectNode route = route("inj", "/inj");
        route.putObject("requestHeaders").putObject("set").put("Content-Length", "5");

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/inj", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode errors = json(response).path("errors");
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0).path("field").asText()).isEqualTo("requestHeaders.set.Content-Length");
        assertThat(errors.get(0).path("message").asText()).contains("framing");
        assertThat(node.adminRaw("GET", "/admin/v1/routes/inj", null).statusCode()).isEqualTo(404);

        RawHttp.send(node.portico().httpPort(), 0, 2_000, SMUGGLING_REQUEST);
        assertThat(upstream.requests()).isEmpty();
    }

    @Test
    void responseLengthRouteIsRejected() throws Exception {
        ObjectNode route = route("short", "/short");
        route.putObject("responseHeaders").putObject("set").put("Content-Length", "2");

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/short", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).at("/errors/0/field").asText()).isEqualTo("responseHeaders.set.Content-Length");
    }

    @ParameterizedTest
    @MethodSource("reservedOperations")
    void operationOnReservedHeaderIsRejected(String direction, String operation, String name) throws Exception {
        ObjectNode route = route("reserved", "/reserved");
        ObjectNode operations = route.putObject(direction);
        if (operation.equals("remove")) {
            operations.putArray("remove").add("X-Fine").add(name);
        } else {
            operations.putObject(operation).put(name, "1");
        }

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/reserved", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        JsonNode errors = json(response).path("errors");
        assertThat(errors).hasSize(1);
        String field = direction + (operation.equals("remove") ? ".remove[1]" : "." + operation + "." + name);
        assertThat(errors.get(0).path("field").asText()).isEqualTo(field);
        assertThat(errors.get(0).path("message").asText()).contains("header operations cannot add, set or remove it");
    }

    @Test
    void hostMessageNamesPreserveHost() throws Exception {
        ObjectNode route = route("host", "/host");
        route.putObject("requestHeaders").putObject("set").put("host", "internal.example");

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/host", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).at("/errors/0/message").asText()).contains("preserveHost");
    }

    @Test
    void identityMessageNamesTheSetting() throws Exception {
        ObjectNode route = route("identity", "/identity");
        route.putObject("requestHeaders").putObject("set").put("x-consumer-team", "payments");

        HttpResponse<String> response = node.adminRaw("PUT", "/admin/v1/routes/identity", route);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).at("/errors/0/message").asText()).contains("identityHeaders.team");
    }

    @Test
    void declarativeApplyNamesTheRoute() throws Exception {
        Configs config = Configs.document();
        config.service("up", upstream.port());
        config.route("base", "up", "/base");
        config.route("forged", "up", "/forged").putObject("requestHeaders").putObject("add")
                .put("X-Forwarded-For", "10.0.0.1");

        HttpResponse<String> response = node.adminRaw("POST", "/admin/v1/config/apply", config.build());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).at("/errors/0/field").asText())
                .isEqualTo("routes[1].requestHeaders.add.X-Forwarded-For");
    }

    @Test
    void otherHeadersAreStillChanged() throws Exception {
        ObjectNode route = route("allowed", "/allowed");
        ObjectNode request = route.putObject("requestHeaders");
        request.putObject("set").put("X-Forwarded-Prefix", "/allowed").put("X-Route", "allowed");
        request.putArray("remove").add("X-Real-IP");
        route.putObject("responseHeaders").putObject("set").put("X-Consumer-Name", "shown-to-client");
        node.admin("PUT", "/admin/v1/routes/allowed", route, 201);

        RawHttp.Received received = RawHttp.first(node.portico().httpPort(),
                "GET /allowed HTTP/1.1\r\nHost: a\r\nX-Real-IP: 10.9.9.9\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(received.text()).containsIgnoringCase("\r\nx-consumer-name: shown-to-client\r\n");
        assertThat(upstream.requests()).hasSize(1);
        RecordingUpstream.Request forwarded = upstream.requests().get(0);
        assertThat(forwarded.headers("X-Forwarded-Prefix")).containsExactly("/allowed");
        assertThat(forwarded.headers("X-Route")).containsExactly("allowed");
        assertThat(forwarded.headers("X-Real-IP")).isEmpty();
        node.admin("DELETE", "/admin/v1/routes/allowed", null, 204);
    }

    @Test
    void renamedIdentityHeadersAreRejected() throws Exception {
        ObjectNode consumer = route("user", "/user");
        consumer.putObject("requestHeaders").putObject("set").put("x-user", "admin");
        ObjectNode label = route("tier", "/tier");
        label.putObject("requestHeaders").putArray("remove").add("X-Tier");
        ObjectNode requestId = route("trace", "/trace");
        requestId.putObject("responseHeaders").putObject("add").put("X-Trace-Id", "1");

        HttpResponse<String> consumerResponse = renamed.adminRaw("PUT", "/admin/v1/routes/user", consumer);
        HttpResponse<String> labelResponse = renamed.adminRaw("PUT", "/admin/v1/routes/tier", label);
        HttpResponse<String> requestIdResponse = renamed.adminRaw("PUT", "/admin/v1/routes/trace", requestId);

        assertThat(consumerResponse.statusCode()).as(consumerResponse.body()).isEqualTo(400);
        assertThat(json(consumerResponse).at("/errors/0/field").asText()).isEqualTo("requestHeaders.set.x-user");
        assertThat(json(consumerResponse).at("/errors/0/message").asText()).contains("identityHeaders.consumer");
        assertThat(labelResponse.statusCode()).as(labelResponse.body()).isEqualTo(400);
        assertThat(json(labelResponse).at("/errors/0/message").asText()).contains("identityHeaders.labels.tier");
        assertThat(requestIdResponse.statusCode()).as(requestIdResponse.body()).isEqualTo(400);
        assertThat(json(requestIdResponse).at("/errors/0/message").asText()).contains("requestIdHeader");
    }

    @Test
    void underscoreSpellingsOfRenamedHeadersAreRejected() throws Exception {
        Map<String, String> cases = Map.of(
                "X_User", "identityHeaders.consumer",
                "X_TIER", "identityHeaders.labels.tier",
                "X-Region", "identityHeaders.labels.region",
                "x_region", "identityHeaders.labels.region",
                "X_Trace_Id", "requestIdHeader");

        for (Map.Entry<String, String> entry : cases.entrySet()) {
            ObjectNode route = route("alias", "/alias");
            route.putObject("requestHeaders").putObject("set").put(entry.getKey(), "admin");

            HttpResponse<String> response = renamed.adminRaw("PUT", "/admin/v1/routes/alias", route);

            assertThat(response.statusCode()).as(entry.getKey() + ": " + response.body()).isEqualTo(400);
            assertThat(json(response).at("/errors/0/message").asText()).as(entry.getKey())
                    .contains(entry.getValue());
        }
    }

    @Test
    void defaultNamesAreFreeOnRenamingNode() throws Exception {
        ObjectNode route = route("default-names", "/default-names");
        route.putObject("requestHeaders").putObject("set").put("X-Consumer-Name", "set-by-route");
        renamed.admin("PUT", "/admin/v1/routes/default-names", route, 201);

        RawHttp.Received received = RawHttp.first(renamed.portico().httpPort(),
                "GET /default-names HTTP/1.1\r\nHost: a\r\n\r\n");

        assertThat(received.text()).startsWith("HTTP/1.1 200 ");
        assertThat(upstream.requests().get(0).headers("X-Consumer-Name")).containsExactly("set-by-route");
        renamed.admin("DELETE", "/admin/v1/routes/default-names", null, 204);
    }

    @Test
    void storedSmugglingRouteIsNotApplied() throws Exception {
        long applied = node.portico().configVersion();
        ObjectNode route = route("inj", "/inj");
        route.putObject("requestHeaders").putObject("set").put("Content-Length", "5");
        ObjectNode forging = route("forging", "/forging");
        forging.putObject("requestHeaders").putObject("set").put("X-Consumer-Name", "admin");

        node.portico().store().commit(List.of(Change.create("routes", "inj", route)));
        long smuggling = node.portico().store().version();
        Conditions.eventually("the node sees the stored version", () -> readiness().path("storeVersion").asLong()
                == smuggling);
        String response = RawHttp.send(node.portico().httpPort(), 0, 2_000, SMUGGLING_REQUEST).text();
        long inj = node.portico().store().get("routes", "inj").orElseThrow().revision();
        node.portico().store().commit(List.of(Change.delete("routes", "inj", inj),
                Change.create("routes", "forging", forging)));
        long forged = node.portico().store().version();
        Conditions.eventually("the node sees the stored version", () -> readiness().path("storeVersion").asLong()
                == forged);
        RawHttp.Received forgingResponse = RawHttp.first(node.portico().httpPort(),
                "GET /forging HTTP/1.1\r\nHost: a\r\n\r\n");
        long served = node.portico().configVersion();
        long forgingRevision = node.portico().store().get("routes", "forging").orElseThrow().revision();
        node.portico().store().commit(List.of(Change.delete("routes", "forging", forgingRevision)));

        assertThat(response).startsWith("HTTP/1.1 404 ");
        assertThat(forgingResponse.text()).startsWith("HTTP/1.1 404 ");
        assertThat(served).isEqualTo(applied);
        assertThat(upstream.requests()).isEmpty();
        Conditions.eventually("the node applies the repaired version",
                () -> node.portico().configVersion() == node.portico().store().version());
    }

    private static JsonNode readiness() {
        return json(node.adminRaw("GET", "/health/ready", null));
    }

    private static ObjectNode route(String name, String path) {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", name).put("service", "up");
        route.putArray("paths").add(path);
        return route;
    }

    private static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.MAPPER.readTree(response.body());
        } catch (IOException e) {
            throw new AssertionError("invalid JSON: " + response.body(), e);
        }
    }
}

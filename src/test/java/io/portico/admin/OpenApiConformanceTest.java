package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.portico.testing.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sends real requests to a node's admin API and validates each request body and response body with a JSON Schema
 * 2020-12 validator against the schemas that the node's own OpenAPI document gives for that operation and status.
 * The tables at the end send bodies that the schema accepts or rejects, and require the server to agree.
 */
class OpenApiConformanceTest {

    private static final String DOCUMENT_URI = "https://portico.test/openapi.json";
    private static final String JSON = "application/json";
    private static final String MERGE_PATCH = "application/merge-patch+json";
    private static final JsonSchemaOptions OPTIONS = new JsonSchemaOptions().setDraft(Draft.DRAFT202012)
            .setBaseUri("https://portico.test/").setOutputFormat(OutputFormat.Basic);

    private static TestNode node;
    private static JsonObject document;
    private static SchemaRepository repository;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        HttpResponse<String> response = node.adminRaw("GET", "/admin/v1/openapi.json", null);
        assertThat(response.statusCode()).isEqualTo(200);
        document = new JsonObject(response.body());
        repository = SchemaRepository.create(OPTIONS);
        repository.dereference(DOCUMENT_URI, JsonSchema.of(document));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void serviceExchangesMatchDocument() {
        String service = """
                {"name": "conform", "protocol": "HTTP",
                 "targets": [{"host": "127.0.0.1", "port": 9, "weight": 50}, {"host": "::1", "port": 65535}],
                 "loadBalancing": {"algorithm": "consistent-hash", "hashOn": "header:X-User"},
                 "timeouts": {"connect": 500, "read": "10M", "total": null},
                 "retries": {"attempts": 3, "budget": 0.5, "statuses": [503], "minRetriesPerSecond": 0},
                 "healthCheck": {"active": {"path": "/health?full=1", "interval": 250, "healthyStatuses": [200]},
                                 "passive": {"unhealthyThreshold": 2, "recovery": "30S"}},
                 "pool": {"maxConnections": 10, "keepAlive": "1m", "http2": false},
                 "circuitBreaker": {"failureRateThreshold": 60, "window": "20s", "openDuration": 1000}}""";
        exchange("POST", "/admin/v1/services", "/admin/v1/services", service, JSON, 201);
        String etag = exchange("GET", "/admin/v1/services/{name}", "/admin/v1/services/conform", null, JSON, 200)
                .headers().firstValue("ETag").orElseThrow();
        exchange("GET", "/admin/v1/services", "/admin/v1/services", null, JSON, 200);

        String replacement = """
                {"targets": [{"host": "127.0.0.1", "port": 9}], "timeouts": {"read": "2s"}}""";
        etag = exchange("PUT", "/admin/v1/services/{name}", "/admin/v1/services/conform", replacement, JSON, 200,
                "If-Match", etag).headers().firstValue("ETag").orElseThrow();
        exchange("PATCH", "/admin/v1/services/{name}", "/admin/v1/services/conform",
                "{\"timeouts\": {\"read\": null, \"connect\": \"2H\"}}", MERGE_PATCH, 200, "If-Match", etag);
        exchange("POST", "/admin/v1/services", "/admin/v1/services", "{\"name\": \"no-targets\"}", JSON, 400);
        exchange("DELETE", "/admin/v1/services/{name}", "/admin/v1/services/conform", null, JSON, 204);
        exchange("GET", "/admin/v1/services/{name}", "/admin/v1/services/conform", null, JSON, 404);
    }

    @Test
    void routeExchangesMatchDocument() {
        exchange("POST", "/admin/v1/services", "/admin/v1/services",
                "{\"name\": \"route-target\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}]}", JSON, 201);
        String route = """
                {"name": "conform-route", "service": "route-target", "paths": ["/conform", "=/exact"],
                 "methods": ["get", "POST"], "hosts": ["api.example.com"], "priority": 5, "stripPrefix": true,
                 "rewrite": {"regex": "^/(.*)$", "replacement": "/v2/$1"}, "maxBodySize": 1024,
                 "requestHeaders": {"set": {"X-Env": "test"}}, "preserveHost": null,
                 "policies": [{"name": "ip-restriction", "config": {"allow": ["127.0.0.0/8"]}}]}""";
        exchange("POST", "/admin/v1/routes", "/admin/v1/routes", route, JSON, 201);
        exchange("GET", "/admin/v1/routes/{name}", "/admin/v1/routes/conform-route", null, JSON, 200);
        exchange("GET", "/admin/v1/routes", "/admin/v1/routes", null, JSON, 200);
        exchange("PATCH", "/admin/v1/routes/{name}", "/admin/v1/routes/conform-route",
                "{\"methods\": [\"DELETE\"], \"rewrite\": null}", MERGE_PATCH, 200);
        exchange("POST", "/admin/v1/routes", "/admin/v1/routes",
                "{\"name\": \"bad-route\", \"service\": \"route-target\", \"methods\": [\"FETCH\"]}", JSON, 400);
        exchange("DELETE", "/admin/v1/routes/{name}", "/admin/v1/routes/conform-route", null, JSON, 204);
        exchange("DELETE", "/admin/v1/services/{name}", "/admin/v1/services/route-target", null, JSON, 204);
    }

    @Test
    void policyExchangesMatchDocument() {
        String policy = """
                {"name": "conform-policy", "description": "loopback only", "type": "ip-restriction",
                 "config": {"allow": ["127.0.0.0/8"]}, "order": 2}""";
        exchange("POST", "/admin/v1/policies", "/admin/v1/policies", policy, JSON, 201);
        exchange("GET", "/admin/v1/policies/{name}", "/admin/v1/policies/conform-policy", null, JSON, 200);
        exchange("GET", "/admin/v1/policies", "/admin/v1/policies", null, JSON, 200);
        exchange("POST", "/admin/v1/policies", "/admin/v1/policies", "{\"name\": \"untyped\"}", JSON, 400);
        exchange("DELETE", "/admin/v1/policies/{name}", "/admin/v1/policies/conform-policy", null, JSON, 204);
    }

    @Test
    void serviceSchemaAgreesWithServer() {
        String target = "{\"host\": \"127.0.0.1\", \"port\": 9}";
        Map<String, Boolean> bodies = Map.ofEntries(
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"connect\": 500}", true),
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"read\": \"10M\"}", true),
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"read\": \"5x\"}", false),
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"read\": 1.5}", false),
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"read\": 0}", false),
                Map.entry("\"targets\": [" + target + "], \"timeouts\": {\"read\": \"1500\"}", false),
                Map.entry("\"targets\": [" + target + "], \"protocol\": \"HTTPS\"", true),
                Map.entry("\"targets\": [" + target + "], \"protocol\": \"ftp\"", false),
                Map.entry("\"targets\": [" + target + "], \"loadBalancing\": {\"algorithm\": \"random\"}", false),
                Map.entry("\"targets\": [" + target + "], \"loadBalancing\": {\"hashOn\": \"header:\"}", false),
                Map.entry("\"targets\": [" + target + "], \"retries\": {\"attempts\": 11}", false),
                Map.entry("\"targets\": [" + target + "], \"retries\": {\"budget\": 1.5}", false),
                Map.entry("\"targets\": [" + target + "], \"retries\": {\"statuses\": [99]}", false),
                Map.entry("\"targets\": [" + target + "], \"retries\": {\"statuses\": [599]}", true),
                Map.entry("\"targets\": [" + target + "], \"healthCheck\": {\"active\": {\"interval\": 50}}", false),
                Map.entry("\"targets\": [" + target + "], \"circuitBreaker\": {\"window\": 500}", false),
                Map.entry("\"targets\": [" + target + "], \"circuitBreaker\": {\"window\": \"20s\"}", true),
                Map.entry("\"targets\": [" + target + "], \"unknown\": 1", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 0}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 65536}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9, \"weight\": 10001}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\"}]", false),
                Map.entry("\"targets\": [{\"host\": \" \", \"port\": 9}]", false),
                Map.entry("\"targets\": []", false),
                Map.entry("\"protocol\": \"http\"", false));
        bodies.forEach((fields, valid) -> assertAgreement("services", "{\"name\": \"agree\", " + fields + "}", valid));
        assertAgreement("services", "{\"name\": \"bad name\", \"targets\": [" + target + "]}", false);
    }

    @Test
    void routeAndPolicySchemasAgreeWithServer() {
        exchange("POST", "/admin/v1/services", "/admin/v1/services",
                "{\"name\": \"agree-target\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}]}", JSON, 201);
        String route = "{\"name\": \"agree\", \"service\": \"agree-target\", ";
        List.of(route + "\"methods\": [\"get\", \"Post\"]}", route + "\"maxBodySize\": 0}",
                route + "\"rewrite\": {\"regex\": \"^/a\", \"replacement\": \"/b\"}}",
                route + "\"policies\": [{\"name\": \"ip-restriction\", \"config\": {\"allow\": [\"::1\"]}}]}")
                .forEach(body -> assertAgreement("routes", body, true));
        List.of(route + "\"methods\": [\"FETCH\"]}", route + "\"maxBodySize\": -1}",
                route + "\"rewrite\": {\"regex\": \"^/a\"}}", route + "\"policies\": [{}]}",
                "{\"service\": \"agree-target\"}")
                .forEach(body -> assertAgreement("routes", body, false));
        assertAgreement("policies", "{\"name\": \"agree\", \"type\": \"ip-restriction\","
                + " \"config\": {\"allow\": [\"::1\"]}, \"order\": null}", true);
        assertAgreement("policies", "{\"name\": \"agree\", \"config\": {}}", false);
        exchange("DELETE", "/admin/v1/services/{name}", "/admin/v1/services/agree-target", null, JSON, 204);
    }

    /**
     * Sends {@code body} to create a resource of {@code kind}, and requires the server to accept it exactly when the
     * document's request schema does. A created resource is deleted again.
     */
    private static void assertAgreement(String kind, String body, boolean valid) {
        OutputUnit schemaVerdict = validate(requestPointer("/admin/v1/" + kind, "post", JSON), body);
        HttpResponse<String> response = node.adminRequest("POST", "/admin/v1/" + kind, body,
                "Authorization", "Bearer " + TestNode.TOKEN, "Content-Type", JSON);

        assertThat(schemaVerdict.getValid()).as("schema verdict on %s: %s", body, schemaVerdict.getErrors())
                .isEqualTo(valid);
        assertThat(response.statusCode()).as("server verdict on %s: %s", body, response.body())
                .isEqualTo(valid ? 201 : 400);
        if (response.statusCode() == 201) {
            String name = new JsonObject(response.body()).getString("name");
            node.admin("DELETE", "/admin/v1/" + kind + "/" + name, null, 204);
        }
    }

    /**
     * Sends one admin request, requires {@code status}, and validates the request body and the response body
     * against the schemas of {@code template} in the document: the request body must be valid unless the status is
     * 400. Returns the response.
     *
     * @param headers extra request headers as name, value pairs
     */
    private static HttpResponse<String> exchange(String method, String template, String path, String body,
                                                 String mediaType, int status, String... headers) {
        String operation = method.toLowerCase(Locale.ROOT);
        if (body != null) {
            // The server rejects a body that breaks its schema with 400, and accepts every other one.
            OutputUnit request = validate(requestPointer(template, operation, mediaType), body);
            assertThat(request.getValid()).as("%s %s request %s: %s", method, path, body, request.getErrors())
                    .isEqualTo(status != 400);
        }
        String[] all = new String[headers.length + 4];
        all[0] = "Authorization";
        all[1] = "Bearer " + TestNode.TOKEN;
        all[2] = "Content-Type";
        all[3] = mediaType;
        System.arraycopy(headers, 0, all, 4, headers.length);
        HttpResponse<String> response = node.adminRequest(method, path, body, all);
        assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isEqualTo(status);

        JsonObject documented = documentedResponse(template, operation, status);
        assertThat(documented).as("%s %s documents status %d", method, template, status).isNotNull();
        if (!response.body().isEmpty()) {
            String contentType = response.headers().firstValue("Content-Type").orElse("").split(";")[0].trim();
            JsonObject content = documented.getJsonObject("content", new JsonObject());
            assertThat(content.containsKey(contentType))
                    .as("%s %s %d documents %s", method, template, status, contentType).isTrue();
            assertThat(content.getJsonObject(contentType).containsKey("schema"))
                    .as("%s %s %d has a schema for %s", method, template, status, contentType).isTrue();
            OutputUnit result = validate(responsePointer(template, operation, status, contentType), response.body());
            assertThat(result.getValid()).as("%s %s response %s: %s", method, path, response.body(),
                    result.getErrors()).isTrue();
        }
        return response;
    }

    /** Returns the response object of {@code status}, following a reference to the shared responses. */
    private static JsonObject documentedResponse(String template, String operation, int status) {
        JsonObject response = document.getJsonObject("paths").getJsonObject(template).getJsonObject(operation)
                .getJsonObject("responses").getJsonObject(Integer.toString(status));
        if (response != null && response.containsKey("$ref")) {
            String name = response.getString("$ref").substring("#/components/responses/".length());
            return document.getJsonObject("components").getJsonObject("responses").getJsonObject(name);
        }
        return response;
    }

    private static String requestPointer(String template, String operation, String mediaType) {
        return "/paths/" + escape(template) + "/" + operation + "/requestBody/content/" + escape(mediaType)
                + "/schema";
    }

    private static String responsePointer(String template, String operation, int status, String mediaType) {
        JsonObject response = document.getJsonObject("paths").getJsonObject(template).getJsonObject(operation)
                .getJsonObject("responses").getJsonObject(Integer.toString(status));
        String base = response.containsKey("$ref") ? response.getString("$ref").substring(1)
                : "/paths/" + escape(template) + "/" + operation + "/responses/" + status;
        return base + "/content/" + escape(mediaType) + "/schema";
    }

    /**
     * Escapes a JSON Pointer token (RFC 6901 section 3) for a URI fragment, which needs the braces of a path
     * template percent-encoded (section 6).
     */
    private static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1").replace("{", "%7B").replace("}", "%7D");
    }

    private static OutputUnit validate(String pointer, String json) {
        JsonSchema schema = JsonSchema.of(new JsonObject().put("$ref", DOCUMENT_URI + "#" + pointer));
        return repository.validator(schema, OPTIONS).validate(new JsonObject(json));
    }
}

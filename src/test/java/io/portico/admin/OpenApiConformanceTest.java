package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.config.ResourceKind;
import io.portico.config.ResourceKinds;
import io.portico.config.SecretFields;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.vertx.core.json.JsonObject;
import io.vertx.json.schema.Draft;
import io.vertx.json.schema.JsonSchema;
import io.vertx.json.schema.JsonSchemaOptions;
import io.vertx.json.schema.OutputFormat;
import io.vertx.json.schema.OutputUnit;
import io.vertx.json.schema.SchemaRepository;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
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
        String healthPath = "\"targets\": [" + target + "], \"healthCheck\": {\"active\": {\"path\": ";
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
                Map.entry(healthPath + "\"health\"}}", false),
                Map.entry(healthPath + "\"/a#b\"}}", false),
                Map.entry(healthPath + "\"/a%2\"}}", false),
                Map.entry(healthPath + "\"/a\\\\b\"}}", false),
                Map.entry(healthPath + "\"/a b\"}}", false),
                Map.entry(healthPath + "\"/\"}}", true),
                Map.entry(healthPath + "\"/a%2F?b=[c]&d\"}}", true),
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
                route + "\"priority\": 2147483647}", route + "\"priority\": -2147483648}",
                route + "\"rewrite\": {\"regex\": \"^/a\", \"replacement\": \"/b\"}}",
                route + "\"policies\": [{\"name\": \"ip-restriction\", \"config\": {\"allow\": [\"::1\"]}}]}")
                .forEach(body -> assertAgreement("routes", body, true));
        List.of(route + "\"methods\": [\"FETCH\"]}", route + "\"maxBodySize\": -1}",
                route + "\"priority\": 2147483648}", route + "\"priority\": -2147483649}",
                route + "\"rewrite\": {\"regex\": \"^/a\"}}", route + "\"policies\": [{}]}",
                "{\"service\": \"agree-target\"}")
                .forEach(body -> assertAgreement("routes", body, false));
        assertAgreement("policies", "{\"name\": \"agree\", \"type\": \"ip-restriction\","
                + " \"config\": {\"allow\": [\"::1\"]}, \"order\": null}", true);
        assertAgreement("policies", "{\"name\": \"agree\", \"config\": {}}", false);
        exchange("DELETE", "/admin/v1/services/{name}", "/admin/v1/services/agree-target", null, JSON, 204);
    }

    @Test
    void scalarFormsAgreeWithServer() {
        String service = "{\"name\": \"agree-forms\", \"protocol\": \"https\", ";
        Map<String, Boolean> bodies = Map.ofEntries(
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": \"8080\"}]", true),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": \" 8080\"}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": \"+8080\"}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": \"08080\"}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": \"\"}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9, \"weight\": \"null\"}]", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"retries\": {\"budget\": \"0.5\"}",
                        true),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"retries\": {\"budget\": \"NaN\"}",
                        false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"pool\": {\"http2\": \"true\"}",
                        true),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"pool\": {\"http2\": 1}", true),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"pool\": {\"http2\": 2}", false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"pool\": {\"http2\": \"TRUE\"}",
                        false),
                Map.entry("\"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}], \"tls\": {\"verify\": \"false\"}",
                        true));
        bodies.forEach((fields, valid) -> assertAgreement("services", service + fields + "}", valid));
    }

    @Test
    void routeBackendsAgreeWithServer() {
        exchange("POST", "/admin/v1/services", "/admin/v1/services",
                "{\"name\": \"backend-target\", \"targets\": [{\"host\": \"127.0.0.1\", \"port\": 9}]}", JSON, 201);
        String route = "{\"name\": \"agree-backend\", \"paths\": [\"/agree-backend\"]";
        String oauth = "\"oauth\": {\"issuer\": \"https://issuer.test\"";
        Map<String, Boolean> bodies = Map.ofEntries(
                Map.entry("", false),
                Map.entry(", \"service\": \"backend-target\"", true),
                Map.entry(", \"service\": \" \"", false),
                Map.entry(", \"service\": \"bad name\"", false),
                Map.entry(", \"ai\": {}", true),
                Map.entry(", \"ai\": {\"models\": [\"gpt-4o\", \"openai/*\"]}, \"service\": null", true),
                Map.entry(", \"ai\": {\"models\": [\" \"]}", false),
                Map.entry(", \"ai\": {}, \"service\": \"backend-target\"", false),
                Map.entry(", \"ai\": {}, \"service\": \"\"", false),
                Map.entry(", " + oauth + ", \"tokenTtl\": \"24h\", \"algorithm\": \"ES256\"}", true),
                Map.entry(", " + oauth + "}, \"service\": \"backend-target\"", false),
                Map.entry(", " + oauth + "}, \"ai\": {}", false),
                Map.entry(", \"oauth\": {\"audience\": [\"orders\"]}", false),
                Map.entry(", " + oauth + ", \"algorithm\": \"HS256\"}", false),
                Map.entry(", " + oauth + ", \"tokenTtl\": 90000000}", false),
                Map.entry(", " + oauth + ", \"keyRotation\": 30000}", false));
        bodies.forEach((fields, valid) -> assertAgreement("routes", route + fields + "}", valid));
        exchange("DELETE", "/admin/v1/services/{name}", "/admin/v1/services/backend-target", null, JSON, 204);
    }

    @Test
    void teamSchemaAgreesWithServer() {
        assertAgreement("teams", "{\"name\": \"agree-team\", \"description\": \"all of us\"}", true);
        assertAgreement("teams", "{\"description\": \"no name\"}", false);
        assertAgreement("teams", "{\"name\": \"bad name\"}", false);
        assertAgreement("teams", "{\"name\": \"agree-team\", \"members\": []}", false);
    }

    @Test
    void providerAndModelSchemasAgreeWithServer() {
        String provider = "{\"name\": \"agree-provider\", \"type\": \"openai\", \"keys\": [{\"key\": \"sk-test\"";
        List.of(provider + ", \"weight\": \"3\", \"label\": \"main\"}], \"keyStrategy\": \"weighted\"}",
                provider + "}], \"models\": [\"gpt-4o\"], \"timeouts\": {\"firstToken\": \"30s\"},"
                        + " \"retries\": {\"attempts\": 3, \"backoff\": 100, \"maxBackoff\": \"1s\"}}",
                provider + "}], \"circuitBreaker\": {\"minimumCalls\": 5}}")
                .forEach(body -> assertAgreement("providers", body, true));
        List.of("{\"name\": \"agree-provider\", \"keys\": [{\"key\": \"sk-test\"}]}",
                "{\"name\": \"agree-provider\", \"type\": \"no-such-type\", \"keys\": [{\"key\": \"sk-test\"}]}",
                provider + ", \"weight\": 1001}]}",
                provider + "}], \"keyStrategy\": \"random\"}",
                provider + "}], \"models\": [\"\"]}",
                provider + "}], \"timeouts\": {\"connect\": 0}}",
                provider + "}], \"retries\": {\"attempts\": 0}}",
                provider + "}], \"circuitBreaker\": {\"halfOpenCalls\": 101}}",
                "{\"name\": \"agree-provider\", \"type\": \"openai\", \"keys\": [{\"key\": \"sk-\\ttest\"}]}",
                "{\"name\": \"agree-provider\", \"type\": \"openai\", \"keys\": [{\"weight\": 1}]}")
                .forEach(body -> assertAgreement("providers", body, false));

        node.admin("POST", "/admin/v1/providers", json(provider + "}]}"), 201);
        String model = "{\"name\": \"agree-model\", ";
        String target = "{\"provider\": \"agree-provider\", \"model\": \"gpt-4o\"";
        List.of(model + "\"targets\": [" + target + "}]}",
                model + "\"strategy\": \"weighted\", \"targets\": [" + target + ", \"weight\": \"5\"}]}")
                .forEach(body -> assertAgreement("models", body, true));
        List.of(model + "\"targets\": []}", model + "\"strategy\": \"random\", \"targets\": [" + target + "}]}",
                model + "\"targets\": [" + target + ", \"weight\": -1}]}",
                model + "\"targets\": [{\"provider\": \"agree-provider\"}]}",
                "{\"name\": \"agree/model\", \"targets\": [" + target + "}]}")
                .forEach(body -> assertAgreement("models", body, false));
        node.admin("DELETE", "/admin/v1/providers/agree-provider", null, 204);
    }

    @Test
    void certificateSchemaAgreesWithServer() {
        TestCertificates.Issued server = TestCertificates.selfSignedServer("agree.test");
        TestCertificates.Issued authority = TestCertificates.authority("Agree CA");
        ObjectNode serving = Json.MAPPER.createObjectNode().put("name", "agree-cert")
                .put("certificate", server.certificatePem()).put("key", server.privateKeyPem());
        assertAgreement("certificates", serving.toString(), true);
        assertAgreement("certificates", serving.deepCopy().put("usage", "server").toString(), true);
        assertAgreement("certificates", serving.deepCopy().put("usage", "client").toString(), false);
        assertAgreement("certificates", serving.deepCopy().without("key").toString(), false);
        assertAgreement("certificates", serving.deepCopy().without("certificate").toString(), false);

        ObjectNode clientCa = Json.MAPPER.createObjectNode().put("name", "agree-ca")
                .put("certificate", authority.certificatePem()).put("usage", "client-ca");
        assertAgreement("certificates", clientCa.toString(), true);
        assertAgreement("certificates", clientCa.deepCopy().put("key", server.privateKeyPem()).toString(), false);
    }

    @Test
    void consumerCredentialAndSubscriptionSchemasAgreeWithServer() {
        node.admin("POST", "/admin/v1/teams", json("{\"name\": \"agree-owners\"}"), 201);
        String consumer = "{\"name\": \"agree-consumer\", \"team\": \"agree-owners\"";
        List.of(consumer + ", \"disabled\": \"false\", \"labels\": {\"tier\": \"gold\"}}",
                consumer + ", \"access\": {\"methods\": [\"get\"], \"routes\": {\"allow\": [\"orders-*\"]},"
                        + " \"models\": {\"deny\": [\"*\"]}}}")
                .forEach(body -> assertAgreement("consumers", body, true));
        List.of("{\"name\": \"agree-consumer\"}", consumer + ", \"disabled\": \"yes\"}",
                consumer + ", \"access\": {\"methods\": [\"FETCH\"]}}",
                consumer + ", \"access\": {\"routes\": {\"allow\": [\"a*b\"]}}}",
                consumer + ", \"access\": {\"models\": {\"deny\": [\" \"]}}}")
                .forEach(body -> assertAgreement("consumers", body, false));

        node.admin("POST", "/admin/v1/consumers", json(consumer + "}"), 201);
        String credential = "{\"name\": \"agree-credential\", \"consumer\": \"agree-consumer\", ";
        String fingerprint = "AB:".repeat(31) + "CD";
        List.of(credential + "\"type\": \"key-auth\", \"key\": \"agree-key-0123456789\"}",
                credential + "\"type\": \"key-auth\", \"keyHash\": \"" + "0".repeat(64) + "\", \"keyHint\": \"ag...\"}",
                credential + "\"type\": \"hmac\", \"accessKey\": \"agree\", \"secretKey\": \"0123456789abcdef\"}",
                credential + "\"type\": \"jwt\", \"subject\": \"agree\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}",
                credential + "\"type\": \"mtls\", \"fingerprint\": \"" + fingerprint + "\"}",
                credential + "\"type\": \"oauth-client\", \"clientId\": \"agree\", \"clientSecretHash\": \"$2b$12$"
                        + "a".repeat(53) + "\", \"scopes\": [\"read\"]}")
                .forEach(body -> assertAgreement("credentials", body, true));
        List.of(credential + "\"type\": \"key-auth\"}",
                credential + "\"type\": \"key-auth\", \"key\": \"short\"}",
                credential + "\"type\": \"key-auth\", \"keyHash\": \"" + "0".repeat(63) + "\"}",
                credential + "\"type\": \"key-auth\", \"key\": \"agree-key-0123456789\", \"username\": \"x\"}",
                credential + "\"type\": \"basic-auth\", \"username\": \"a:b\", \"passwordHash\": \"$2b$12$"
                        + "a".repeat(53) + "\"}",
                credential + "\"type\": \"basic-auth\", \"password\": \"long enough\"}",
                credential + "\"type\": \"hmac\", \"accessKey\": \"agree\", \"secretKey\": \"short\"}",
                credential + "\"type\": \"jwt\"}",
                credential + "\"type\": \"jwt\", \"subject\": \"agree\", \"expiresAt\": 4070908800}",
                credential + "\"type\": \"mtls\", \"fingerprint\": \"AB:CD\"}",
                credential + "\"type\": \"oauth-client\", \"clientSecret\": \"0123456789abcdef\"}",
                credential + "\"type\": \"oauth\"}",
                "{\"name\": \"agree-credential\", \"type\": \"jwt\", \"subject\": \"agree\"}")
                .forEach(body -> assertAgreement("credentials", body, false));

        node.admin("POST", "/admin/v1/apis", json("{\"name\": \"agree-api\", \"team\": \"agree-owners\"}"), 201);
        String subscription = "{\"name\": \"agree-subscription\", \"consumer\": \"agree-consumer\","
                + " \"api\": \"agree-api\"";
        List.of(subscription + "}", subscription + ", \"status\": \"active\", \"reason\": \"" + "r".repeat(1024)
                        + "\", \"expiresAt\": \"2099-01-01T09:30:00.5+01:00\"}")
                .forEach(body -> assertAgreement("subscriptions", body, true));
        List.of("{\"name\": \"agree-subscription\", \"consumer\": \"agree-consumer\"}",
                subscription + ", \"status\": \"paused\"}",
                subscription + ", \"reason\": \"" + "r".repeat(1025) + "\"}",
                subscription + ", \"expiresAt\": \"2099-01-01\"}",
                subscription + ", \"history\": [{\"status\": \"active\", \"at\": \"2099-01-01T00:00:00Z\"}]}")
                .forEach(body -> assertAgreement("subscriptions", body, false));

        node.admin("DELETE", "/admin/v1/apis/agree-api", null, 204);
        node.admin("DELETE", "/admin/v1/consumers/agree-consumer", null, 204);
        node.admin("DELETE", "/admin/v1/teams/agree-owners", null, 204);
    }

    @Test
    void apiAndPolicySchemasAgreeWithServer() {
        List.of("{\"name\": \"agree-api\", \"approval\": \"auto\", \"subscriptionRequired\": 0}",
                "{\"name\": \"agree-api\", \"policies\": [{\"name\": \"ip-restriction\","
                        + " \"config\": {\"allow\": [\"::1\"]}}]}")
                .forEach(body -> assertAgreement("apis", body, true));
        List.of("{\"approval\": \"auto\"}", "{\"name\": \"agree-api\", \"approval\": \"sometimes\"}",
                "{\"name\": \"agree-api\", \"team\": \"bad team\"}",
                "{\"name\": \"agree-api\", \"policies\": [{\"name\": \"no-such-policy\"}]}")
                .forEach(body -> assertAgreement("apis", body, false));
        assertAgreement("policies", "{\"name\": \"agree\", \"type\": \"no-such-policy\"}", false);
        assertAgreement("policies", "{\"name\": \"agree\", \"type\": \"ip-restriction\","
                + " \"config\": {\"allow\": [\"::1\"]}, \"order\": \"2\"}", true);
    }

    @Test
    void generatedCredentialSchemaAgreesWithServer() {
        node.admin("POST", "/admin/v1/teams", json("{\"name\": \"generated-owners\"}"), 201);
        node.admin("POST", "/admin/v1/consumers",
                json("{\"name\": \"generated-consumer\", \"team\": \"generated-owners\"}"), 201);
        String path = "/admin/v1/consumers/generated-consumer/credentials";
        String template = "/admin/v1/consumers/{name}/credentials";
        List.of("{\"type\": \"key-auth\"}", "{\"type\": \"basic-auth\"}", "{\"type\": \"hmac\"}",
                "{\"type\": \"oauth-client\", \"clientId\": \"generated\"}",
                "{\"type\": \"jwt\", \"issuer\": \"https://issuer.test\", \"consumer\": \"generated-consumer\"}")
                .forEach(body -> assertAgreement(template, path, "credentials", body, true));
        List.of("{\"type\": \"oauth-client\"}", "{\"type\": \"mtls\"}",
                "{\"type\": \"hmac\", \"secretKey\": \"short\"}", "{\"type\": \"basic-auth\", \"clientId\": \"x\"}",
                "{\"type\": \"jwt\", \"issuer\": \"https://issuer.test\", \"name\": \"bad name\"}")
                .forEach(body -> assertAgreement(template, path, "credentials", body, false));
        node.admin("DELETE", "/admin/v1/consumers/generated-consumer", null, 204);
        node.admin("DELETE", "/admin/v1/teams/generated-owners", null, 204);
    }

    @Test
    void resourceExchangesMatchDocument() {
        TestCertificates.Issued server = TestCertificates.selfSignedServer("exchange.test");
        ObjectNode certificate = Json.MAPPER.createObjectNode().put("name", "exchange-cert")
                .put("certificate", server.certificatePem()).put("key", server.privateKeyPem());
        Map<String, String> bodies = new LinkedHashMap<>();
        bodies.put("teams", "{\"name\": \"exchange-team\", \"description\": \"exchange\"}");
        bodies.put("providers", "{\"name\": \"exchange-provider\", \"type\": \"openai\", \"team\": \"exchange-team\","
                + " \"keys\": [{\"key\": \"sk-exchange\", \"weight\": \"2\"}],"
                + " \"headers\": {\"X-Api-Key\": \"extra-secret\", \"X-Trace\": \"on\"}}");
        bodies.put("models", "{\"name\": \"exchange-model\", \"targets\": [{\"provider\": \"exchange-provider\","
                + " \"model\": \"gpt-4o\"}]}");
        bodies.put("apis", "{\"name\": \"exchange-api\", \"team\": \"exchange-team\", \"approval\": \"auto\"}");
        bodies.put("routes", "{\"name\": \"exchange-route\", \"paths\": [\"/exchange-ai\"], \"ai\": {}}");
        bodies.put("certificates", certificate.toString());
        bodies.put("consumers", "{\"name\": \"exchange-consumer\", \"team\": \"exchange-team\", \"disabled\": 0}");
        bodies.put("credentials", "{\"name\": \"exchange-key\", \"consumer\": \"exchange-consumer\","
                + " \"type\": \"key-auth\", \"key\": \"exchange-key-0123456789\"}");
        bodies.put("subscriptions", "{\"name\": \"exchange-subscription\", \"consumer\": \"exchange-consumer\","
                + " \"api\": \"exchange-api\", \"expiresAt\": \"2099-01-01T00:00:00Z\"}");
        assertThat(bodies.keySet()).as("every kind but services and policies, which tests of their own send")
                .containsExactlyInAnyOrderElementsOf(ResourceKinds.all().stream().map(ResourceKind::name)
                        .filter(kind -> !kind.equals("services") && !kind.equals("policies")).toList());

        bodies.forEach((kind, body) -> {
            String name = new JsonObject(body).getString("name");
            exchange("POST", "/admin/v1/" + kind, "/admin/v1/" + kind, body, JSON, 201);
            exchange("GET", "/admin/v1/" + kind + "/{name}", "/admin/v1/" + kind + "/" + name, null, JSON, 200);
            exchange("GET", "/admin/v1/" + kind, "/admin/v1/" + kind, null, JSON, 200);
        });
        List<String> kinds = new ArrayList<>(bodies.keySet());
        Collections.reverse(kinds);
        for (String kind : kinds) {
            String name = new JsonObject(bodies.get(kind)).getString("name");
            exchange("DELETE", "/admin/v1/" + kind + "/{name}", "/admin/v1/" + kind + "/" + name, null, JSON, 204);
        }
    }

    @Test
    void resourceOperationsDeclareConditionalHeaders() {
        JsonObject paths = document.getJsonObject("paths");
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            JsonObject item = paths.getJsonObject("/admin/v1/" + kind.name() + "/{name}");
            for (String method : List.of("get", "put", "patch", "delete")) {
                List<String> headers = new ArrayList<>();
                item.getJsonObject(method).getJsonArray("parameters").forEach(parameter -> {
                    JsonObject declared = (JsonObject) parameter;
                    if ("header".equals(declared.getString("in"))) {
                        headers.add(declared.getString("name"));
                    }
                });
                assertThat(headers).as("%s %s", method, kind.name()).contains("If-Match", "If-None-Match");
            }
            JsonObject get = item.getJsonObject("get").getJsonObject("responses");
            assertThat(get.getJsonObject("200").getJsonObject("headers").containsKey("ETag")).isTrue();
            JsonObject created = paths.getJsonObject("/admin/v1/" + kind.name()).getJsonObject("post")
                    .getJsonObject("responses").getJsonObject("201").getJsonObject("headers");
            assertThat(created.fieldNames()).as(kind.name()).contains("ETag", "Location");
            assertThat(item.getJsonObject("patch").getJsonObject("requestBody").getJsonObject("content")
                    .fieldNames()).as(kind.name()).contains(MERGE_PATCH, JSON);
        }
    }

    @Test
    void secretFieldsAreWriteOnly() {
        JsonObject schemas = document.getJsonObject("components").getJsonObject("schemas");
        for (ResourceKind<?> kind : ResourceKinds.all()) {
            for (String secret : kind.secretFields()) {
                JsonObject property = secretProperty(schemas.getJsonObject(kind.name()), secret);
                if (secret.endsWith("." + SecretFields.CREDENTIAL_HEADER)) {
                    assertThat(property).as("%s %s", kind.name(), secret).isNotNull();
                    assertThat(property.getString("description")).as("%s %s", kind.name(), secret)
                            .startsWith("The values of credential headers");
                } else if (property != null) {
                    assertThat(property.getBoolean("writeOnly")).as("%s %s writeOnly", kind.name(), secret)
                            .isTrue();
                } else {
                    // A secret inside a policy configuration, whose schema is any object.
                    assertThat(secret).as("%s %s", kind.name(), secret).contains("config.");
                }
            }
        }
    }

    /** Returns the schema of the secret field {@code path} in {@code schema}, or null inside a free-form object. */
    private static JsonObject secretProperty(JsonObject schema, String path) {
        String field = path.endsWith("." + SecretFields.CREDENTIAL_HEADER)
                ? path.substring(0, path.length() - SecretFields.CREDENTIAL_HEADER.length() - 1) : path;
        JsonObject current = schema;
        for (String part : field.split("\\.")) {
            boolean list = part.endsWith("[]");
            JsonObject properties = current.getJsonObject("properties");
            if (properties == null) {
                return null;
            }
            current = properties.getJsonObject(list ? part.substring(0, part.length() - 2) : part);
            if (current == null) {
                return null;
            }
            if (list) {
                current = current.getJsonObject("items");
            }
        }
        return current;
    }

    private static JsonNode json(String body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid test body " + body, e);
        }
    }

    /**
     * Sends {@code body} to create a resource of {@code kind}, and requires the server to accept it exactly when the
     * document's request schema does. A created resource is deleted again.
     */
    private static void assertAgreement(String kind, String body, boolean valid) {
        assertAgreement("/admin/v1/" + kind, "/admin/v1/" + kind, kind, body, valid);
    }

    /**
     * Sends {@code body} to the POST operation {@code template} at {@code path}, which creates a resource of
     * {@code kind}, and requires the server to accept it exactly when the document's request schema does. A created
     * resource is deleted again.
     */
    private static void assertAgreement(String template, String path, String kind, String body, boolean valid) {
        OutputUnit schemaVerdict = validate(requestPointer(template, "post", JSON), body);
        HttpResponse<String> response = node.adminRequest("POST", path, body,
                "Authorization", "Bearer " + TestNode.TOKEN, "Content-Type", JSON);

        if (response.statusCode() == 201) {
            String name = new JsonObject(response.body()).getString("name");
            node.admin("DELETE", "/admin/v1/" + kind + "/" + name, null, 204);
        }

        assertThat(schemaVerdict.getValid()).as("schema verdict on %s: %s", body, schemaVerdict.getErrors())
                .isEqualTo(valid);
        assertThat(response.statusCode()).as("server verdict on %s: %s", body, response.body())
                .isEqualTo(valid ? 201 : 400);
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

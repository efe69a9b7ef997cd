package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.declarative.Secrets;
import io.portico.policy.auth.TestHttpServer;
import io.portico.testing.Configs;
import io.portico.testing.TestCertificates;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A write that keeps a stored secret by its masked hint cannot change where that secret is sent, on a real node. A
 * team admin, who cannot read secrets, must not be able to point an introspection URL, a provider's base URL or a
 * service's targets at a server of their own and have Portico send it the stored secret.
 */
class SecretDestinationTest {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final String CLIENT_SECRET = "introspection-client-secret-4711";
    private static final String PROVIDER_KEY = "sk-provider-key-0123456789";
    private static final String AWS_SECRET = "aws-secret-access-key-0123456789";
    private static final TestCertificates.Issued CLIENT_CERTIFICATE =
            TestCertificates.client(TestCertificates.authority("Upstream CA"), "portico");

    /** The Authorization headers that the attacker's server received. */
    private static final List<String> STOLEN = new CopyOnWriteArrayList<>();

    private static TestHttpServer authorizationServer;
    private static TestHttpServer attacker;
    private static TestUpstream upstream;
    private static TestNode node;
    private static String teamAdmin;

    @BeforeAll
    static void start() {
        authorizationServer = TestHttpServer.start();
        authorizationServer.respond(200, "{\"active\":true,\"client_id\":\"red-app\"}");
        attacker = TestHttpServer.start();
        attacker.handler(request -> {
            STOLEN.add(String.valueOf(request.getHeader("Authorization")));
            request.response().putHeader("content-type", "application/json").end("{\"active\":false}");
        });
        upstream = TestUpstream.start("protected");
        node = TestNode.start();
        Configs config = Configs.document();
        config.resource("teams", "red");
        config.resource("consumers", "red-app").put("team", "red");
        config.service("app", upstream.port()).put("team", "red");
        introspectionRoute(config.route("orders", "app", "/orders").put("team", "red"), authorizationServer);
        config.resource("policies", "introspection").put("type", "oauth-introspection")
                .set("config", introspectionConfig(authorizationServer.url("/introspect"), CLIENT_SECRET));
        config.provider("red-ai", "openai", "http://127.0.0.1:1/v1", PROVIDER_KEY).put("team", "red");
        config.resource("providers", "bedrock").put("type", "bedrock").put("region", "us-east-1")
                .put("accessKeyId", "AKIAEXAMPLE").put("secretAccessKey", AWS_SECRET);
        ObjectNode mtls = config.service("mtls", 8443).put("protocol", "https").put("team", "red");
        mtls.putObject("tls").put("clientCertificate", CLIENT_CERTIFICATE.certificatePem())
                .put("clientKey", CLIENT_CERTIFICATE.privateKeyPem());
        node.apply(config.build());
        teamAdmin = userToken("tara", "team-admin", "red");
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        attacker.close();
        authorizationServer.close();
    }

    private static void introspectionRoute(ObjectNode route, TestHttpServer server) {
        route.putArray("policies").addObject().put("name", "oauth-introspection")
                .set("config", introspectionConfig(server.url("/introspect"), CLIENT_SECRET));
    }

    private static ObjectNode introspectionConfig(String url, String secret) {
        return Json.MAPPER.createObjectNode().put("introspectionUrl", url).put("clientId", "portico")
                .put("clientSecret", secret).put("allowPrivateAddresses", true);
    }

    @Test
    void teamAdminCannotNameNodeFiles() throws IOException {
        Path certificate = Files.createTempFile("portico-client", ".pem");
        Path key = Files.createTempFile("portico-client", ".key");
        Files.writeString(certificate, CLIENT_CERTIFICATE.certificatePem());
        Files.writeString(key, CLIENT_CERTIFICATE.privateKeyPem());
        Map<String, Path> files = Map.of("caCertificate", certificate, "clientCertificate", certificate,
                "clientKey", key);
        for (String field : List.of("caCertificate", "clientCertificate", "clientKey")) {
            ObjectNode service = Json.MAPPER.createObjectNode().put("name", "files-" + field.toLowerCase())
                    .put("protocol", "https").put("team", "red");
            service.putArray("targets").addObject().put("host", "127.0.0.1").put("port", 8443);
            ObjectNode tls = service.putObject("tls");
            if (!field.equals("caCertificate")) {
                // A client certificate and key must be given together; the other one is inline PEM.
                tls.put("clientCertificate", CLIENT_CERTIFICATE.certificatePem())
                        .put("clientKey", CLIENT_CERTIFICATE.privateKeyPem());
            }
            tls.put(field, files.get(field).toString());

            Answer created = request("POST", "/admin/v1/services", service, teamAdmin);

            assertThat(created.status()).as(created.body().toString()).isEqualTo(400);
            assertThat(errors(created)).as(field).containsExactly("tls." + field);
            assertThat(messages(created).get(0)).contains("only platform admins");
        }
        Files.delete(certificate);
        Files.delete(key);
    }

    @Test
    void teamAdminCannotRepointIntrospectionUrl() throws Exception {
        JsonNode route = request("GET", "/admin/v1/routes/orders", null, teamAdmin).body();
        ObjectNode patch = Json.MAPPER.createObjectNode();
        ArrayNode policies = route.get("policies").deepCopy();
        ((ObjectNode) policies.get(0).get("config")).put("introspectionUrl", attacker.url("/steal"));
        patch.set("policies", policies);

        Answer patched = request("PATCH", "/admin/v1/routes/orders", patch, teamAdmin);
        HttpResponse<String> call = HTTP.send(HttpRequest.newBuilder(URI.create(node.url() + "/orders/echo"))
                .header("Authorization", "Bearer any-token").build(), HttpResponse.BodyHandlers.ofString());

        assertThat(patched.status()).as(patched.body().toString()).isEqualTo(400);
        assertThat(errors(patched)).containsExactly("policies[0].config.clientSecret");
        assertThat(messages(patched).get(0)).contains("policies[0].config.introspectionUrl changed")
                .contains("send the secret itself again");
        assertThat(call.statusCode()).as("the route still asks the real server").isEqualTo(200);
        assertThat(STOLEN).isEmpty();
    }

    @Test
    void replaceKeepingHintCannotRepoint() {
        HttpResponse<String> read = node.adminRaw("GET", "/admin/v1/routes/orders", null);
        ObjectNode route = json(read.body());
        ((ObjectNode) route.at("/policies/0/config")).put("introspectionUrl", attacker.url("/steal"));

        HttpResponse<String> replaced = node.adminRaw("PUT", "/admin/v1/routes/orders", route,
                Map.of("If-Match", read.headers().firstValue("ETag").orElseThrow()));

        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(400);
        assertThat(errors(json(replaced.body()))).containsExactly("policies[0].config.clientSecret");
        assertThat(storedRoute().at("/policies/0/config/introspectionUrl").asText())
                .isEqualTo(authorizationServer.url("/introspect"));
    }

    @Test
    void hintCopiedToNewPolicyCannotRepoint() {
        JsonNode route = node.admin("GET", "/admin/v1/routes/orders", null, 200);
        ArrayNode policies = (ArrayNode) route.get("policies").deepCopy();
        ObjectNode copy = policies.addObject().put("name", "oauth-introspection");
        copy.set("config", policies.get(0).get("config").deepCopy());
        ((ObjectNode) copy.get("config")).put("introspectionUrl", attacker.url("/steal"));
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.set("policies", policies);

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/routes/orders", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(errors(json(patched.body()))).containsExactly("policies[1].config.clientSecret");
    }

    @Test
    void hintKeepsSecretWhenDestinationStays() {
        JsonNode route = node.admin("GET", "/admin/v1/routes/orders", null, 200);
        ArrayNode policies = (ArrayNode) route.get("policies").deepCopy();
        ((ObjectNode) policies.get(0).get("config")).put("cacheTtl", "1m");
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.set("policies", policies);

        node.admin("PATCH", "/admin/v1/routes/orders", patch, 200);

        assertThat(storedRoute().at("/policies/0/config/clientSecret").asText()).isEqualTo(CLIENT_SECRET);
        assertThat(storedRoute().at("/policies/0/config/cacheTtl").asText()).isEqualTo("1m");
    }

    @Test
    void newDestinationTakesSecretSentAgain() {
        ObjectNode policy = node.admin("GET", "/admin/v1/policies/introspection", null, 200).deepCopy();
        ((ObjectNode) policy.get("config")).put("introspectionUrl", authorizationServer.url("/introspect/v2"))
                .put("clientSecret", CLIENT_SECRET);
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.set("config", policy.get("config"));

        node.admin("PATCH", "/admin/v1/policies/introspection", patch, 200);

        JsonNode stored = node.portico().store().get("policies", "introspection").orElseThrow().spec();
        assertThat(stored.at("/config/introspectionUrl").asText()).endsWith("/introspect/v2");
        assertThat(stored.at("/config/clientSecret").asText()).isEqualTo(CLIENT_SECRET);
    }

    @Test
    void mergePatchWithoutSecretCannotRepoint() {
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putObject("config").put("introspectionUrl", attacker.url("/steal"));

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/policies/introspection", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(errors(json(patched.body()))).containsExactly("config.clientSecret");
    }

    @Test
    void policyTypeChangeNeedsSecretAgain() {
        ObjectNode patch = Json.MAPPER.createObjectNode().put("type", "jwt");

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/policies/introspection", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(patched.body()).contains("config.clientSecret").contains("type changed");
    }

    @Test
    void providerKeysFollowBaseUrl() {
        ObjectNode patch = Json.MAPPER.createObjectNode().put("baseUrl", attacker.url("/v1"));

        Answer patched = request("PATCH", "/admin/v1/providers/red-ai", patch, teamAdmin);

        assertThat(patched.status()).as(patched.body().toString()).isEqualTo(400);
        assertThat(errors(patched)).containsExactly("keys[0].key");
        assertThat(messages(patched).get(0)).contains("baseUrl changed");
    }

    @Test
    void providerKeysStayForOtherChanges() {
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putArray("models").add("gpt-4o");

        Answer patched = request("PATCH", "/admin/v1/providers/red-ai", patch, teamAdmin);

        assertThat(patched.status()).as(patched.body().toString()).isEqualTo(200);
        JsonNode stored = node.portico().store().get("providers", "red-ai").orElseThrow().spec();
        assertThat(stored.at("/keys/0/key").asText()).isEqualTo(PROVIDER_KEY);
    }

    @Test
    void awsSecretFollowsRegion() {
        ObjectNode patch = Json.MAPPER.createObjectNode().put("region", "eu-west-1");

        HttpResponse<String> patched = node.adminRaw("PATCH", "/admin/v1/providers/bedrock", patch);

        assertThat(patched.statusCode()).as(patched.body()).isEqualTo(400);
        assertThat(errors(json(patched.body()))).containsExactly("secretAccessKey");
    }

    @Test
    void clientKeyFollowsServiceTargets() {
        ObjectNode patch = Json.MAPPER.createObjectNode();
        patch.putArray("targets").addObject().put("host", "127.0.0.2").put("port", 8443);

        Answer patched = request("PATCH", "/admin/v1/services/mtls", patch, teamAdmin);

        assertThat(patched.status()).as(patched.body().toString()).isEqualTo(400);
        assertThat(errors(patched)).containsExactly("tls.clientKey");
        assertThat(messages(patched).get(0)).contains("targets changed");
    }

    @Test
    void applyKeepingHintCannotRepoint() {
        ObjectNode document = json(node.adminRaw("GET", "/admin/v1/config?format=json", null).body());
        ArrayNode routes = (ArrayNode) document.get("routes");
        int index = indexOf(routes, "orders");
        ((ObjectNode) routes.get(index).at("/policies/0/config")).put("introspectionUrl", attacker.url("/steal"));

        HttpResponse<String> diff = node.adminRaw("POST", "/admin/v1/config/diff", document);
        HttpResponse<String> applied = node.adminRaw("POST", "/admin/v1/config/apply", document);

        String field = "routes[" + index + "].policies[0].config.clientSecret";
        assertThat(diff.statusCode()).as(diff.body()).isEqualTo(400);
        assertThat(errors(json(diff.body()))).containsExactly(field);
        assertThat(applied.statusCode()).as(applied.body()).isEqualTo(400);
        assertThat(errors(json(applied.body()))).containsExactly(field);
        assertThat(storedRoute().at("/policies/0/config/introspectionUrl").asText())
                .isEqualTo(authorizationServer.url("/introspect"));
    }

    @Test
    void hintFromOtherResourceIsStillRejected() {
        ObjectNode policy = Json.MAPPER.createObjectNode().put("name", "copied").put("type", "oauth-introspection");
        policy.set("config", introspectionConfig(authorizationServer.url("/introspect"),
                Secrets.hint(CLIENT_SECRET)));

        HttpResponse<String> created = node.adminRaw("POST", "/admin/v1/policies", policy);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(400);
        assertThat(created.body()).contains("matches no stored value");
    }

    private static JsonNode storedRoute() {
        return node.portico().store().get("routes", "orders").orElseThrow().spec();
    }

    private static int indexOf(ArrayNode resources, String name) {
        for (int i = 0; i < resources.size(); i++) {
            if (resources.get(i).path("name").asText().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name + " is not in the document");
    }

    private static String userToken(String name, String role, String team) {
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", name).put("role", role).put("team", team);
        node.admin("POST", "/admin/v1/users", user, 201);
        return node.admin("POST", "/admin/v1/users/" + name + "/tokens", Json.MAPPER.createObjectNode(), 201)
                .path("token").asText();
    }

    /** A response's status and JSON body. */
    private record Answer(int status, JsonNode body) {
    }

    private static Answer request(String method, String path, JsonNode body, String token) {
        HttpResponse<String> response = node.adminRequest(method, path, body == null ? null : body.toString(),
                "Authorization", "Bearer " + token, "Content-Type", "application/json");
        return new Answer(response.statusCode(), json(response.body()));
    }

    private static List<String> errors(Answer answer) {
        return errors(answer.body());
    }

    private static List<String> errors(JsonNode problem) {
        List<String> fields = new ArrayList<>();
        problem.path("errors").forEach(error -> fields.add(error.path("field").asText()));
        return fields;
    }

    private static List<String> messages(Answer answer) {
        List<String> messages = new ArrayList<>();
        answer.body().path("errors").forEach(error -> messages.add(error.path("message").asText()));
        return messages;
    }

    private static ObjectNode json(String text) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(text);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + text, e);
        }
    }
}

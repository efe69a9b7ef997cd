package io.portico.policy.auth;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import io.portico.policy.auth.TestTokens.TestKey;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Key set and introspection URLs on loopback, called by two nodes: one with {@code upstreams.allowPrivateAddresses:
 * false}, which must send nothing to them, and one with the default, which calls them when the policy allows
 * private addresses too. Every server here listens on 127.0.0.1.
 */
class AuthServerAddressTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final TestKey KEY = TestTokens.ec("loopback", Curve.P_256);
    private static final String ACTIVE_TOKEN = "opaque-active-token";
    private static final Map<String, AtomicInteger> CALLS = new ConcurrentHashMap<>();

    private static TestHttpServer authServer;
    private static TestUpstream upstream;
    private static TestNode guarded;
    private static TestNode open;
    private static LogCapture jwksLog;
    private static LogCapture introspectionLog;

    @BeforeAll
    static void start() {
        jwksLog = new LogCapture("io.portico.policy.auth.jwt.JwksCache");
        introspectionLog = new LogCapture("io.portico.policy.auth.introspection.IntrospectionClient");
        authServer = TestHttpServer.start();
        authServer.handler(request -> {
            CALLS.computeIfAbsent(request.path(), unused -> new AtomicInteger()).incrementAndGet();
            String body = request.path().endsWith("/jwks") ? TestTokens.jwks(KEY.publicJwk())
                    : "{\"active\":true,\"sub\":\"alice\"}";
            request.response().putHeader("content-type", "application/json").end(body);
        });
        upstream = TestUpstream.start("authenticated");
        guarded = TestNode.start(Map.of("upstreams.allowPrivateAddresses", "false"));
        guarded.apply(config("guarded").build());
        open = TestNode.start();
        open.apply(config("open").build());
    }

    /** Returns the routes of one node, whose key set and introspection URLs start with {@code /prefix}. */
    private static Configs config(String prefix) {
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        jwt(config, "jwks-literal", authServer.url("/" + prefix + "/literal/jwks")).put("allowPrivateAddresses", true);
        String byName = authServer.url("/" + prefix + "/name/jwks").replace("127.0.0.1", "localhost");
        jwt(config, "jwks-name", byName).put("allowPrivateAddresses", true);
        jwt(config, "jwks-default", authServer.url("/" + prefix + "/default/jwks"));
        config.route("introspection", "app", "/introspection").putArray("policies").addObject()
                .put("name", "oauth-introspection").putObject("config")
                .put("introspectionUrl", authServer.url("/" + prefix + "/introspect"))
                .put("clientId", "portico")
                .put("clientSecret", "introspection-secret")
                .put("consumerClaim", "sub")
                .put("allowPrivateAddresses", true);
        return config;
    }

    private static ObjectNode jwt(Configs config, String name, String url) {
        ObjectNode settings = config.route(name, "app", "/" + name).putArray("policies").addObject()
                .put("name", "jwt").putObject("config")
                .put("jwksUrl", url)
                .put("consumerClaim", "sub");
        settings.putArray("algorithms").add("ES256");
        return settings;
    }

    @AfterAll
    static void stop() {
        guarded.close();
        open.close();
        upstream.close();
        authServer.close();
        jwksLog.close();
        introspectionLog.close();
    }

    @Test
    void guardedNodeSendsNothingToLoopback() throws Exception {
        String token = TestTokens.sign(KEY, JWSAlgorithm.ES256, TestTokens.claims("alice"));

        for (String route : List.of("/jwks-literal", "/jwks-name", "/jwks-default")) {
            HttpResponse<String> response = call(guarded, route, token);

            assertThat(response.statusCode()).as(route).isEqualTo(503);
            assertThat(response.body()).as(route).contains("authentication-unavailable");
        }
        assertThat(call(guarded, "/introspection", ACTIVE_TOKEN).statusCode()).isEqualTo(503);

        assertThat(CALLS.keySet()).noneMatch(path -> path.startsWith("/guarded/"));
        assertThat(jwksLog.messages(Level.WARN)).anyMatch(line -> line.contains("/guarded/literal/jwks")
                && line.contains("127.0.0.1 resolves to the loopback address 127.0.0.1")
                && line.contains("upstreams.allowPrivateAddresses"));
        assertThat(jwksLog.messages(Level.WARN)).anyMatch(line -> line.contains("/guarded/name/jwks")
                && line.contains("localhost resolves to the loopback address"));
        assertThat(introspectionLog.messages(Level.WARN)).anyMatch(line -> line.contains("/guarded/introspect")
                && line.contains("resolves to the loopback address 127.0.0.1"));
    }

    @Test
    void openNodeCallsLoopbackWhenPolicyAllows() throws Exception {
        String token = TestTokens.sign(KEY, JWSAlgorithm.ES256, TestTokens.claims("alice"));

        HttpResponse<String> literal = call(open, "/jwks-literal", token);
        HttpResponse<String> introspected = call(open, "/introspection", ACTIVE_TOKEN);

        assertThat(literal.statusCode()).as(literal.body()).isEqualTo(200);
        assertThat(introspected.statusCode()).as(introspected.body()).isEqualTo(200);
        assertThat(calls("/open/literal/jwks")).isEqualTo(1);
        assertThat(calls("/open/introspect")).isEqualTo(1);
    }

    @Test
    void policyDefaultRejectsLoopback() throws Exception {
        String token = TestTokens.sign(KEY, JWSAlgorithm.ES256, TestTokens.claims("alice"));

        HttpResponse<String> response = call(open, "/jwks-default", token);

        assertThat(response.statusCode()).isEqualTo(503);
        assertThat(calls("/open/default/jwks")).isZero();
    }

    private static int calls(String path) {
        AtomicInteger count = CALLS.get(path);
        return count == null ? 0 : count.get();
    }

    private static HttpResponse<String> call(TestNode node, String path, String token) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }
}

package io.portico.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import at.favre.lib.crypto.bcrypt.BCrypt;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jwt.SignedJWT;
import io.portico.config.CredentialSecrets;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The client-credentials flow end to end: a token from Portico's token endpoint opens a jwt-protected route. */
class AuthorizationServerTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String ISSUER = "https://gw.test/oauth";
    private static final String SECRET = "correct-horse-battery-staple-0123";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() throws Exception {
        upstream = TestUpstream.start("orders");
        node = TestNode.start();
        node.apply(config(false).build());
        Conditions.eventually("the first signing key exists", () -> !keys().getKeys().isEmpty());
    }

    /** Builds the configuration; {@code daveDisabled} disables the credential of the consumer dave. */
    private static Configs config(boolean daveDisabled) throws Exception {
        Configs config = Configs.document();
        config.service("orders", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        config.resource("consumers", "dave").put("team", "shop");
        config.resource("credentials", "alice-app").put("consumer", "alice").put("type", "oauth-client")
                .put("clientId", "alice-app")
                .put("clientSecretHash", BCrypt.withDefaults().hashToString(4, SECRET.toCharArray()))
                .putArray("scopes").add("orders:read").add("orders:write");
        String sha256 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(SECRET.getBytes(StandardCharsets.UTF_8)));
        config.resource("credentials", "dave-app").put("consumer", "dave").put("type", "oauth-client")
                .put("clientId", "dave-app").put("clientSecretHash", sha256).put("disabled", daveDisabled)
                .putArray("scopes").add("orders:read").add("profile");
        ObjectNode oauth = Json.MAPPER.createObjectNode().put("name", "oauth");
        oauth.putArray("paths").add("/oauth");
        oauth.putObject("oauth").put("issuer", ISSUER).putArray("audience").add("orders-api");
        ((com.fasterxml.jackson.databind.node.ArrayNode) config.build().get("routes")).add(oauth);
        ObjectNode orders = config.route("orders", "orders", "/orders");
        ObjectNode jwt = orders.putArray("policies").addObject().put("name", "jwt").putObject("config")
                .put("issuer", ISSUER);
        jwt.putArray("scopes").add("orders:read");
        return config;
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    private static JWKSet keys() {
        try {
            HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url()
                    + "/oauth/jwks.json")).build(), HttpResponse.BodyHandlers.ofString());
            return JWKSet.parse(response.body());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static HttpResponse<String> tokenRequest(String form, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + "/oauth/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static Map<String, String> basic(String clientId, String secret) {
        return Map.of("Authorization", "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + secret)
                .getBytes(StandardCharsets.UTF_8)));
    }

    private static String accessToken(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body()).get("access_token").asText();
    }

    private static HttpResponse<String> callOrders(String token) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/orders/echo"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void tokenFromPorticoOpensProtectedRoute() throws Exception {
        HttpResponse<String> response = tokenRequest("grant_type=client_credentials", basic("alice-app", SECRET));
        String token = accessToken(response);

        HttpResponse<String> orders = callOrders(token);

        assertThat(orders.statusCode()).as(orders.body()).isEqualTo(200);
        assertThat(Json.MAPPER.readTree(orders.body()).get("headers").has("authorization")).isFalse();
        assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
        JsonNode body = Json.MAPPER.readTree(response.body());
        assertThat(body.get("token_type").asText()).isEqualTo("Bearer");
        assertThat(body.get("expires_in").asLong()).isEqualTo(3600);
        assertThat(body.get("scope").asText()).isEqualTo("orders:read orders:write");
    }

    @Test
    void tokenClaimsAndSignature() throws Exception {
        String token = accessToken(tokenRequest("grant_type=client_credentials&scope=orders%3Aread",
                basic("alice-app", SECRET)));
        SignedJWT jwt = SignedJWT.parse(token);
        RSAKey key = keys().getKeyByKeyId(jwt.getHeader().getKeyID()).toRSAKey();

        assertThat(jwt.verify(new RSASSAVerifier(key))).isTrue();
        assertThat(jwt.getHeader().getAlgorithm()).isEqualTo(JWSAlgorithm.RS256);
        assertThat(jwt.getHeader().getType().getType()).isEqualTo("at+jwt");
        var claims = jwt.getJWTClaimsSet();
        assertThat(claims.getIssuer()).isEqualTo(ISSUER);
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly("orders-api");
        assertThat(claims.getStringClaim("client_id")).isEqualTo("alice-app");
        assertThat(claims.getStringClaim("scope")).isEqualTo("orders:read");
        assertThat(claims.getJWTID()).isNotBlank();
        assertThat(claims.getExpirationTime().toInstant())
                .isAfter(Instant.now().plusSeconds(3500)).isBefore(Instant.now().plusSeconds(3700));
        assertThat(claims.getIssueTime()).isNotNull();
    }

    @Test
    void formParametersAuthenticateClient() throws Exception {
        HttpResponse<String> response = tokenRequest("grant_type=client_credentials&client_id=dave-app"
                + "&client_secret=" + SECRET, Map.of());

        assertThat(callOrders(accessToken(response)).statusCode()).isEqualTo(200);
    }

    @Test
    void wrongSecretOrUnknownClientIsInvalidClient() throws Exception {
        HttpResponse<String> wrong = tokenRequest("grant_type=client_credentials", basic("alice-app", "nope"));
        HttpResponse<String> unknown = tokenRequest("grant_type=client_credentials", basic("mallory", SECRET));
        HttpResponse<String> none = tokenRequest("grant_type=client_credentials", Map.of());

        for (HttpResponse<String> response : List.of(wrong, unknown, none)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(Json.MAPPER.readTree(response.body()).get("error").asText()).isEqualTo("invalid_client");
            assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Basic");
        }
        assertThat(wrong.body()).doesNotContain("nope").doesNotContain(SECRET);
    }

    /**
     * An unknown client id waits for a bcrypt check on the password check pool, as a wrong secret of a bcrypt-hashed
     * client does. The test occupies every thread of the node's pool, and sends the token request and then a key set
     * request as two streams of one HTTP/2 connection, which the node handles in that order. The key set response
     * arrives first only when the token request waits for the pool.
     */
    @Test
    void unknownClientWaitsForPasswordCheck() throws Exception {
        Vertx vertx = Vertx.vertx();
        int threads = CredentialSecrets.passwordCheckThreads();
        WorkerExecutor pool = node.portico().vertx().createSharedWorkerExecutor(
                CredentialSecrets.PASSWORD_CHECK_POOL, threads);
        CountDownLatch busy = new CountDownLatch(threads);
        CountDownLatch release = new CountDownLatch(1);
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            for (int i = 0; i < threads; i++) {
                pool.executeBlocking(() -> {
                    busy.countDown();
                    return release.await(30, TimeUnit.SECONDS);
                }, false);
            }
            assertThat(busy.await(10, TimeUnit.SECONDS)).as("every thread of the pool is busy").isTrue();

            Map<String, Future<String>> tokens = new LinkedHashMap<>();
            for (String clientId : List.of("mallory", "alice-app")) {
                String form = "grant_type=client_credentials&client_id=" + clientId + "&client_secret=wrong";
                Promise<String> token = Promise.promise();
                // The key set request starts once the token request is written, so its stream comes second.
                int keys = ContextRequests.send(vertx, () -> client.request(request(HttpMethod.POST, "/oauth/token")
                                .putHeader("content-type", "application/x-www-form-urlencoded"))
                        .compose(request -> {
                            request.send(form).compose(response -> response.body()
                                    .map(body -> response.statusCode() + " " + body)).onComplete(token);
                            return client.request(request(HttpMethod.GET, "/oauth/jwks.json"));
                        })
                        .compose(HttpClientRequest::send)
                        .map(HttpClientResponse::statusCode));
                tokens.put(clientId, token.future());

                assertThat(keys).isEqualTo(200);
                assertThat(token.future().isComplete()).as("the token request of %s waits for the pool", clientId)
                        .isFalse();
            }
            release.countDown();

            for (Map.Entry<String, Future<String>> token : tokens.entrySet()) {
                String response = token.getValue().await(10, TimeUnit.SECONDS);

                assertThat(response).as(token.getKey()).startsWith("401 ").contains("\"invalid_client\"");
            }
        } finally {
            release.countDown();
            pool.close();
            vertx.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static RequestOptions request(HttpMethod method, String path) {
        return new RequestOptions().setMethod(method).setHost("127.0.0.1").setPort(node.portico().httpPort())
                .setURI(path);
    }

    @Test
    void scopesAreLimitedToCredential() throws Exception {
        HttpResponse<String> response = tokenRequest("grant_type=client_credentials&scope=orders%3Aread+admin",
                basic("alice-app", SECRET));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(Json.MAPPER.readTree(response.body()).get("error").asText()).isEqualTo("invalid_scope");
    }

    @Test
    void tokenWithoutRequiredScopeIsForbidden() throws Exception {
        String token = accessToken(tokenRequest("grant_type=client_credentials&scope=profile",
                basic("dave-app", SECRET)));

        assertThat(callOrders(token).statusCode()).isEqualTo(403);
    }

    @Test
    void malformedRequestsGetOauthErrors() throws Exception {
        HttpResponse<String> password = tokenRequest("grant_type=password&username=a&password=b",
                basic("alice-app", SECRET));
        HttpResponse<String> missing = tokenRequest("scope=orders%3Aread", basic("alice-app", SECRET));
        HttpResponse<String> repeated = tokenRequest("grant_type=client_credentials&grant_type=client_credentials",
                basic("alice-app", SECRET));
        HttpResponse<String> json = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/oauth/token"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"grant_type\":\"client_credentials\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> get = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/oauth/token"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(Json.MAPPER.readTree(password.body()).get("error").asText()).isEqualTo("unsupported_grant_type");
        assertThat(Json.MAPPER.readTree(missing.body()).get("error").asText()).isEqualTo("invalid_request");
        assertThat(Json.MAPPER.readTree(repeated.body()).get("error").asText()).isEqualTo("invalid_request");
        assertThat(json.statusCode()).isEqualTo(400);
        assertThat(get.statusCode()).isEqualTo(405);
        assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void keySetPublishesPublicKeysOnly() throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url()
                + "/oauth/jwks.json")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode key = Json.MAPPER.readTree(response.body()).get("keys").get(0);

        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(key.get("kty").asText()).isEqualTo("RSA");
        assertThat(key.get("alg").asText()).isEqualTo("RS256");
        assertThat(key.get("use").asText()).isEqualTo("sig");
        assertThat(key.has("kid")).isTrue();
        assertThat(key.has("d")).isFalse();
        assertThat(key.has("p")).isFalse();
    }

    @Test
    void signingKeysSurviveApply() throws Exception {
        String token = accessToken(tokenRequest("grant_type=client_credentials", basic("alice-app", SECRET)));

        node.apply(config(false).build());
        HttpResponse<String> export = node.adminRaw("GET", "/admin/v1/config", null);

        assertThat(callOrders(token).statusCode()).isEqualTo(200);
        assertThat(export.body()).doesNotContain("signing-keys").doesNotContain("PRIVATE KEY");
    }

    @Test
    void disablingCredentialRevokesIssuedTokens() throws Exception {
        String token = accessToken(tokenRequest("grant_type=client_credentials&scope=orders%3Aread",
                basic("dave-app", SECRET)));
        assertThat(callOrders(token).statusCode()).isEqualTo(200);

        node.apply(config(true).build());
        try {
            assertThat(callOrders(token).statusCode()).isEqualTo(401);
            HttpResponse<String> refused = tokenRequest("grant_type=client_credentials", basic("dave-app", SECRET));
            assertThat(refused.statusCode()).isEqualTo(401);
        } finally {
            node.apply(config(false).build());
        }
    }
}

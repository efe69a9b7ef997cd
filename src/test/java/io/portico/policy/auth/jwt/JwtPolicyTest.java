package io.portico.policy.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jwt.JWTClaimsSet;
import io.portico.config.Json;
import io.portico.policy.auth.TestTokens;
import io.portico.policy.auth.TestTokens.TestKey;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The jwt policy on a real node: algorithms, keys, time and audience checks, consumers and token places. */
class JwtPolicyTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            .getBytes(StandardCharsets.UTF_8);
    private static final String ISSUER = "https://idp.test";
    private static final TestKey RSA = TestTokens.rsa("rsa-1");
    private static final TestKey OTHER_RSA = TestTokens.rsa("rsa-1");
    private static final TestKey P256 = TestTokens.ec("p256", Curve.P_256);
    private static final TestKey P384 = TestTokens.ec("p384", Curve.P_384);
    private static final TestKey P521 = TestTokens.ec("p521", Curve.P_521);
    private static final TestKey ED25519 = TestTokens.ed25519("ed");
    private static final TestKey PARTNER = TestTokens.ec("partner", Curve.P_256);

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("jwt");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop").putObject("labels").put("tier", "gold");
        config.resource("consumers", "bob").put("team", "shop").put("disabled", true);
        config.resource("consumers", "carol").put("team", "shop");
        config.resource("consumers", "partner").put("team", "shop");
        config.resource("credentials", "alice-idp").put("consumer", "alice").put("type", "jwt")
                .put("issuer", ISSUER).put("subject", "alice");
        config.resource("credentials", "bob-idp").put("consumer", "bob").put("type", "jwt")
                .put("issuer", ISSUER).put("subject", "bob");
        config.resource("credentials", "carol-idp").put("consumer", "carol").put("type", "jwt")
                .put("issuer", ISSUER).put("subject", "carol").put("disabled", true);
        config.resource("credentials", "partner-own").put("consumer", "partner").put("type", "jwt")
                .put("issuer", "partner-app").put("publicKey", PARTNER.publicPem());

        policy(config, "hs", "HS256", "HS384", "HS512").putArray("keys").addObject()
                .put("secret", new String(SECRET, StandardCharsets.UTF_8));
        policy(config, "rs", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512").putArray("keys").addObject()
                .put("pem", RSA.publicPem());
        ArrayNode ecKeys = policy(config, "es", "ES256", "ES384", "ES512").putArray("keys");
        for (TestKey key : List.of(P256, P384, P521)) {
            ecKeys.addObject().set("jwk", Json.MAPPER.valueToTree(key.publicJwk().toJSONObject()));
        }
        policy(config, "ed", "EdDSA").putArray("keys").addObject().put("pem", ED25519.publicPem());
        policy(config, "mixed", "RS256", "HS256").putArray("keys").addObject().put("pem", RSA.publicPem());

        ObjectNode strict = policy(config, "strict", "HS256").put("issuer", ISSUER).put("audience", "orders")
                .put("clockSkew", "30s").put("maxTokenAge", "2h");
        strict.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));
        strict.remove("consumerClaim");

        ObjectNode places = policy(config, "places", "HS256");
        places.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));
        places.putObject("token").put("header", "X-Token").put("query", "access_token").put("cookie", "session");
        ObjectNode kept = policy(config, "kept", "HS256").put("keepCredential", true);
        kept.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));

        ObjectNode scoped = policy(config, "scoped", "HS256");
        scoped.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));
        scoped.putArray("scopes").add("orders:read").add("orders:write");
        scoped.putArray("claims").add("tenant").add("scope");

        ObjectNode unknown = policy(config, "unknown", "HS256").put("allowUnknownConsumer", true);
        unknown.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));
        ObjectNode optional = policy(config, "optional", "HS256").put("optional", true);
        optional.putArray("keys").addObject().put("secret", new String(SECRET, StandardCharsets.UTF_8));

        ObjectNode own = policy(config, "own", "ES256");
        own.remove("consumerClaim");
        node.apply(config.build());
    }

    /** Adds a route on {@code /name} with a jwt policy accepting {@code algorithms} and consumers named by sub. */
    private static ObjectNode policy(Configs config, String name, String... algorithms) {
        ObjectNode route = config.route(name, "app", "/" + name);
        ObjectNode settings = route.putArray("policies").addObject().put("name", "jwt").putObject("config");
        ArrayNode list = settings.putArray("algorithms");
        for (String algorithm : algorithms) {
            list.add(algorithm);
        }
        return settings.put("consumerClaim", "sub");
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    private static HttpResponse<String> call(String path, String token) throws Exception {
        return call(path, Map.of("Authorization", "Bearer " + token));
    }

    private static HttpResponse<String> call(String path, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(node.url() + path));
        headers.forEach(request::header);
        return CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode echo(HttpResponse<String> response) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body());
    }

    private static String hmac(JWSAlgorithm algorithm, JWTClaimsSet claims) {
        return TestTokens.signHmac(SECRET, null, algorithm, claims);
    }

    @Test
    void hmacAlgorithmsAreAccepted() throws Exception {
        for (JWSAlgorithm algorithm : List.of(JWSAlgorithm.HS256, JWSAlgorithm.HS384, JWSAlgorithm.HS512)) {
            HttpResponse<String> response = call("/hs", hmac(algorithm, TestTokens.claims("alice")));

            assertThat(response.statusCode()).as(algorithm.getName()).isEqualTo(200);
        }
    }

    @Test
    void rsaAndPssAlgorithmsAreAccepted() throws Exception {
        for (JWSAlgorithm algorithm : List.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512,
                JWSAlgorithm.PS256, JWSAlgorithm.PS384, JWSAlgorithm.PS512)) {
            HttpResponse<String> response = call("/rs", TestTokens.sign(RSA, algorithm, TestTokens.claims("alice")));

            assertThat(response.statusCode()).as(algorithm.getName()).isEqualTo(200);
        }
    }

    @Test
    void ecAlgorithmsAreAcceptedWithTheirCurve() throws Exception {
        assertThat(call("/es", TestTokens.sign(P256, JWSAlgorithm.ES256, TestTokens.claims("alice"))).statusCode())
                .isEqualTo(200);
        assertThat(call("/es", TestTokens.sign(P384, JWSAlgorithm.ES384, TestTokens.claims("alice"))).statusCode())
                .isEqualTo(200);
        assertThat(call("/es", TestTokens.sign(P521, JWSAlgorithm.ES512, TestTokens.claims("alice"))).statusCode())
                .isEqualTo(200);
    }

    @Test
    void ed25519IsAccepted() throws Exception {
        HttpResponse<String> response = call("/ed", TestTokens.sign(ED25519, JWSAlgorithm.EdDSA,
                TestTokens.claims("alice")));

        assertThat(response.statusCode()).isEqualTo(200);
    }

    @Test
    void rememberedSignatureCoversOnlyItsOwnToken() throws Exception {
        String valid = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));
        String other = hmac(JWSAlgorithm.HS256, TestTokens.claims("bob"));
        // Bob's header and claims under Alice's signature: the same last characters as the remembered token.
        String forged = other.substring(0, other.lastIndexOf('.')) + valid.substring(valid.lastIndexOf('.'));

        HttpResponse<String> first = call("/hs", valid);
        HttpResponse<String> forgedResponse = call("/hs", forged);
        HttpResponse<String> again = call("/hs", valid);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(forgedResponse.statusCode()).isEqualTo(401);
        assertThat(again.statusCode()).isEqualTo(200);
    }

    @Test
    void wrongKeyIsRejected() throws Exception {
        HttpResponse<String> response = call("/rs", TestTokens.sign(OTHER_RSA, JWSAlgorithm.RS256,
                TestTokens.claims("alice")));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer error=\"invalid_token\"");
        assertThat(response.headers().firstValue("content-type")).hasValue("application/problem+json");
    }

    @Test
    void algorithmNotListedIsRejected() throws Exception {
        HttpResponse<String> response = call("/hs", TestTokens.sign(RSA, JWSAlgorithm.RS256,
                TestTokens.claims("alice")));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void curveOfAnotherAlgorithmIsRejected() throws Exception {
        String token = TestTokens.sign(new TestKey("p384", P384.pair(), P384.publicJwk()), JWSAlgorithm.ES384,
                TestTokens.claims("alice"));
        String relabelled = token.replaceFirst("^[^.]+", com.nimbusds.jose.util.Base64URL.encode(
                "{\"alg\":\"ES256\",\"kid\":\"p384\"}".getBytes(StandardCharsets.UTF_8)).toString());

        assertThat(call("/es", relabelled).statusCode()).isEqualTo(401);
    }

    @Test
    void unsignedTokenIsRejected() throws Exception {
        HttpResponse<String> response = call("/hs", TestTokens.unsigned(TestTokens.claims("alice")));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void hmacSignedWithRsaPublicKeyIsRejected() throws Exception {
        byte[] publicKeyAsSecret = RSA.publicPem().getBytes(StandardCharsets.UTF_8);
        String forged = TestTokens.signHmac(publicKeyAsSecret, "rsa-1", JWSAlgorithm.HS256,
                TestTokens.claims("alice"));

        HttpResponse<String> response = call("/mixed", forged);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(call("/mixed", TestTokens.sign(RSA, JWSAlgorithm.RS256, TestTokens.claims("alice")))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void headerKeysAreIgnored() throws Exception {
        TestKey attacker = TestTokens.rsa("attacker");
        com.nimbusds.jose.JWSHeader header = new com.nimbusds.jose.JWSHeader.Builder(JWSAlgorithm.RS256)
                .jwk(attacker.publicJwk().toPublicJWK()).jwkURL(URI.create("http://127.0.0.1:1/jwks"))
                .build();
        com.nimbusds.jwt.SignedJWT jwt = new com.nimbusds.jwt.SignedJWT(header, TestTokens.claims("alice"));
        jwt.sign(new com.nimbusds.jose.crypto.RSASSASigner(attacker.pair().getPrivate()));

        assertThat(call("/rs", jwt.serialize()).statusCode()).isEqualTo(401);
    }

    @Test
    void expiredTokenIsRejectedBeyondSkew() throws Exception {
        Instant now = Instant.now();
        String withinSkew = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.expirationTime(Date.from(now.minusSeconds(10)))));
        String beyondSkew = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.expirationTime(Date.from(now.minusSeconds(60)))));

        assertThat(call("/strict", withinSkew).statusCode()).isEqualTo(200);
        assertThat(call("/strict", beyondSkew).statusCode()).isEqualTo(401);
    }

    @Test
    void notYetValidTokenIsRejectedBeyondSkew() throws Exception {
        Instant now = Instant.now();
        String withinSkew = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.notBeforeTime(Date.from(now.plusSeconds(10)))));
        String beyondSkew = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.notBeforeTime(Date.from(now.plusSeconds(120)))));

        assertThat(call("/strict", withinSkew).statusCode()).isEqualTo(200);
        assertThat(call("/strict", beyondSkew).statusCode()).isEqualTo(401);
    }

    @Test
    void tokenIssuedInFutureIsRejected() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.issueTime(Date.from(Instant.now().plusSeconds(600)))));

        assertThat(call("/strict", token).statusCode()).isEqualTo(401);
    }

    @Test
    void tokenOlderThanMaxAgeIsRejected() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.issueTime(Date.from(Instant.now().minusSeconds(3 * 3600)))));

        assertThat(call("/strict", token).statusCode()).isEqualTo(401);
    }

    @Test
    void tokenWithoutExpirationIsRejected() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, strictClaims("alice", b -> b.expirationTime(null)));

        assertThat(call("/strict", token).statusCode()).isEqualTo(401);
    }

    @Test
    void wrongIssuerOrAudienceIsRejected() throws Exception {
        String wrongIssuer = hmac(JWSAlgorithm.HS256, strictClaims("alice", b -> b.issuer("https://evil.test")));
        String wrongAudience = hmac(JWSAlgorithm.HS256, strictClaims("alice", b -> b.audience("billing")));
        String listedAudience = hmac(JWSAlgorithm.HS256, strictClaims("alice", b ->
                b.audience(List.of("billing", "orders"))));

        assertThat(call("/strict", wrongIssuer).statusCode()).isEqualTo(401);
        assertThat(call("/strict", wrongAudience).statusCode()).isEqualTo(401);
        assertThat(call("/strict", listedAudience).statusCode()).isEqualTo(200);
    }

    private static JWTClaimsSet strictClaims(String subject, java.util.function.Consumer<JWTClaimsSet.Builder> change) {
        return TestTokens.claims(subject, builder -> {
            builder.issuer(ISSUER).audience("orders");
            change.accept(builder);
        });
    }

    @Test
    void credentialMapsIssuerAndSubjectToConsumer() throws Exception {
        JsonNode echo = echo(call("/strict", hmac(JWSAlgorithm.HS256, strictClaims("alice", b -> { }))));

        assertThat(echo.get("headers").has("authorization")).isFalse();
    }

    @Test
    void disabledConsumerOrCredentialIsRejected() throws Exception {
        assertThat(call("/strict", hmac(JWSAlgorithm.HS256, strictClaims("bob", b -> { }))).statusCode())
                .isEqualTo(401);
        assertThat(call("/strict", hmac(JWSAlgorithm.HS256, strictClaims("carol", b -> { }))).statusCode())
                .isEqualTo(401);
        assertThat(call("/strict", hmac(JWSAlgorithm.HS256, strictClaims("mallory", b -> { }))).statusCode())
                .isEqualTo(401);
    }

    @Test
    void consumerClaimNamingNoConsumerIsRejected() throws Exception {
        assertThat(call("/hs", hmac(JWSAlgorithm.HS256, TestTokens.claims("mallory"))).statusCode()).isEqualTo(401);
        assertThat(call("/hs", hmac(JWSAlgorithm.HS256, TestTokens.claims("bob"))).statusCode()).isEqualTo(401);
    }

    @Test
    void unknownConsumerAcceptedWhenAllowed() throws Exception {
        assertThat(call("/unknown", hmac(JWSAlgorithm.HS256, TestTokens.claims("mallory"))).statusCode())
                .isEqualTo(200);
    }

    @Test
    void consumerSigningOwnTokensIsMappedByCredential() throws Exception {
        String token = TestTokens.sign(PARTNER, JWSAlgorithm.ES256, TestTokens.claims("anyone", b ->
                b.issuer("partner-app")));
        String signedByOther = TestTokens.sign(P256, JWSAlgorithm.ES256, TestTokens.claims("anyone", b ->
                b.issuer("partner-app")));

        assertThat(call("/own", token).statusCode()).isEqualTo(200);
        assertThat(call("/own", signedByOther).statusCode()).isEqualTo(401);
    }

    @Test
    void missingTokenGetsChallenge() throws Exception {
        HttpResponse<String> response = call("/hs", Map.of());

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValue("Bearer");
        assertThat(Json.MAPPER.readTree(response.body()).get("type").asText())
                .isEqualTo("https://portico.dev/problems/unauthorized");
    }

    @Test
    void optionalPolicyPassesRequestsWithoutToken() throws Exception {
        assertThat(call("/optional", Map.of()).statusCode()).isEqualTo(200);
        assertThat(call("/optional", "not-a-token").statusCode()).isEqualTo(401);
    }

    @Test
    void tokenFromHeaderQueryOrCookieIsRemoved() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));

        JsonNode header = echo(call("/places/echo", Map.of("X-Token", token)));
        JsonNode query = echo(call("/places/echo?a=1&access_token=" + token + "&b=2", Map.of()));
        JsonNode cookie = echo(call("/places/echo", Map.of("Cookie", "theme=dark; session=" + token)));

        assertThat(header.get("headers").has("x-token")).isFalse();
        assertThat(query.get("uri").asText()).isEqualTo("/places/echo?a=1&b=2");
        assertThat(cookie.get("headers").get("cookie").get(0).asText()).isEqualTo("theme=dark");
        assertThat(call("/places/echo", token).statusCode()).isEqualTo(401);
    }

    @Test
    void tokensAtOtherPlacesAreRemoved() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));
        String other = hmac(JWSAlgorithm.HS256, TestTokens.claims("bob"));

        JsonNode echo = echo(call("/places/echo?access_token=" + other + "&a=1", Map.of("X-Token", token,
                "Cookie", "theme=dark; session=" + other)));

        assertThat(echo.get("uri").asText()).isEqualTo("/places/echo?a=1");
        assertThat(echo.get("headers").has("x-token")).isFalse();
        assertThat(echo.get("headers").get("cookie").get(0).asText()).isEqualTo("theme=dark");
    }

    @Test
    void cookiesWithoutTokenAreForwardedAsSent() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));

        JsonNode echo = echo(call("/places/echo", Map.of("X-Token", token, "Cookie", "theme=dark;lang=en")));

        assertThat(echo.get("headers").get("cookie").get(0).asText()).isEqualTo("theme=dark;lang=en");
    }

    @Test
    void tokenQueryNameIsCaseSensitive() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));

        HttpResponse<String> other = call("/places/echo?ACCESS_TOKEN=" + token, Map.of());
        JsonNode repeated = echo(call("/places/echo?access_token=" + token + "&a=1&access_token=" + token,
                Map.of()));

        assertThat(other.statusCode()).isEqualTo(401);
        assertThat(repeated.get("uri").asText()).isEqualTo("/places/echo?a=1");
    }

    @Test
    void keepCredentialForwardsToken() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice"));

        JsonNode echo = echo(call("/kept/echo", token));

        assertThat(echo.get("headers").get("authorization").get(0).asText()).isEqualTo("Bearer " + token);
    }

    @Test
    void requiredScopesAreChecked() throws Exception {
        String enough = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice", b ->
                b.claim("scope", "orders:read orders:write profile").claim("tenant", "t-7")));
        String asList = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice", b ->
                b.claim("scp", List.of("orders:read", "orders:write"))));
        String tooFew = hmac(JWSAlgorithm.HS256, TestTokens.claims("alice", b -> b.claim("scope", "orders:read")));

        HttpResponse<String> denied = call("/scoped", tooFew);

        assertThat(call("/scoped", enough).statusCode()).isEqualTo(200);
        assertThat(call("/scoped", asList).statusCode()).isEqualTo(200);
        assertThat(denied.statusCode()).isEqualTo(403);
        assertThat(denied.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error=\"insufficient_scope\"");
    }

    @Test
    void rejectionNeverEchoesToken() throws Exception {
        String token = hmac(JWSAlgorithm.HS256, strictClaims("bob", b -> { }));

        HttpResponse<String> response = call("/strict", token);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain(token).doesNotContain("bob").doesNotContain("disabled");
    }
}

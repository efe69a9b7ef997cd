package io.portico.policy.auth.hmac;

import static io.portico.policy.auth.AuthTestNode.echo;
import static io.portico.policy.auth.AuthTestNode.object;
import static io.portico.policy.auth.AuthTestNode.upstreamHeader;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.portico.config.CredentialSecrets;
import io.portico.policy.auth.AuthTestNode;
import io.portico.testing.Conditions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The hmac policy on a real node. Requests are signed here from the definition of the string to sign, so the
 * tests also pin that definition down.
 */
class HmacAuthTest {

    private static AuthTestNode auth;
    private static String accessKey;
    private static String secretKey;

    @BeforeAll
    static void start() {
        auth = AuthTestNode.start(Map.of());
        auth.route("signed", "/signed", "hmac");
        auth.route("nonce", "/nonce", "hmac").put("requireNonce", true);
        auth.route("small", "/small", "hmac").put("maxBodySize", 1024);
        auth.apply();
        JsonNode created = auth.createCredential("alice", object().put("type", "hmac"));
        accessKey = created.path("accessKey").asText();
        secretKey = created.path("secretKey").asText();
    }

    @AfterAll
    static void stop() {
        auth.close();
    }

    /** A request to sign: method, path and query as sent, date header value, nonce and body. */
    private record Signing(String method, String pathAndQuery, String date, String nonce, byte[] body) {

        static Signing get(String pathAndQuery) {
            return new Signing("GET", pathAndQuery, now(), null, new byte[0]);
        }

        Signing withDate(String newDate) {
            return new Signing(method, pathAndQuery, newDate, nonce, body);
        }

        Signing withNonce(String newNonce) {
            return new Signing(method, pathAndQuery, date, newNonce, body);
        }

        String authorization(String key, String secret) {
            int question = pathAndQuery.indexOf('?');
            String path = question < 0 ? pathAndQuery : pathAndQuery.substring(0, question);
            String query = question < 0 ? "" : pathAndQuery.substring(question + 1);
            String stringToSign = String.join("\n", "HMAC-SHA256", method, path, query, date,
                    nonce == null ? "" : nonce, HexFormat.of().formatHex(CredentialSecrets.sha256(body)));
            String signature = Base64.getEncoder().encodeToString(HmacSignature.sign(secret, stringToSign));
            return "HMAC-SHA256 accessKey=\"" + key + "\", signature=\"" + signature + "\""
                    + (nonce == null ? "" : ", nonce=\"" + nonce + "\"");
        }

        HttpResponse<String> send(String authorization, byte[] sentBody) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(auth.node().url() + pathAndQuery))
                    .method(method, sentBody.length == 0 ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofByteArray(sentBody));
            List<String> headers = new ArrayList<>(List.of("X-Date", date));
            if (authorization != null) {
                headers.addAll(List.of("Authorization", authorization));
            }
            return AuthTestNode.send(request, headers.toArray(String[]::new));
        }

        HttpResponse<String> send() {
            return send(authorization(accessKey, secretKey), body);
        }
    }

    private static String now() {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC));
    }

    @Test
    void signedGetReachesUpstreamWithIdentity() {
        HttpResponse<String> response = Signing.get("/signed/echo?b=2&a=1").send();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(upstreamHeader(response, "x-consumer-name")).isEqualTo("alice");
        assertThat(upstreamHeader(response, "x-authenticated-method")).isEqualTo("hmac");
        assertThat(upstreamHeader(response, "authorization")).isNull();
    }

    @Test
    void signedBodyReachesUpstreamIntact() {
        byte[] body = "{\"order\":42}".repeat(1000).getBytes(StandardCharsets.UTF_8);
        Signing signing = new Signing("POST", "/signed/echo", now(), null, body);

        HttpResponse<String> response = signing.send();

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(echo(response).path("bodyLength").asLong()).isEqualTo(body.length);
        assertThat(echo(response).path("bodySha256").asText())
                .isEqualTo(HexFormat.of().formatHex(CredentialSecrets.sha256(body)));
    }

    @Test
    void tamperedBodyIsRejected() {
        byte[] signedBody = "amount=10".getBytes(StandardCharsets.UTF_8);
        Signing signing = new Signing("POST", "/signed/echo", now(), null, signedBody);
        int before = auth.upstreamRequests();

        HttpResponse<String> response = signing.send(signing.authorization(accessKey, secretKey),
                "amount=99".getBytes(StandardCharsets.UTF_8));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(auth.upstreamRequests()).isEqualTo(before);
    }

    @Test
    void wrongSecretIsRejected() {
        Signing signing = Signing.get("/signed/echo");

        HttpResponse<String> response = signing.send(signing.authorization(accessKey, "not-the-secret-key-at-all"),
                new byte[0]);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("the credentials are not valid");
    }

    @Test
    void tamperedQueryIsRejected() {
        Signing signed = Signing.get("/signed/echo?amount=10");
        Signing sent = Signing.get("/signed/echo?amount=99").withDate(signed.date());

        HttpResponse<String> response = sent.send(signed.authorization(accessKey, secretKey), new byte[0]);

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void missingSignatureIsChallenged() {
        HttpResponse<String> response = Signing.get("/signed/echo").send(null, new byte[0]);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate"))
                .hasValue("HMAC-SHA256 realm=\"portico\", headers=\"x-date\"");
    }

    @Test
    void dateOutsideClockSkewIsRejected() {
        String stale = DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().minusSeconds(600)
                .atOffset(ZoneOffset.UTC));

        HttpResponse<String> response = Signing.get("/signed/echo").withDate(stale).send();

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).contains("away from the gateway's clock");
    }

    @Test
    void replayedNonceIsRejected() {
        Signing signing = Signing.get("/signed/echo").withNonce("nonce-" + System.nanoTime());
        String authorization = signing.authorization(accessKey, secretKey);

        HttpResponse<String> first = signing.send(authorization, new byte[0]);
        HttpResponse<String> replay = signing.send(authorization, new byte[0]);

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(replay.statusCode()).isEqualTo(401);
    }

    @Test
    void requiredNonceMustBeSent() {
        HttpResponse<String> without = Signing.get("/nonce/echo").send();
        HttpResponse<String> with = Signing.get("/nonce/echo").withNonce("n-" + System.nanoTime()).send();

        assertThat(without.statusCode()).isEqualTo(401);
        assertThat(with.statusCode()).isEqualTo(200);
    }

    @Test
    void bodyOverLimitIsRejected() {
        byte[] body = new byte[2048];

        HttpResponse<String> response = new Signing("POST", "/small/echo", now(), null, body).send();

        assertThat(response.statusCode()).isEqualTo(413);
    }

    @Test
    void unknownAccessKeyIsRejected() {
        Signing signing = Signing.get("/signed/echo");

        HttpResponse<String> response = signing.send(signing.authorization("ak_unknown", secretKey), new byte[0]);

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void expiredDisabledAndConsumerDisabledAreRejected() {
        auth.node().admin("POST", "/admin/v1/consumers", object().put("name", "dave").put("team", "payments"), 201);
        JsonNode expired = auth.createCredential("dave", object().put("type", "hmac")
                .put("expiresAt", Instant.now().minusSeconds(5).toString()));
        JsonNode disabled = auth.createCredential("dave", object().put("type", "hmac"));
        JsonNode active = auth.createCredential("dave", object().put("type", "hmac"));
        auth.patch("credentials", disabled.path("name").asText(), object().put("disabled", true));
        int activeBefore = sendAs(active);

        auth.patch("consumers", "dave", object().put("disabled", true));

        assertThat(sendAs(expired)).isEqualTo(401);
        assertThat(sendAs(disabled)).isEqualTo(401);
        assertThat(activeBefore).isEqualTo(200);
        assertThat(sendAs(active)).isEqualTo(401);
    }

    @Test
    void rotatedSecretWorksUntilOverlapEnds() {
        JsonNode created = auth.createCredential("alice", object().put("type", "hmac"));

        JsonNode rotated = auth.node().admin("POST", "/admin/v1/credentials/" + created.path("name").asText()
                + "/rotate", object().put("overlap", "1s"), 201);

        assertThat(rotated.path("accessKey").asText()).isNotEqualTo(created.path("accessKey").asText());
        assertThat(sendAs(rotated)).isEqualTo(200);
        Conditions.eventually("the old secret expires", () -> sendAs(created) == 401);
    }

    private static int sendAs(JsonNode credential) {
        Signing signing = Signing.get("/signed/echo");
        return signing.send(signing.authorization(credential.path("accessKey").asText(),
                credential.path("secretKey").asText()), new byte[0]).statusCode();
    }
}

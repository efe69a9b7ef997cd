package io.portico.policy.auth.hmac;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import io.portico.config.CredentialSecrets;
import io.portico.policy.auth.AuthTestNode;
import io.portico.redis.RedisClient;
import io.portico.testing.Conditions;
import io.portico.testing.ContextRequests;
import io.portico.testing.LogCapture;
import io.portico.testing.RespConnection;
import io.portico.testing.TestRedis;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two nodes that share one real Redis server and so one record of HMAC nonces. */
class ClusterNonceTest {

    private static final String ACCESS_KEY = "ak_cluster_test";
    private static final String SECRET_KEY = "cluster-test-secret-0123456789";

    private static TestRedis redis;
    private static AuthTestNode first;
    private static AuthTestNode second;
    private static Vertx vertx;

    @BeforeAll
    static void start() {
        redis = TestRedis.start();
        // A timeout far above a command's latency, so a slow test machine never falls back to the local cache.
        Map<String, String> settings = Map.of("redis.url", redis.url(), "redis.timeout", "2s",
                "redis.retryInterval", "200ms");
        first = node(settings);
        second = node(settings);
        vertx = Vertx.vertx();
    }

    private static AuthTestNode node(Map<String, String> settings) {
        AuthTestNode node = AuthTestNode.start(settings);
        node.route("nonce", "/nonce", "hmac").put("requireNonce", true);
        node.route("strict", "/strict", "hmac").put("requireNonce", true).put("onRedisFailure", "reject");
        node.config().resource("credentials", "alice-hmac").put("consumer", "alice").put("type", "hmac")
                .put("accessKey", ACCESS_KEY).put("secretKey", SECRET_KEY);
        node.apply();
        return node;
    }

    @AfterAll
    static void stop() {
        vertx.close().await();
        first.close();
        second.close();
        redis.close();
    }

    @Test
    void replayToSecondNodeIsRejected() {
        String nonce = UUID.randomUUID().toString();
        String date = now();

        HttpResponse<String> original = send(first, "/nonce/echo", date, nonce);
        HttpResponse<String> replayed = send(second, "/nonce/echo", date, nonce);
        HttpResponse<String> replayedFirst = send(first, "/nonce/echo", date, nonce);

        assertThat(original.statusCode()).as(original.body()).isEqualTo(200);
        assertThat(replayed.statusCode()).as(replayed.body()).isEqualTo(401);
        assertThat(replayedFirst.statusCode()).as(replayedFirst.body()).isEqualTo(401);
    }

    @Test
    void nonceExpiresInRedis() {
        String nonce = UUID.randomUUID().toString();

        assertThat(send(first, "/nonce/echo", now(), nonce).statusCode()).isEqualTo(200);

        try (RespConnection connection = new RespConnection(redis.port())) {
            List<?> keys = (List<?>) connection.call("KEYS", "*hmac-nonce:*");
            assertThat(keys).isNotEmpty();
            for (Object key : keys) {
                assertThat(String.valueOf(key)).doesNotContain(nonce).doesNotContain(ACCESS_KEY);
                long ttl = Long.parseLong((String) connection.call("PTTL", key));
                // Twice the default clock skew of five minutes.
                assertThat(ttl).isPositive().isLessThanOrEqualTo(600_000);
            }
        }
    }

    @Test
    void redisOutageFallsBackOrRejects() {
        try (LogCapture log = new LogCapture(RedisClient.class)) {
            redis.stop();
            try {
                String nonce = UUID.randomUUID().toString();
                String date = now();
                HttpResponse<String> local = send(first, "/nonce/echo", date, nonce);
                HttpResponse<String> localReplay = send(first, "/nonce/echo", date, nonce);
                List<Integer> strict = List.of(
                        send(first, "/strict/echo", now(), UUID.randomUUID().toString()).statusCode(),
                        send(first, "/strict/echo", now(), UUID.randomUUID().toString()).statusCode(),
                        send(first, "/strict/echo", now(), UUID.randomUUID().toString()).statusCode());
                HttpResponse<String> rejected = send(first, "/strict/echo", now(), UUID.randomUUID().toString());

                assertThat(local.statusCode()).as(local.body()).isEqualTo(200);
                assertThat(localReplay.statusCode()).as(localReplay.body()).isEqualTo(401);
                assertThat(strict).containsOnly(503);
                assertThat(rejected.body()).contains("authentication-unavailable");
                assertThat(rejected.headers().firstValue("Retry-After")).hasValue("1");
                assertThat(log.messages(Level.WARN).stream().filter(line -> line.contains("is unavailable")))
                        .as("one WARN line per node for the outage").hasSizeLessThanOrEqualTo(2).isNotEmpty();
            } finally {
                redis.restart();
            }
        }
        Conditions.eventually("the strict route admits requests again once Redis is back", () ->
                send(first, "/strict/echo", now(), UUID.randomUUID().toString()).statusCode() == 200);
    }

    @Test
    void signedPostOverH2cWaitsForRedis() {
        String nonce = UUID.randomUUID().toString();
        String date = now();
        byte[] body = "{\"order\":42}".getBytes(StandardCharsets.UTF_8);
        String stringToSign = String.join("\n", "HMAC-SHA256", "POST", "/nonce/echo", "", date, nonce,
                HexFormat.of().formatHex(CredentialSecrets.sha256(body)));
        String signature = Base64.getEncoder().encodeToString(HmacSignature.sign(SECRET_KEY, stringToSign));
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1")
                .setPort(first.node().portico().httpPort()).setURI("/nonce/echo")
                .putHeader("X-Date", date)
                .putHeader("Authorization", "HMAC-SHA256 accessKey=\"" + ACCESS_KEY + "\", signature=\""
                        + signature + "\", nonce=\"" + nonce + "\"");

        // The policy reads the body before it records the nonce in Redis, so the request has ended while it waits.
        String echoed = ContextRequests.send(vertx, () -> client.request(request)
                .compose(sent -> sent.send(Buffer.buffer(body)))
                .compose(response -> response.body().map(received -> response.statusCode() + " " + received)));

        assertThat(echoed).startsWith("200 ").contains("\"bodyLength\":" + body.length);
    }

    private static HttpResponse<String> send(AuthTestNode node, String path, String date, String nonce) {
        String stringToSign = String.join("\n", "HMAC-SHA256", "GET", path, "", date, nonce,
                HexFormat.of().formatHex(CredentialSecrets.sha256(new byte[0])));
        String signature = Base64.getEncoder().encodeToString(HmacSignature.sign(SECRET_KEY, stringToSign));
        String authorization = "HMAC-SHA256 accessKey=\"" + ACCESS_KEY + "\", signature=\"" + signature
                + "\", nonce=\"" + nonce + "\"";
        return AuthTestNode.send(HttpRequest.newBuilder(URI.create(node.node().url() + path)),
                "X-Date", date, "Authorization", authorization);
    }

    private static String now() {
        return DateTimeFormatter.RFC_1123_DATE_TIME.format(Instant.now().atOffset(ZoneOffset.UTC));
    }
}

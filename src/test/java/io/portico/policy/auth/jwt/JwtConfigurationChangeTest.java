package io.portico.policy.auth.jwt;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import io.portico.policy.auth.TestHttpServer;
import io.portico.policy.auth.TestTokens;
import io.portico.policy.auth.TestTokens.TestKey;
import io.portico.testing.Configs;
import io.portico.testing.LogCapture;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code jwt} policies of a real node across configuration versions: a key set cache that no configuration uses
 * any more is released, and a credential with an unusable key is warned about once rather than at every version.
 */
class JwtConfigurationChangeTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final TestKey KEY = TestTokens.ec("release", Curve.P_256);
    private static final Duration DRAIN = Duration.ofSeconds(1);
    private static final String WARNING = "Credential broken has an unusable key";

    private static final AtomicInteger FETCHES = new AtomicInteger();
    private static TestHttpServer keyServer;
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        keyServer = TestHttpServer.start();
        keyServer.handler(request -> {
            FETCHES.incrementAndGet();
            request.response().putHeader("content-type", "application/json").end(TestTokens.jwks(KEY.publicJwk()));
        });
        upstream = TestUpstream.start("jwt-changes");
        node = TestNode.start(Map.of("drainTimeout", DRAIN.toMillis() + "ms"));
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
        keyServer.close();
    }

    /** Returns a document with the route {@code /keys}, protected by a key set {@code jwt} policy when asked. */
    private static Configs config(boolean withJwks) {
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        ObjectNode route = config.route("keys", "app", "/keys");
        if (withJwks) {
            ObjectNode settings = route.putArray("policies").addObject().put("name", "jwt").putObject("config")
                    .put("jwksUrl", keyServer.url("/jwks"))
                    .put("jwksRefreshInterval", "1h")
                    .put("jwksMinRefreshInterval", "1h")
                    .put("allowPrivateAddresses", true)
                    .put("consumerClaim", "sub");
            settings.putArray("algorithms").add("ES256");
        }
        return config;
    }

    /** Returns a document with a {@code jwt} route and the credential {@code broken}, whose HMAC secret is short. */
    private static Configs brokenCredential(String secret) {
        Configs config = config(false);
        config.resource("credentials", "broken").put("consumer", "alice").put("type", "jwt")
                .put("issuer", "https://issuer.example").put("secret", secret);
        config.route("hs", "app", "/hs").putArray("policies").addObject().put("name", "jwt").putObject("config")
                .put("issuer", "https://issuer.example").putArray("algorithms").add("HS256");
        return config;
    }

    private static int call(String path) throws Exception {
        String token = TestTokens.sign(KEY, JWSAlgorithm.ES256, TestTokens.claims("alice"));
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.ofString())
                .statusCode();
    }

    @Test
    void keySetCacheIsReleasedOnceUnused() throws Exception {
        node.apply(config(true).build());
        assertThat(call("/keys")).isEqualTo(200);
        int fetched = FETCHES.get();

        node.apply(config(false).build());
        Thread.sleep(DRAIN.toMillis() + 1000);
        node.apply(config(true).build());

        assertThat(call("/keys")).isEqualTo(200);
        assertThat(FETCHES.get()).as("a new cache fetches the key set again").isEqualTo(fetched + 1);
    }

    @Test
    void unusableKeyIsWarnedAboutOnce() {
        try (LogCapture log = new LogCapture("io.portico.policy.auth.jwt")) {
            node.apply(brokenCredential("too-short").build());
            assertThat(warnings(log)).hasSize(1);

            Configs withAnotherRoute = brokenCredential("too-short");
            withAnotherRoute.route("other", "app", "/other");
            node.apply(withAnotherRoute.build());
            assertThat(warnings(log)).as("a later version with the same key").hasSize(1);

            Configs rejected = brokenCredential("other-short");
            rejected.route("rejected", "app", "/rejected").putArray("policies").addObject()
                    .put("name", "uncompilable");
            assertThat(node.adminRaw("POST", "/admin/v1/config/apply", rejected.build()).statusCode())
                    .isEqualTo(400);
            assertThat(warnings(log)).as("a compile check").hasSize(1);

            node.apply(brokenCredential("other-short").build());
            assertThat(warnings(log)).as("a changed key").hasSize(2);
        }
    }

    private static List<String> warnings(LogCapture log) {
        return log.messages(Level.WARN).stream().filter(message -> message.startsWith(WARNING)).toList();
    }
}

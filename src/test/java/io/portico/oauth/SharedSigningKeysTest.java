package io.portico.oauth;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWKSet;
import io.portico.config.Json;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Two nodes on one PostgreSQL store sign with the same keys, so each accepts the other's tokens. */
class SharedSigningKeysTest {

    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final String ISSUER = "https://gw.test/oauth";

    private static EmbeddedPostgres postgres;
    private static TestUpstream upstream;
    private static TestNode first;
    private static TestNode second;

    @BeforeAll
    static void start() throws Exception {
        postgres = EmbeddedPostgres.builder().start();
        upstream = TestUpstream.start("shared");
        Map<String, String> store = Map.of(
                "store.url", postgres.getJdbcUrl("postgres", "postgres"),
                "store.username", "postgres",
                "store.password", "postgres");
        first = TestNode.start(store);
        second = TestNode.start(store);
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        config.resource("consumers", "alice").put("team", "shop");
        config.resource("credentials", "alice-app").put("consumer", "alice").put("type", "oauth-client")
                .put("clientId", "alice-app").put("clientSecret", "alice-secret-0123456789");
        ObjectNode oauth = Json.MAPPER.createObjectNode().put("name", "oauth");
        oauth.putArray("paths").add("/oauth");
        oauth.putObject("oauth").put("issuer", ISSUER).put("algorithm", "ES256");
        ((ArrayNode) config.build().get("routes")).add(oauth);
        config.route("app", "app", "/app").putArray("policies").addObject().put("name", "jwt")
                .putObject("config").put("issuer", ISSUER);
        first.apply(config.build());
        Conditions.eventually("both nodes publish the same keys", () -> {
            String one = jwks(first);
            return !one.equals("{\"keys\":[]}") && one.equals(jwks(second));
        });
    }

    @AfterAll
    static void stop() {
        second.close();
        first.close();
        upstream.close();
        try {
            postgres.close();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String jwks(TestNode node) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/oauth/jwks.json")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static String token(TestNode node) throws Exception {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/oauth/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=client_credentials&client_id=alice-app"
                        + "&client_secret=alice-secret-0123456789")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return Json.MAPPER.readTree(response.body()).get("access_token").asText();
    }

    private static int call(TestNode node, String token) throws Exception {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/app"))
                .header("Authorization", "Bearer " + token).build(), HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    @Test
    void eachNodeAcceptsTokensOfTheOther() throws Exception {
        assertThat(call(second, token(first))).isEqualTo(200);
        assertThat(call(first, token(second))).isEqualTo(200);
    }

    @Test
    void nodesCreatedOneKey() throws Exception {
        assertThat(JWKSet.parse(jwks(first)).getKeys()).hasSize(1);
    }
}

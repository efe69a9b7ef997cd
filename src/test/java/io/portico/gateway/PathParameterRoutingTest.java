package io.portico.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.testing.Configs;
import io.portico.testing.ContextRequests;
import io.portico.testing.RecordingUpstream;
import io.portico.testing.TestNode;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Segment parameters ({@code ;x=1}) against routes with policies, on a real node in front of a recording upstream.
 * Tomcat, Jetty and Spring serve {@code /api/secret;x=1} as {@code /api/secret}, so such a request must meet the
 * policies of the route for {@code /api/secret}, over HTTP/1.1 and h2c, while the upstream receives the path as sent.
 */
class PathParameterRoutingTest {

    private static final String KEY = "alice-key-0123456789abcdef";
    private static Vertx vertx;
    private static RecordingUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        upstream = RecordingUpstream.start();
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("recorded", upstream.port());
        config.resource("teams", "payments");
        config.resource("consumers", "alice").put("team", "payments");
        config.resource("credentials", "alice-key").put("consumer", "alice").put("type", "key-auth")
                .put("key", KEY);
        config.route("root", "recorded", "/");
        config.route("open", "recorded", "/api");
        keyAuth(config.route("secret", "recorded", "/api/secret").put("priority", 10));
        config.route("pets", "recorded", "/pets");
        keyAuth(config.route("pet", "recorded", "/pets/{id}"));
        keyAuth(config.route("admin", "recorded", "~^/admin/[a-z]+$").put("priority", 10));
        config.route("strip", "recorded", "/strip").put("stripPrefix", true);
        node.apply(config.build());
    }

    private static void keyAuth(ObjectNode route) {
        route.putArray("policies").addObject().put("name", "key-auth");
    }

    @AfterAll
    static void stop() throws Exception {
        node.close();
        upstream.close();
        vertx.close().await(10, TimeUnit.SECONDS);
    }

    @BeforeEach
    void forgetRequests() {
        upstream.clear();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/secret;x=1", "/api/secret;", "/api;v=1/secret", "/api/secret;x=1/more",
        "/pets;x/1", "/admin/users;x", "/admin;x/users"})
    void parameterisedPathMeetsProtectedRoute(String path) throws Exception {
        RawHttp.Response response = get(path, "");

        assertThat(response.status()).isEqualTo(401);
        assertThat(upstream.requests()).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/secret;x=1", "/pets;x/1", "/admin/users;x"})
    void upstreamReceivesPathAsSent(String path) throws Exception {
        RawHttp.Response response = get(path, "apikey: " + KEY + "\r\n");

        assertThat(response.status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo(path);
    }

    @Test
    void otherSegmentStaysOnOpenRoute() throws Exception {
        RawHttp.Response response = get("/api/secretx;x=1", "");

        assertThat(response.status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo("/api/secretx;x=1");
    }

    @Test
    void stripPrefixRemovesParametersOfStrippedSegments() throws Exception {
        RawHttp.Response response = get("/strip;a=1/x;b=2?q=1", "");

        assertThat(response.status()).isEqualTo(200);
        assertThat(onlyRequest().target()).isEqualTo("/x;b=2?q=1");
    }

    @Test
    void h2cParameterisedPathMeetsProtectedRoute() throws Exception {
        HttpClientAgent client = vertx.createHttpClient(new HttpClientOptions()
                .setProtocolVersion(HttpVersion.HTTP_2).setHttp2ClearTextUpgrade(false));
        try {
            assertThat(h2cStatus(client, "/api/secret;x=1", null)).isEqualTo(401);
            assertThat(h2cStatus(client, "/api/secret;", null)).isEqualTo(401);
            assertThat(upstream.requests()).isEmpty();

            assertThat(h2cStatus(client, "/api/secret;x=1", KEY)).isEqualTo(200);
            assertThat(onlyRequest().target()).isEqualTo("/api/secret;x=1");
        } finally {
            client.close().await(10, TimeUnit.SECONDS);
        }
    }

    private static RawHttp.Response get(String path, String headers) throws Exception {
        RawHttp.Exchange exchange = RawHttp.exchange(node.portico().httpPort(), false, 0, 1, 0,
                "GET " + path + " HTTP/1.1\r\nHost: a\r\n" + headers + "\r\n");
        assertThat(exchange.responses()).as("responses to %s", path).hasSize(1);
        return exchange.responses().get(0);
    }

    private static int h2cStatus(HttpClientAgent client, String path, String key) throws Exception {
        RequestOptions request = new RequestOptions().setMethod(HttpMethod.GET).setHost("127.0.0.1")
                .setPort(node.portico().httpPort()).setURI(path);
        if (key != null) {
            request.putHeader("apikey", key);
        }
        return ContextRequests.send(vertx, () -> client.request(request).compose(sent -> sent.send()
                .compose(response -> {
                    assertThat(response.version()).isEqualTo(HttpVersion.HTTP_2);
                    return response.body().map(body -> response.statusCode());
                })));
    }

    private static RecordingUpstream.Request onlyRequest() {
        List<RecordingUpstream.Request> requests = upstream.requests();
        assertThat(requests).hasSize(1);
        RecordingUpstream.Request request = requests.get(0);
        assertThat(request.wellFormed()).as(request.problem()).isTrue();
        return request;
    }
}

package io.portico.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Requests that a browser could send for a page of another site, with the Basic credentials it keeps for the
 * admin API, change nothing on a real node. The same requests from a script or the admin API's own origin do.
 */
class CrossSiteRequestTest {

    private static final String PASSWORD = "correct horse battery staple";
    private static final String EVIL = "https://evil.example";

    private static TestNode node;
    private static String basic;

    @BeforeAll
    static void start() {
        node = TestNode.start();
        Configs config = Configs.document();
        config.resource("teams", "shop");
        config.resource("apis", "orders").put("team", "shop").put("approval", "manual");
        for (String consumer : new String[] {"ann", "ben", "cat", "dan", "eve"}) {
            config.resource("consumers", consumer).put("team", "shop");
        }
        config.resource("credentials", "ann-key").put("consumer", "ann").put("type", "key-auth")
                .put("key", "ann-api-key-0123456789");
        node.apply(config.build());
        for (String consumer : new String[] {"ann", "ben", "cat", "dan", "eve"}) {
            ObjectNode body = Json.MAPPER.createObjectNode().put("consumer", consumer);
            node.admin("POST", "/admin/v1/apis/orders/subscriptions", body, 201);
        }
        ObjectNode user = Json.MAPPER.createObjectNode().put("name", "ada").put("role", "platform-admin")
                .put("password", PASSWORD);
        node.admin("POST", "/admin/v1/users", user, 201);
        basic = "Basic " + Base64.getEncoder().encodeToString(("ada:" + PASSWORD).getBytes(StandardCharsets.UTF_8));
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @Test
    void textPlainApproveWithoutBodyIsRejected() {
        HttpResponse<String> response = send("POST", "/admin/v1/subscriptions/ann.orders/approve",
                "Content-Type", "text/plain;charset=UTF-8");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(415);
        assertThat(status("ann.orders")).isEqualTo("pending");
    }

    @Test
    void formEncodedRotateWithoutBodyIsRejected() {
        HttpResponse<String> form = send("POST", "/admin/v1/credentials/ann-key/rotate",
                "Content-Type", "application/x-www-form-urlencoded");
        HttpResponse<String> multipart = send("POST", "/admin/v1/credentials/ann-key/rotate",
                "Content-Type", "multipart/form-data; boundary=x");

        assertThat(form.statusCode()).as(form.body()).isEqualTo(415);
        assertThat(multipart.statusCode()).as(multipart.body()).isEqualTo(415);
        assertThat(node.admin("GET", "/admin/v1/credentials?consumer=ann", null, 200).path("items")).hasSize(1);
    }

    @Test
    void otherOriginIsForbidden() {
        HttpResponse<String> fromOrigin = send("POST", "/admin/v1/subscriptions/ben.orders/approve",
                "Content-Type", "application/json", "Origin", EVIL);
        HttpResponse<String> withoutType = send("POST", "/admin/v1/subscriptions/ben.orders/approve",
                "Origin", EVIL);
        HttpResponse<String> nullOrigin = send("DELETE", "/admin/v1/subscriptions/ben.orders", "Origin", "null");
        HttpResponse<String> otherPort = send("POST", "/admin/v1/subscriptions/ben.orders/approve",
                "Origin", "http://127.0.0.1:1");

        for (HttpResponse<String> response : List.of(fromOrigin, withoutType, nullOrigin, otherPort)) {
            assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
            assertThat(response.headers().firstValue("WWW-Authenticate")).isEmpty();
        }
        assertThat(status("ben.orders")).isEqualTo("pending");
    }

    @Test
    void crossSiteFetchMetadataIsForbidden() {
        HttpResponse<String> crossSite = send("POST", "/admin/v1/subscriptions/cat.orders/approve",
                "Sec-Fetch-Site", "cross-site");
        HttpResponse<String> sameSite = send("POST", "/admin/v1/subscriptions/cat.orders/approve",
                "Sec-Fetch-Site", "same-site", "Origin", "https://other.localhost");

        assertThat(crossSite.statusCode()).as(crossSite.body()).isEqualTo(403);
        assertThat(sameSite.statusCode()).as(sameSite.body()).isEqualTo(403);
        assertThat(status("cat.orders")).isEqualTo("pending");
    }

    @Test
    void ownOriginIsAccepted() {
        HttpResponse<String> response = send("POST", "/admin/v1/subscriptions/dan.orders/approve",
                "Origin", node.adminUrl(), "Sec-Fetch-Site", "same-origin");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(status("dan.orders")).isEqualTo("active");
    }

    @Test
    void scriptWithoutBodyOrTypeIsAccepted() {
        HttpResponse<String> response = send("POST", "/admin/v1/subscriptions/eve.orders/approve");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(status("eve.orders")).isEqualTo("active");
    }

    @Test
    void readsFromOtherOriginsAreNotChecked() {
        HttpResponse<String> response = send("GET", "/admin/v1/status", "Origin", EVIL,
                "Sec-Fetch-Site", "cross-site");

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    private static String status(String subscription) {
        JsonNode read = node.admin("GET", "/admin/v1/subscriptions/" + subscription, null, 200);
        return read.path("status").asText();
    }

    /** Sends a request without a body, with the user's Basic credentials and {@code headers} as name, value pairs. */
    private static HttpResponse<String> send(String method, String path, String... headers) {
        String[] all = new String[headers.length + 2];
        all[0] = "Authorization";
        all[1] = basic;
        System.arraycopy(headers, 0, all, 2, headers.length);
        return node.adminRequest(method, path, null, all);
    }
}

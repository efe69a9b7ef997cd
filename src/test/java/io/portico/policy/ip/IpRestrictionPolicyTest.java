package io.portico.policy.ip;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The ip-restriction policy on a real node. The node trusts 127.0.0.1 as a proxy, so each request names its
 * client address in X-Forwarded-For.
 */
class IpRestrictionPolicyTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("restricted");
        node = TestNode.start(Map.of("clientAddress.trustedProxies", "127.0.0.1"));
        Configs config = Configs.document();
        config.service("app", upstream.port());
        restrict(config.route("allow-list", "app", "/allow-list"), List.of("203.0.113.0/24", "2001:db8::/32"), null);
        restrict(config.route("deny-wins", "app", "/deny-wins"), List.of("198.51.100.0/24"),
                List.of("198.51.100.7", "2001:db8::/48"));
        restrict(config.route("deny-only", "app", "/deny-only"), null, List.of("192.0.2.0/24", "2001:db8::1"));
        restrict(config.route("mapped", "app", "/mapped"), List.of("::ffff:203.0.113.0/120"), null);
        restrict(config.route("ipv6-denied", "app", "/ipv6-denied"), null, List.of("::/0"));
        restrict(config.route("nobody", "app", "/nobody"), List.of(), null);
        ObjectNode many = config.route("many", "app", "/many");
        ArrayNode ranges = many.putArray("policies").addObject().put("name", "ip-restriction").putObject("config")
                .putArray("allow");
        for (int i = 0; i < 4096; i++) {
            ranges.add("10." + (i >> 4) + "." + (i & 15) * 16 + ".0/28");
        }
        ranges.add("2001:db8:" + Integer.toHexString(4095) + "::/48");
        node.apply(config.build());
    }

    private static void restrict(ObjectNode route, List<String> allow, List<String> deny) {
        ObjectNode config = route.putArray("policies").addObject().put("name", "ip-restriction").putObject("config");
        if (allow != null) {
            allow.forEach(config.putArray("allow")::add);
        }
        if (deny != null) {
            deny.forEach(config.putArray("deny")::add);
        }
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @ParameterizedTest
    @CsvSource({
        "/allow-list, 203.0.113.9, 200",
        "/allow-list, 2001:db8:1::9, 200",
        "/allow-list, 198.51.100.9, 403",
        "/allow-list, 2001:db9::1, 403",
        "/allow-list, ::ffff:203.0.113.9, 200",
        "/deny-wins, 198.51.100.6, 200",
        "/deny-wins, 198.51.100.7, 403",
        "/deny-only, 198.51.100.7, 200",
        "/deny-only, 192.0.2.200, 403",
        "/deny-only, 2001:db8::1, 403",
        "/deny-only, 2001:db8::2, 200",
        "/mapped, 203.0.113.5, 200",
        "/mapped, 203.0.114.5, 403",
        "/ipv6-denied, 198.51.100.7, 200",
        "/ipv6-denied, 2001:db8::2, 403",
        "/nobody, 203.0.113.9, 403",
        "/many, 10.0.0.1, 200",
        "/many, 10.255.240.15, 200",
        "/many, 10.255.240.16, 403",
        "/many, 10.17.16.0, 200",
        "/many, 10.17.0.16, 403",
        "/many, 11.0.0.1, 403",
        "/many, 2001:db8:fff:1::1, 200",
    })
    void appliesRules(String path, String client, int status) throws IOException, InterruptedException {
        int before = upstream.requests(path);

        HttpResponse<String> response = get(path, client);

        assertThat(response.statusCode()).as("%s from %s", path, client).isEqualTo(status);
        assertThat(upstream.requests(path)).isEqualTo(status == 200 ? before + 1 : before);
        if (status == 403) {
            assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            JsonNode problem = Json.MAPPER.readTree(response.body());
            assertThat(problem.path("type").asText()).isEqualTo("https://portico.dev/problems/ip-not-allowed");
            assertThat(problem.path("detail").asText()).isEqualTo("the client address is not allowed on this route");
        }
    }

    @Test
    void peerAddressAppliesWithoutForwardingHeader() throws IOException, InterruptedException {
        HttpResponse<String> response = CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + "/allow-list"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(403);
    }

    @Test
    void invalidEntriesAreNamed() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "candidate").put("service", "app");
        route.putArray("paths").add("/candidate");
        ObjectNode config = route.putArray("policies").addObject().put("name", "ip-restriction")
                .putObject("config");
        config.putArray("allow").add("10.0.0.0/8").add("10.0.0.300").add(7);
        config.putArray("deny").add("2001:db8::1/32");
        config.put("allowed", true);

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors")).extracting(error -> error.get("field").asText()).containsExactly(
                "policies[0].config.allowed", "policies[0].config.allow[2]", "policies[0].config.allow[1]",
                "policies[0].config.deny[0]");
        assertThat(problem.get("errors").get(0).get("message").asText()).contains("known fields: allow, deny");
        assertThat(problem.get("errors").get(2).get("message").asText()).contains("'10.0.0.300'");
        assertThat(problem.get("errors").get(3).get("message").asText())
                .contains("write the network address 2001:db8::/32");
    }

    @Test
    void emptyConfigurationIsRejected() {
        ObjectNode route = Json.MAPPER.createObjectNode().put("name", "candidate").put("service", "app");
        route.putArray("paths").add("/candidate");
        route.putArray("policies").addObject().put("name", "ip-restriction").putObject("config");

        JsonNode problem = node.admin("POST", "/admin/v1/routes", route, 400);

        assertThat(problem.get("errors").get(0).get("field").asText()).isEqualTo("policies[0].config");
        assertThat(problem.get("errors").get(0).get("message").asText()).isEqualTo("must contain allow, deny or both");
    }

    private static HttpResponse<String> get(String path, String client) throws IOException, InterruptedException {
        return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path)).header("X-Forwarded-For", client)
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}

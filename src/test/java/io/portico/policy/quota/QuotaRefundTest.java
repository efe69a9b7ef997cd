package io.portico.policy.quota;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.problem.ProblemType;
import io.portico.testing.ClosedPorts;
import io.portico.testing.Conditions;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Which calls a quota keeps counted when a later step of the gateway ends the request. */
class QuotaRefundTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("orders");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("orders", upstream.port());
        config.service("gone", ClosedPorts.reserve());
        config.resource("teams", "sales");
        config.resource("consumers", "alice").put("team", "sales");
        ArrayNode limited = config.route("limited", "orders", "/limited").putArray("policies");
        limited.addObject().put("name", "header-auth");
        quota(limited);
        ObjectNode rateLimit = limited.addObject().put("name", "rate-limit").putObject("config");
        rateLimit.putArray("key").add("consumer");
        rateLimit.putArray("limits").addObject().put("name", "per-minute").put("max", 1).put("window", "1m");
        ArrayNode unreachable = config.route("unreachable", "gone", "/unreachable").putArray("policies");
        unreachable.addObject().put("name", "header-auth");
        quota(unreachable);
        node.apply(config.build());
    }

    private static void quota(ArrayNode policies) {
        policies.addObject().put("name", "quota").putObject("config").put("limit", 100).put("period", "day");
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    @Test
    void laterRejectionGivesCallBack() {
        int first = send("/limited");
        int second = send("/limited");
        int third = send("/limited");

        assertThat(first).isEqualTo(200);
        assertThat(second).isEqualTo(429);
        assertThat(third).isEqualTo(429);
        Conditions.eventually("one call of the limited route is counted", () -> used("route:limited:day") == 1);
    }

    @Test
    void unreachableUpstreamStaysCounted() {
        int status = send("/unreachable");

        assertThat(status).isEqualTo(502);
        Conditions.eventually("the call to the unreachable service is counted",
                () -> used("route:unreachable:day") == 1);
    }

    @Test
    void onlyGatewayRejectionsAreGivenBack() {
        assertThat(QuotaPolicy.rejectedByGateway(ProblemType.RATE_LIMITED)).isTrue();
        assertThat(QuotaPolicy.rejectedByGateway(ProblemType.CIRCUIT_OPEN)).isTrue();
        assertThat(QuotaPolicy.rejectedByGateway(ProblemType.UPSTREAM_TIMEOUT)).isFalse();
        assertThat(QuotaPolicy.rejectedByGateway(ProblemType.UPSTREAM_UNAVAILABLE)).isFalse();
        assertThat(QuotaPolicy.rejectedByGateway(null)).isFalse();
    }

    private static long used(String scope) {
        JsonNode quotas = node.admin("GET", "/admin/v1/quotas?consumer=alice", null, 200).path("quotas");
        for (JsonNode quota : quotas) {
            if (quota.path("scope").asText().equals(scope)) {
                return quota.path("used").asLong();
            }
        }
        return 0;
    }

    private static int send(String path) {
        try {
            return CLIENT.send(HttpRequest.newBuilder(URI.create(node.url() + path))
                    .header("X-Test-Consumer", "alice").build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}

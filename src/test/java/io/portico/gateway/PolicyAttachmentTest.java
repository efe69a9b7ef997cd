package io.portico.gateway;

import static io.portico.gateway.GatewayClient.assertProblem;
import static io.portico.gateway.GatewayClient.get;
import static io.portico.gateway.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.CountingPolicyFactory;
import io.portico.testing.TestNode;
import io.portico.testing.TestUpstream;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Global and consumer policy attachments, and the order of a route's policies: phase by phase, global before
 * API before route within a phase, consumer policies last.
 */
class PolicyAttachmentTest {

    private static final String CONSUMER = "X-Test-Consumer";

    private static TestUpstream upstream;
    private static TestNode node;

    @BeforeAll
    static void start() {
        upstream = TestUpstream.start("app");
        node = TestNode.start();
        Configs config = Configs.document();
        config.service("app", upstream.port());
        config.resource("teams", "shop");
        for (String consumer : new String[] {"vip", "other", "banned", "metered"}) {
            config.resource("consumers", consumer).put("team", "shop");
        }
        attach(config, "global-post", null, 1, "attach-global-post", null);
        attach(config, "global-pre", null, 2, "attach-global-pre", "PRE_AUTHENTICATION");
        attach(config, "vip-second", "vip", 2, "attach-vip-2", null);
        attach(config, "vip-first", "vip", 1, "attach-vip-1", null);
        ObjectNode metered = config.resource("policies", "metered-limit").put("type", "rate-limit")
                .put("consumer", "metered").putObject("config");
        metered.putArray("limits").addObject().put("name", "per-minute").put("max", 2).put("window", "1m");
        metered.putArray("key").add("consumer");
        config.resource("policies", "banned-stop").put("type", "problem").put("consumer", "banned")
                .putObject("config").put("type", "FORBIDDEN").put("detail", "this consumer is suspended");

        ObjectNode api = config.resource("apis", "shop").put("team", "shop").put("subscriptionRequired", false);
        count(api.putArray("policies"), "attach-api", null);
        ObjectNode route = config.route("ordered", "app", "/ordered").put("api", "shop");
        ArrayNode policies = route.putArray("policies");
        count(policies, "attach-route-post", null);
        policies.addObject().put("name", "header-auth").putObject("config").put("optional", true);
        count(policies, "attach-route-pre", "PRE_AUTHENTICATION");
        config.route("plain", "app", "/plain").putArray("policies").addObject().put("name", "header-auth")
                .putObject("config").put("optional", true);
        // Listed after authentication, CORS still answers preflights, which carry no credentials.
        ObjectNode browser = config.route("browser", "app", "/browser");
        browser.putArray("methods").add("GET");
        ArrayNode browserPolicies = browser.putArray("policies");
        browserPolicies.addObject().put("name", "header-auth");
        browserPolicies.addObject().put("name", "cors").putObject("config").putArray("allowOrigins")
                .add("https://app.example.com");
        node.apply(config.build());
    }

    private static void attach(Configs config, String name, String consumer, int order, String counter,
                               String phase) {
        ObjectNode attachment = config.resource("policies", name).put("type", "count").put("order", order);
        if (consumer != null) {
            attachment.put("consumer", consumer);
        }
        ObjectNode settings = attachment.putObject("config").put("counter", counter);
        if (phase != null) {
            settings.put("phase", phase);
        }
    }

    private static void count(ArrayNode policies, String counter, String phase) {
        ObjectNode settings = policies.addObject().put("name", "count").putObject("config").put("counter", counter);
        if (phase != null) {
            settings.put("phase", phase);
        }
    }

    @AfterAll
    static void stop() {
        node.close();
        upstream.close();
    }

    private static String trace(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return json(response).at("/headers/x-policy-trace/0").asText();
    }

    @Test
    void phasesOrderPoliciesWhateverTheListOrder() {
        String trace = trace(get(node, "/ordered/echo"));

        assertThat(trace).isEqualTo("attach-global-pre,attach-route-pre,attach-global-post,attach-api,"
                + "attach-route-post");
    }

    @Test
    void consumerPoliciesRunLastInTheirOrder() {
        String trace = trace(get(node, "/ordered/echo", CONSUMER, "vip"));

        assertThat(trace).isEqualTo("attach-global-pre,attach-route-pre,attach-global-post,attach-api,"
                + "attach-route-post,attach-vip-1,attach-vip-2");
        assertThat(CountingPolicyFactory.consumers("attach-vip-1")).isNotEmpty().containsOnly("vip");
    }

    @Test
    void consumerPoliciesSkipOtherConsumers() {
        String trace = trace(get(node, "/ordered/echo", CONSUMER, "other"));

        assertThat(trace).doesNotContain("attach-vip");
    }

    @Test
    void globalPoliciesRunOnEveryRoute() {
        String trace = trace(get(node, "/plain/echo", CONSUMER, "vip"));

        assertThat(trace).isEqualTo("attach-global-pre,attach-global-post,attach-vip-1,attach-vip-2");
    }

    @Test
    void attachmentCountsAcrossRoutes() {
        HttpResponse<String> first = get(node, "/plain/echo", CONSUMER, "metered");
        HttpResponse<String> second = get(node, "/ordered/echo", CONSUMER, "metered");
        HttpResponse<String> third = get(node, "/plain/echo", CONSUMER, "metered");

        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(second.statusCode()).isEqualTo(200);
        // Each route has seen at most two requests, but the attachment's one counter has seen three.
        assertProblem(third, 429, "rate-limited");
    }

    @Test
    void consumerPolicyCanEndRequest() {
        JsonNode problem = assertProblem(get(node, "/plain/echo", CONSUMER, "banned"), 403, "forbidden");

        assertThat(problem.path("detail").asText()).isEqualTo("this consumer is suspended");
        assertThat(get(node, "/plain/echo", CONSUMER, "other").statusCode()).isEqualTo(200);
    }

    @Test
    void corsAnswersPreflightBeforeAuthentication() {
        HttpResponse<String> preflight = GatewayClient.send(node, "OPTIONS", "/browser/echo",
                "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET");

        assertThat(preflight.statusCode()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    }

    @Test
    void authenticationFailureCarriesCorsHeaders() {
        HttpResponse<String> response = get(node, "/browser/echo", "Origin", "https://app.example.com");

        assertProblem(response, 401, "unauthorized");
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    }

    @Test
    void unknownPolicyTypeIsRejected() {
        ObjectNode attachment = Json.MAPPER.createObjectNode().put("name", "bad").put("type", "nonexistent");

        JsonNode problem = node.admin("POST", "/admin/v1/policies", attachment, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("type");
        assertThat(problem.at("/errors/0/message").asText()).contains("unknown policy type 'nonexistent'");
    }

    @Test
    void invalidPolicyConfigIsRejected() {
        ObjectNode attachment = Json.MAPPER.createObjectNode().put("name", "bad").put("type", "count");
        attachment.putObject("config").put("counter", 3);

        JsonNode problem = node.admin("POST", "/admin/v1/policies", attachment, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("config.counter");
    }

    @Test
    void authenticationPolicyCannotBeAttachedToConsumer() {
        ObjectNode attachment = Json.MAPPER.createObjectNode().put("name", "bad").put("type", "header-auth")
                .put("consumer", "vip");

        JsonNode problem = node.admin("POST", "/admin/v1/policies", attachment, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("type");
        assertThat(problem.at("/errors/0/message").asText()).contains("cannot be attached to a consumer");
    }

    @Test
    void attachmentToUnknownConsumerIsRejected() {
        ObjectNode attachment = Json.MAPPER.createObjectNode().put("name", "bad").put("type", "count")
                .put("consumer", "ghost");
        attachment.putObject("config").put("counter", "never");

        JsonNode problem = node.admin("POST", "/admin/v1/policies", attachment, 400);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("consumer");
    }

    @Test
    void consumerWithAttachmentCannotBeDeleted() {
        JsonNode problem = node.admin("DELETE", "/admin/v1/consumers/vip", null, 409);

        assertThat(problem.at("/errors/0/field").asText()).isEqualTo("policies/vip-first.consumer");
    }
}

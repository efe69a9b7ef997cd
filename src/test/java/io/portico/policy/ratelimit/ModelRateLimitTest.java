package io.portico.policy.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.OpenAiMock;
import io.portico.config.Json;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A rate limit keyed by the AI model on an AI route, where the model comes from the request body. */
class ModelRateLimitTest {

    private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private static OpenAiMock provider;
    private static TestNode node;

    @BeforeAll
    static void start() {
        provider = new OpenAiMock("p", "sk-p");
        node = TestNode.start();
        Configs config = Configs.document();
        config.provider("p", "openai", provider.baseUrl(), "sk-p");
        ObjectNode route = config.aiRoute("ai", "/ai");
        route.put("stripPrefix", true);
        route.putArray("policies").add(RateLimitPolicyTest.rateLimit("[model]",
                RateLimitPolicyTest.limit("per-hour", 2, "1h", null)));
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        provider.close();
    }

    @Test
    void eachModelHasItsOwnLimit() {
        int before = provider.received().size();

        List<Integer> large = statuses("p/gpt-4o", 3);
        List<Integer> small = statuses("p/gpt-4o-mini", 2);

        assertThat(large).containsExactly(200, 200, 429);
        assertThat(small).containsExactly(200, 200);
        assertThat(provider.received()).hasSize(before + 4);
    }

    @Test
    void rejectionUsesOpenAiErrorShape() throws Exception {
        statuses("p/o1", 2);

        HttpResponse<String> rejected = chat("p/o1");

        JsonNode error = Json.MAPPER.readTree(rejected.body()).get("error");

        assertThat(rejected.statusCode()).isEqualTo(429);
        assertThat(error.get("type").asText()).isEqualTo("rate_limit_error");
        assertThat(error.get("code").asText()).isEqualTo("rate_limit_exceeded");
        assertThat(error.get("message").asText()).contains("'per-hour'");
        assertThat(rejected.headers().firstValue("Retry-After")).isPresent();
        assertThat(rejected.headers().firstValue("RateLimit")).hasValueSatisfying(value ->
                assertThat(value).startsWith("\"per-hour\";r=0;t="));
    }

    private static List<Integer> statuses(String model, int count) {
        List<Integer> statuses = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            statuses.add(chat(model).statusCode());
        }
        return statuses;
    }

    private static HttpResponse<String> chat(String model) {
        String body = "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}";
        HttpRequest request = HttpRequest.newBuilder(URI.create(node.url() + "/ai/v1/chat/completions"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
        try {
            return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request failed", e);
        }
    }
}

package io.portico.ai;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.portico.ai.mock.MockServer.Fault;
import io.portico.ai.mock.OpenAiMock;
import io.portico.testing.Configs;
import io.portico.testing.TestNode;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Circuit breakers of provider models: an open breaker skips the model in fallbacks. */
class AiCircuitBreakerTest {

    private static OpenAiMock flaky;
    private static OpenAiMock backup;
    private static TestNode node;

    @BeforeAll
    static void start() {
        flaky = new OpenAiMock("flaky", "sk-flaky");
        backup = new OpenAiMock("backup", "sk-backup");
        node = TestNode.start();
        Configs config = Configs.document();
        ObjectNode provider = config.provider("flaky", "openai", flaky.baseUrl(), "sk-flaky");
        provider.putObject("retries").put("attempts", 1);
        provider.putObject("circuitBreaker").put("minimumCalls", 2).put("failureRateThreshold", 50)
                .put("openDuration", "60s").put("halfOpenCalls", 1);
        config.provider("backup", "openai", backup.baseUrl(), "sk-backup");
        config.model("guarded", "fallback", "flaky/gpt-4o", "backup/gpt-4o");
        config.model("alone", "fallback", "flaky/gpt-4o");
        config.aiRoute("ai", "/v1");
        node.apply(config.build());
    }

    @AfterAll
    static void stop() {
        node.close();
        flaky.close();
        backup.close();
    }

    private static HttpResponse<String> chat(String model) {
        return AiTestClient.post(node.url() + "/v1/chat/completions", "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}");
    }

    @Test
    void openBreakerSkipsProviderModel() {
        flaky.fail(Fault.SERVER_ERROR, Fault.SERVER_ERROR);
        assertThat(chat("alone").statusCode()).isEqualTo(500);
        assertThat(chat("alone").statusCode()).isEqualTo(500);
        int flakyCalls = flaky.received().size();

        HttpResponse<String> served = chat("guarded");
        HttpResponse<String> rejected = chat("alone");

        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("x-portico-provider")).hasValue("backup");
        assertThat(flaky.received()).hasSize(flakyCalls);
        assertThat(rejected.statusCode()).isEqualTo(503);
        JsonNode error = AiTestClient.json(rejected).path("error");
        assertThat(error.path("code").asText()).isEqualTo("circuit_open");
        assertThat(error.path("message").asText()).contains("'alone'");
        assertThat(rejected.headers().firstValue("retry-after")).isPresent();
        JsonNode breakers = node.admin("GET", "/admin/v1/circuit-breakers", null, 200).path("circuitBreakers");
        assertThat(breakers).anySatisfy(item -> {
            assertThat(item.path("provider").asText()).isEqualTo("flaky");
            assertThat(item.path("model").asText()).isEqualTo("gpt-4o");
            assertThat(item.path("state").asText()).isEqualTo("open");
            assertThat(item.path("failures").asInt()).isZero();
        });
    }
}
